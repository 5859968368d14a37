//! The one line a history row shows: what a version changed, in words.

use super::{RowRef, TextEdit, VersionChanges};

fn field_word(field: &str) -> &str {
    match field {
        "yield_text" => "yield",
        "prep_minutes" => "prep time",
        "cook_minutes" => "cook time",
        "total_minutes" => "total time",
        "source_url" => "source",
        "import_key" => "import source",
        other => other,
    }
}

/// "a", "a and b", "a, b and c".
fn and_list(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn rows(count_word: &str, rows: &[RowRef], verb: &str) -> Option<String> {
    if rows.is_empty() {
        return None;
    }
    let names: Vec<String> = rows
        .iter()
        .map(|r| {
            if r.name.is_empty() {
                "unnamed".to_string()
            } else {
                r.name.clone()
            }
        })
        .collect();
    let plural = if rows.len() == 1 { "" } else { "s" };
    Some(format!(
        "{} {count_word}{plural} {verb} ({})",
        rows.len(),
        names.join(", ")
    ))
}

fn text(name: &str, edit: &Option<TextEdit>) -> Option<String> {
    edit.map(|e| format!("{name} edited (+{} −{})", e.inserted, e.deleted))
}

fn files(names: &[String], verb: &str) -> Option<String> {
    match names.len() {
        0 => None,
        1 => Some(format!("file {verb} ({})", names[0])),
        n => Some(format!("{n} files {verb} ({})", names.join(", "))),
    }
}

/// The version's changes as one sentence-like line.
pub fn describe(c: &VersionChanges) -> String {
    if c.created {
        return "Created".to_string();
    }
    let mut parts: Vec<String> = Vec::new();
    if c.restored_from.is_some() {
        parts.push("restored an earlier version".to_string());
    }
    if c.undeleted {
        parts.push("brought back after a delete".to_string());
    }
    if !c.fields.is_empty() {
        let words: Vec<String> = c.fields.iter().map(|f| field_word(f).to_string()).collect();
        parts.push(format!("{} changed", and_list(&words)));
    }
    parts.extend(rows("ingredient", &c.ingredients_added, "added"));
    parts.extend(rows("ingredient", &c.ingredients_removed, "removed"));
    parts.extend(rows("ingredient", &c.ingredients_changed, "changed"));
    parts.extend(text("steps", &c.steps));
    parts.extend(text("notes", &c.notes));
    parts.extend(files(&c.attachments_added, "added"));
    parts.extend(files(&c.attachments_removed, "removed"));
    if c.deleted {
        parts.push("deleted".to_string());
    }
    if parts.is_empty() {
        return "No visible change".to_string();
    }
    let line = parts.join("; ");
    let mut chars = line.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_per_version() {
        let c = VersionChanges {
            fields: vec!["title".into(), "servings".into(), "prep_minutes".into()],
            ingredients_added: vec![
                RowRef {
                    id: "1".into(),
                    name: "flour".into(),
                },
                RowRef {
                    id: "2".into(),
                    name: "eggs".into(),
                },
            ],
            steps: Some(TextEdit {
                inserted: 12,
                deleted: 3,
            }),
            attachments_added: vec!["photo.jpg".into()],
            ..Default::default()
        };
        assert_eq!(
            describe(&c),
            "Title, servings and prep time changed; 2 ingredients added (flour, eggs); \
             steps edited (+12 −3); file added (photo.jpg)"
        );
        assert_eq!(describe(&VersionChanges::default()), "No visible change");
        let deleted = VersionChanges {
            deleted: true,
            ..Default::default()
        };
        assert_eq!(describe(&deleted), "Deleted");
    }
}
