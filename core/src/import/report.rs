//! The import report: what the file was read as, the recipes made, those already present from
//! an earlier import, those skipped (with why), and warnings grouped by kind with a count and a
//! few example titles, so a 3,000-recipe export yields a handful of lines, not 3,000.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Example titles kept per warning group.
pub const MAX_EXAMPLES: usize = 3;

/// The outcome of an import.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportReport {
    /// What the content was read as, e.g. "Paprika export".
    pub format: String,
    /// The recipes created.
    pub ids: Vec<String>,
    /// Recipes not created because an earlier import made them.
    pub already_present: u32,
    pub skipped: Vec<SkippedRecipe>,
    pub warnings: Vec<WarningGroup>,
}

/// A recipe of the file that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SkippedRecipe {
    pub title: String,
    pub reason: String,
}

/// Warnings of one kind: "2,981 recipes had no instructions", with a few of their titles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WarningGroup {
    /// A stable name for the kind (`no_instructions`, `photo_not_image`, …), for a UI to key on.
    pub kind: String,
    /// The group in words, with its count.
    pub summary: String,
    pub count: u32,
    /// Up to [`MAX_EXAMPLES`] recipe titles (or entry names) it applies to.
    pub examples: Vec<String>,
}

/// What a warning is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WarningKind {
    NoInstructions,
    NoIngredients,
    Untitled,
    UnreadableTime,
    PhotoNotImage,
    PhotoNotAttached,
    UnsafeEntryName,
    /// Anything else, grouped by its exact wording.
    Other(String),
}

impl WarningKind {
    fn name(&self) -> &str {
        match self {
            WarningKind::NoInstructions => "no_instructions",
            WarningKind::NoIngredients => "no_ingredients",
            WarningKind::Untitled => "untitled",
            WarningKind::UnreadableTime => "unreadable_time",
            WarningKind::PhotoNotImage => "photo_not_image",
            WarningKind::PhotoNotAttached => "photo_not_attached",
            WarningKind::UnsafeEntryName => "unsafe_entry_name",
            WarningKind::Other(_) => "other",
        }
    }

    fn summary(&self, count: u32) -> String {
        let n = format_count(count);
        let recipes = if count == 1 { "recipe" } else { "recipes" };
        let photos = if count == 1 { "photo" } else { "photos" };
        let were = if count == 1 { "was" } else { "were" };
        match self {
            WarningKind::NoInstructions => format!("{n} {recipes} had no instructions"),
            WarningKind::NoIngredients => format!("{n} {recipes} had no ingredients"),
            WarningKind::Untitled => {
                format!("{n} {recipes} had no title and {were} named \"Untitled recipe\"")
            }
            WarningKind::UnreadableTime => {
                format!("{n} {recipes} had a time that could not be read (left empty)")
            }
            WarningKind::PhotoNotImage => {
                format!("{n} {photos} left out: not an image")
            }
            WarningKind::PhotoNotAttached => format!("{n} {photos} could not be attached"),
            WarningKind::UnsafeEntryName => format!(
                "{n} archive {} with unsafe names (such as ../x or /x) ignored",
                if count == 1 { "entry" } else { "entries" }
            ),
            WarningKind::Other(message) => format!("{message} ({n}×)"),
        }
    }

    /// The kind of a warning written by the schema.org reader (`recipe "T": no
    /// recipeInstructions`), with the message left once the recipe prefix is removed.
    pub fn of_schema_org(message: &str) -> (WarningKind, String) {
        let message = match message.strip_prefix("recipe \"") {
            Some(rest) => match rest.split_once("\": ") {
                Some((_, rest)) => rest,
                None => message,
            },
            None => message,
        };
        let kind = if message == "no recipeInstructions" {
            WarningKind::NoInstructions
        } else if message == "no recipeIngredient" {
            WarningKind::NoIngredients
        } else if message.starts_with("no name;") {
            WarningKind::Untitled
        } else if message.contains("is not an ISO-8601 duration") {
            WarningKind::UnreadableTime
        } else {
            WarningKind::Other(message.to_owned())
        };
        (kind, message.to_owned())
    }
}

/// Gathers warnings in the order their kinds first appear.
#[derive(Debug, Default)]
pub struct WarningGroups {
    order: Vec<WarningKind>,
    groups: HashMap<WarningKind, (u32, Vec<String>)>,
}

impl WarningGroups {
    /// Counts one warning of `kind` about `subject` (a recipe title or an entry name).
    pub fn add(&mut self, kind: WarningKind, subject: &str) {
        let entry = self.groups.entry(kind.clone()).or_insert_with(|| {
            self.order.push(kind);
            (0, Vec::new())
        });
        entry.0 = entry.0.saturating_add(1);
        if entry.1.len() < MAX_EXAMPLES && !entry.1.iter().any(|t| t == subject) {
            entry.1.push(subject.to_owned());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub fn into_groups(mut self) -> Vec<WarningGroup> {
        self.order
            .into_iter()
            .filter_map(|kind| {
                let (count, examples) = self.groups.remove(&kind)?;
                Some(WarningGroup {
                    kind: kind.name().to_owned(),
                    summary: kind.summary(count),
                    count,
                    examples,
                })
            })
            .collect()
    }
}

/// A count with thousands separators: `2981` → `2,981`.
pub fn format_count(count: u32) -> String {
    let digits = count.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(2981), "2,981");
        assert_eq!(format_count(1_234_567), "1,234,567");
    }

    #[test]
    fn warnings_group_by_kind_with_a_few_examples() {
        let mut groups = WarningGroups::default();
        for i in 0..2981 {
            groups.add(WarningKind::NoInstructions, &format!("Recipe {i}"));
        }
        groups.add(WarningKind::PhotoNotImage, "Soup");
        let groups = groups.into_groups();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].kind, "no_instructions");
        assert_eq!(groups[0].summary, "2,981 recipes had no instructions");
        assert_eq!(groups[0].count, 2981);
        assert_eq!(groups[0].examples, ["Recipe 0", "Recipe 1", "Recipe 2"]);
        assert_eq!(groups[1].summary, "1 photo left out: not an image");
    }

    #[test]
    fn schema_org_warnings_lose_their_recipe_prefix() {
        let (kind, message) = WarningKind::of_schema_org("recipe \"Tart\": no recipeInstructions");
        assert_eq!(kind, WarningKind::NoInstructions);
        assert_eq!(message, "no recipeInstructions");
        let (kind, _) = WarningKind::of_schema_org("recipe \"Tart\": keywords: skipped 1 value(s)");
        assert_eq!(
            kind,
            WarningKind::Other("keywords: skipped 1 value(s)".into())
        );
    }
}
