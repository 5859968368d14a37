//! Plain-text and Markdown recipes: the title is the first line (or `# heading`); an
//! "Ingredients" heading starts the ingredient lines (bullets, numbers and check boxes
//! stripped); a "Steps" / "Instructions" / "Method" / "Directions" / "Preparation" heading
//! starts the steps (numbered, bulleted, or paragraphs); a "Notes" / "Tips" heading starts
//! the notes; text between the title and the first heading is the description. Headings may
//! be Markdown (`## Ingredients`), bold (`**Ingredients**`) or plain lines ending in `:`.

use super::detect::Format;
use super::{
    ImportFileError, ParsedImport, ParsedRecipe, WarningGroups, essentials_warnings,
    ingredient_rows, title_or_untitled,
};
use crate::model::RecipeDraft;
use crate::schema_org::ImportError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Description,
    Ingredients,
    Steps,
    Notes,
}

/// Whether the text uses Markdown headings.
pub fn looks_like_markdown(text: &str) -> bool {
    text.lines()
        .any(|line| line.starts_with("# ") || line.starts_with("## ") || line.starts_with("### "))
}

/// The section a heading line starts, if it is one.
fn heading(line: &str) -> Option<Section> {
    let markdown = line.starts_with('#');
    let text = line
        .trim_start_matches('#')
        .trim()
        .trim_matches(['*', '_'])
        .trim();
    let (text, colon) = match text.strip_suffix(':') {
        Some(text) => (text.trim_end_matches(['*', '_']).trim(), true),
        None => (text, false),
    };
    let bold = line.trim().starts_with("**") || line.trim().starts_with("__");
    if !(markdown || colon || bold || text.len() == line.trim().len()) {
        return None;
    }
    match text.to_lowercase().as_str() {
        "ingredients" | "ingredient list" | "you will need" | "zutaten" | "ingrédients" => {
            Some(Section::Ingredients)
        }
        "steps" | "instructions" | "method" | "directions" | "preparation" | "zubereitung"
        | "préparation" => Some(Section::Steps),
        "notes" | "note" | "tips" | "notizen" => Some(Section::Notes),
        _ => None,
    }
}

/// A list item's text without its bullet (`- `, `* `, `• `, `- [ ] `), and whether it had one.
fn strip_bullet(line: &str) -> (&str, bool) {
    let line = line.trim();
    for bullet in ["- [ ] ", "- [x] ", "* [ ] ", "- ", "* ", "+ ", "• ", "– "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return (rest.trim(), true);
        }
    }
    (line, false)
}

/// A step's text without its bullet or number (`1. `, `2) `, `Step 3:`), and whether it had
/// one.
fn strip_marker(line: &str) -> (&str, bool) {
    let (line, bulleted) = strip_bullet(line);
    if bulleted {
        return (line, true);
    }
    let after_step = match line.get(..5) {
        Some(head) if head.eq_ignore_ascii_case("step ") => line.get(5..).unwrap_or(line),
        _ => line,
    };
    let digits = after_step.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits <= 3 {
        let rest = &after_step[digits..];
        if matches!(rest, "." | ")" | ":") {
            return ("", true);
        }
        for sep in [". ", ") ", ": "] {
            if let Some(rest) = rest.strip_prefix(sep) {
                return (rest.trim(), true);
            }
        }
    }
    (line, false)
}

pub fn read(bytes: &[u8], format: Format) -> Result<ParsedImport, ImportFileError> {
    let text = std::str::from_utf8(bytes).map_err(ImportError::InvalidUtf8)?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut lines = text.lines().skip_while(|line| line.trim().is_empty());
    let title_line = lines.next().unwrap_or_default();
    let title = title_line.trim().trim_start_matches('#').trim();
    let title = title.strip_prefix("Title:").unwrap_or(title).trim();

    let mut section = Section::Description;
    let mut seen_recipe_heading = false;
    let mut description = Vec::new();
    let mut ingredient_lines = Vec::new();
    let mut steps: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    let mut step_open = false;
    for line in lines {
        if let Some(next) = heading(line) {
            section = next;
            seen_recipe_heading |= matches!(next, Section::Ingredients | Section::Steps);
            step_open = false;
            continue;
        }
        let trimmed = line.trim();
        match section {
            Section::Description => description.push(trimmed.to_owned()),
            Section::Notes => notes.push(trimmed.to_owned()),
            Section::Ingredients => {
                if trimmed.starts_with('#') {
                    continue; // a sub-heading ("## For the sauce")
                }
                let (item, _) = strip_bullet(trimmed);
                ingredient_lines.push(item.to_owned());
            }
            Section::Steps => {
                if trimmed.is_empty() {
                    step_open = false;
                    continue;
                }
                if trimmed.starts_with('#') {
                    step_open = false;
                    continue;
                }
                let (item, marked) = strip_marker(trimmed);
                match steps.last_mut() {
                    Some(last) if step_open && !marked => {
                        last.push(' ');
                        last.push_str(item);
                    }
                    _ => {
                        if !item.is_empty() {
                            steps.push(item.to_owned());
                        }
                    }
                }
                step_open = true;
            }
        }
    }
    if !seen_recipe_heading {
        return Err(ImportFileError::UnknownFormat(
            "text without an \"Ingredients\" or \"Steps\" heading".into(),
        ));
    }
    let mut warnings = Vec::new();
    let draft = RecipeDraft {
        title: title_or_untitled(title, &mut warnings),
        description: paragraphs(&description),
        ingredients: ingredient_rows(ingredient_lines.iter().map(String::as_str)),
        steps,
        notes: paragraphs(&notes),
        ..RecipeDraft::default()
    };
    let mut recipe = ParsedRecipe::new(draft);
    recipe.warnings = warnings;
    essentials_warnings(&mut recipe);
    Ok(ParsedImport {
        format,
        recipes: vec![recipe],
        skipped: Vec::new(),
        warnings: WarningGroups::default(),
    })
}

/// Lines joined into paragraphs (blank lines separate them), trimmed.
fn paragraphs(lines: &[String]) -> String {
    lines
        .split(|line| line.is_empty())
        .filter(|para| !para.is_empty())
        .map(|para| para.join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_stripped() {
        assert_eq!(strip_marker("- 2 eggs"), ("2 eggs", true));
        assert_eq!(strip_marker("1. Whisk."), ("Whisk.", true));
        assert_eq!(strip_marker("12) Bake."), ("Bake.", true));
        assert_eq!(strip_marker("Step 3: Rest."), ("Rest.", true));
        assert_eq!(strip_bullet("- [ ] salt"), ("salt", true));
        assert_eq!(strip_bullet("1.5 cups milk"), ("1.5 cups milk", false));
        assert_eq!(strip_marker("Whisk well."), ("Whisk well.", false));
        assert_eq!(strip_marker("200 g flour"), ("200 g flour", false));
        assert_eq!(
            strip_marker("1.5 hours in the oven."),
            ("1.5 hours in the oven.", false)
        );
    }

    #[test]
    fn headings_in_their_spellings() {
        assert_eq!(heading("## Ingredients"), Some(Section::Ingredients));
        assert_eq!(heading("Ingredients:"), Some(Section::Ingredients));
        assert_eq!(heading("**Method**"), Some(Section::Steps));
        assert_eq!(heading("Directions"), Some(Section::Steps));
        assert_eq!(heading("Notes"), Some(Section::Notes));
        assert_eq!(heading("Ingredients are cheap here"), None);
    }
}
