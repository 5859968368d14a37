//! How `larder import` tells a person what happened to a file: one summary line, then the
//! grouped warnings and the skipped recipes under it (all on stderr; stdout carries only the new
//! recipes' ids, for scripts).

use larder_core::ImportReport;
use larder_core::import::report::format_count;

/// The lines describing one file's import.
pub fn report_lines(file: &str, report: &ImportReport) -> Vec<String> {
    let mut summary = format!(
        "{file}: {}, {} imported",
        report.format,
        format_count(u32::try_from(report.ids.len()).unwrap_or(u32::MAX))
    );
    if report.already_present > 0 {
        summary.push_str(&format!(
            ", {} already there",
            format_count(report.already_present)
        ));
    }
    if !report.skipped.is_empty() {
        summary.push_str(&format!(
            ", {} skipped",
            format_count(u32::try_from(report.skipped.len()).unwrap_or(u32::MAX))
        ));
    }
    let mut lines = vec![summary];
    for group in &report.warnings {
        let mut line = format!("  warning: {}", group.summary);
        if !group.examples.is_empty() {
            let more = if group.count as usize > group.examples.len() {
                ", …"
            } else {
                ""
            };
            line.push_str(&format!(" (e.g. {}{more})", group.examples.join(", ")));
        }
        lines.push(line);
    }
    for skipped in &report.skipped {
        lines.push(format!("  skipped: {}: {}", skipped.title, skipped.reason));
    }
    lines
}

#[cfg(test)]
mod tests {
    use larder_core::{SkippedRecipe, WarningGroup};

    use super::*;

    #[test]
    fn one_summary_line_then_groups_and_skips() {
        let report = ImportReport {
            format: "Paprika export".into(),
            ids: vec!["a".into(); 312],
            already_present: 4,
            skipped: vec![SkippedRecipe {
                title: "Broken".into(),
                reason: "damaged gzip data".into(),
            }],
            warnings: vec![WarningGroup {
                kind: "no_instructions".into(),
                summary: "2,981 recipes had no instructions".into(),
                count: 2981,
                examples: vec!["A".into(), "B".into(), "C".into()],
            }],
        };
        assert_eq!(
            report_lines("recipes.paprikarecipes", &report),
            [
                "recipes.paprikarecipes: Paprika export, 312 imported, 4 already there, 1 skipped",
                "  warning: 2,981 recipes had no instructions (e.g. A, B, C, …)",
                "  skipped: Broken: damaged gzip data",
            ]
        );
    }

    #[test]
    fn a_clean_import_is_one_line() {
        let report = ImportReport {
            format: "text recipe".into(),
            ids: vec!["a".into()],
            ..ImportReport::default()
        };
        assert_eq!(
            report_lines("soup.txt", &report),
            ["soup.txt: text recipe, 1 imported"]
        );
    }
}
