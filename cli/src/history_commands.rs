//! `larder history`: a recipe's versions from its Automerge history (newest first, numbered:
//! when, which device, what changed), one version read as it was (`--show N`), a version
//! restored as a new change on top (`--restore N`, which syncs like any edit); and `larder
//! deleted` / `larder undelete ID` for recently deleted recipes. Versions are named by their
//! number in the list or by their id (what `--json` shows).

use anyhow::{Result, anyhow};
use larder_core::Larder;
use larder_core::docstore::SamodStore;
use larder_core::history::RecipeVersionSummary;

use crate::output::{self, outln};

/// What `larder history ID` does besides listing.
pub enum HistoryAction {
    List { json: bool },
    Show { version: String, json: bool },
    Restore { version: String },
}

pub async fn history(larder: &Larder<SamodStore>, id: &str, action: HistoryAction) -> Result<()> {
    let versions = larder.recipe_history(id).await?;
    match action {
        HistoryAction::List { json } => {
            if json {
                return outln!("{}", serde_json::to_string_pretty(&versions)?);
            }
            for (n, v) in versions.iter().enumerate() {
                outln!(
                    "{:>3}  {}  {}  {}",
                    n + 1,
                    when(v),
                    v.device.label,
                    v.summary
                )?;
            }
            Ok(())
        }
        HistoryAction::Show { version, json } => {
            let version = resolve(&versions, &version)?;
            output::recipe(&larder.recipe_version(id, version).await?, json)
        }
        HistoryAction::Restore { version } => {
            let version = resolve(&versions, &version)?;
            let restored = larder.restore_version(id, version).await?;
            eprintln!(
                "Restored that version of \"{}\" as a new change.",
                restored.recipe.title
            );
            Ok(())
        }
    }
}

/// A version by its number in the list (1 = newest) or its id.
fn resolve<'v>(versions: &'v [RecipeVersionSummary], key: &str) -> Result<&'v str> {
    if let Some(v) = versions.iter().find(|v| v.version == key) {
        return Ok(&v.version);
    }
    match key.parse::<usize>() {
        Ok(n) if (1..=versions.len()).contains(&n) => Ok(&versions[n - 1].version),
        _ => Err(anyhow!(
            "no version {key:?}: give a number from 1 to {} (see `larder history ID`) or a version id",
            versions.len()
        )),
    }
}

/// "2026-12-07 14:05 UTC", or "time unknown" for changes that carry none.
fn when(v: &RecipeVersionSummary) -> String {
    v.at.and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(
            || "time unknown        ".to_string(),
            |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
        )
}

pub fn deleted(larder: &Larder<SamodStore>, json: bool) -> Result<()> {
    let deleted = larder.recently_deleted()?;
    if json {
        return outln!("{}", serde_json::to_string_pretty(&deleted)?);
    }
    for d in &deleted {
        let at = chrono::DateTime::from_timestamp_millis(d.deleted_at)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        outln!("{}  {at}  {}", d.summary.id, d.summary.title)?;
    }
    Ok(())
}
