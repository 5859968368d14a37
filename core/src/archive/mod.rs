//! Larder's own export: every recipe as schema.org JSON-LD with its attachments, in one zip
//! that Larder imports back losslessly (`larder export --all`, the "Export all recipes" button,
//! and `Larder::import_file` on the result).
//!
//! Layout (version 1):
//! - `larder-export.json`: the [`Manifest`] — every recipe's JSON-LD file and attachments;
//! - `recipes/<id>.jsonld`: a schema.org `Recipe` any app reads, plus the exact recipe under
//!   [`LARDER_RECIPE_KEY`] (ingredient rows as rows, not re-parsed text), which Larder prefers;
//! - `attachments/<sha256>`: each attachment's bytes once, however many recipes share it.
//!
//! - [`write`]: building the zip entry by entry (attachments streamed in one at a time).
//! - [`read`]: reading one back under the import caps, checking every attachment's SHA-256.

pub mod read;
pub mod write;

use serde::{Deserialize, Serialize};

use crate::model::Attachment;

/// The manifest's name inside the zip; its presence makes a zip a Larder export.
pub const MANIFEST: &str = "larder-export.json";
/// The manifest's `format`.
pub const FORMAT: &str = "larder-export";
pub const VERSION: u32 = 1;
/// The JSON-LD property holding the recipe exactly as Larder keeps it.
pub const LARDER_RECIPE_KEY: &str = "https://larder.app/ns#recipe";

/// What the export holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    /// Milliseconds since the Unix epoch.
    pub exported_at: i64,
    pub recipes: Vec<ManifestRecipe>,
}

/// One recipe of the export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestRecipe {
    /// The recipe's id where it was exported (a re-import into that profile matches on it).
    pub id: String,
    /// Where the recipe came from, if it was imported (kept so later imports still dedupe).
    #[serde(default)]
    pub import_key: Option<String>,
    /// The JSON-LD file.
    pub file: String,
    pub attachments: Vec<ManifestAttachment>,
}

/// One attachment of a recipe; `file` is `None` when its bytes were not on the exporting
/// device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestAttachment {
    #[serde(flatten)]
    pub attachment: Attachment,
    pub file: Option<String>,
}

/// How an export went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExportSummary {
    pub recipes: u32,
    pub attachments: u32,
    /// Attachments whose bytes are only on the relay so far (sync to bring them here first).
    pub missing_attachments: u32,
}

/// The export's file name for a day (`larder-export-2026-12-05.zip`), from Unix milliseconds.
pub fn file_name(now_ms: i64) -> String {
    let days = now_ms.div_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!("larder-export-{y:04}-{m:02}-{d:02}.zip")
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm; a
/// calendar crate for one date in a file name is not worth its weight in the wasm build).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_carry_the_utc_date() {
        assert_eq!(file_name(0), "larder-export-1970-01-01.zip");
        // 2026-12-05T13:49:17Z
        assert_eq!(file_name(1_796_478_557_000), "larder-export-2026-12-05.zip");
        // 2024-02-29T23:59:59Z
        assert_eq!(file_name(1_709_251_199_000), "larder-export-2024-02-29.zip");
        assert_eq!(file_name(-1), "larder-export-1969-12-31.zip");
    }
}
