//! Validation of user input before it reaches a document: every rule has a typed error so a UI
//! can point at the field, and nothing invalid is ever written.

use thiserror::Error;

use super::recipe::RecipeDraft;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_SHORT_TEXT_CHARS: usize = 2_000;
pub const MAX_LONG_TEXT_CHARS: usize = 100_000;
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_CHARS: usize = 50;
pub const MAX_INGREDIENTS: usize = 500;
pub const MAX_STEPS: usize = 500;
pub const MAX_MINUTES: u32 = 60 * 24 * 30;
pub const MAX_SERVINGS: u32 = 10_000;
pub const MAX_QUANTITY: f64 = 1.0e9;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum ValidationError {
    #[error("the title is empty")]
    EmptyTitle,
    #[error("the title is longer than {MAX_TITLE_CHARS} characters")]
    TitleTooLong,
    #[error("{field} is longer than {max} characters")]
    TextTooLong { field: &'static str, max: usize },
    #[error("too many {field} (at most {max})")]
    TooMany { field: &'static str, max: usize },
    #[error("{field} must be between 0 and {max}")]
    OutOfRange { field: &'static str, max: u32 },
    #[error("ingredient {row}: the quantity must be a finite number of at least 0")]
    BadQuantity { row: usize },
    #[error("ingredient {row}: the upper quantity must not be below the quantity")]
    BadQuantityRange { row: usize },
    #[error("ingredient {row}: the name is empty")]
    EmptyIngredientName { row: usize },
    #[error("the source URL must start with http:// or https://")]
    BadSourceUrl,
    #[error("a tag is empty or longer than {MAX_TAG_CHARS} characters")]
    BadTag,
    #[error("the grocery item name is empty")]
    EmptyItemName,
}

fn check_len(field: &'static str, text: &str, max: usize) -> Result<(), ValidationError> {
    if text.chars().count() > max {
        return Err(ValidationError::TextTooLong { field, max });
    }
    Ok(())
}

pub fn check_quantity(row: usize, quantity: Option<f64>) -> Result<(), ValidationError> {
    match quantity {
        Some(q) if !q.is_finite() || !(0.0..=MAX_QUANTITY).contains(&q) => {
            Err(ValidationError::BadQuantity { row })
        }
        _ => Ok(()),
    }
}

/// Checks a draft and returns it normalised (trimmed text, tags deduplicated, blank ingredient
/// rows dropped).
pub fn validate_draft(draft: &RecipeDraft) -> Result<RecipeDraft, ValidationError> {
    let mut out = draft.clone();
    out.title = draft.title.trim().to_string();
    if out.title.is_empty() {
        return Err(ValidationError::EmptyTitle);
    }
    if out.title.chars().count() > MAX_TITLE_CHARS {
        return Err(ValidationError::TitleTooLong);
    }
    out.description = draft.description.trim().to_string();
    check_len("the description", &out.description, MAX_SHORT_TEXT_CHARS)?;
    out.yield_text = draft.yield_text.trim().to_string();
    check_len("the yield", &out.yield_text, MAX_TITLE_CHARS)?;
    out.source_url = draft.source_url.trim().to_string();
    check_len("the source URL", &out.source_url, MAX_SHORT_TEXT_CHARS)?;
    if !out.source_url.is_empty() {
        let lower = out.source_url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(ValidationError::BadSourceUrl);
        }
    }
    for (field, value) in [
        ("prep minutes", out.prep_minutes),
        ("cook minutes", out.cook_minutes),
        ("total minutes", out.total_minutes),
    ] {
        if value.is_some_and(|m| m > MAX_MINUTES) {
            return Err(ValidationError::OutOfRange {
                field,
                max: MAX_MINUTES,
            });
        }
    }
    if out.servings.is_some_and(|s| s > MAX_SERVINGS) {
        return Err(ValidationError::OutOfRange {
            field: "servings",
            max: MAX_SERVINGS,
        });
    }

    let mut tags: Vec<String> = Vec::new();
    for tag in &draft.tags {
        let tag = tag.trim();
        if tag.is_empty() || tag.chars().count() > MAX_TAG_CHARS {
            return Err(ValidationError::BadTag);
        }
        if !tags.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
            tags.push(tag.to_string());
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(ValidationError::TooMany {
            field: "tags",
            max: MAX_TAGS,
        });
    }
    out.tags = tags;

    let mut rows = Vec::new();
    for (index, row) in draft.ingredients.iter().enumerate() {
        let number = index + 1;
        let mut row = row.clone();
        row.name = row.name.trim().to_string();
        row.unit = row.unit.trim().to_string();
        row.note = row.note.trim().to_string();
        if row.name.is_empty()
            && row.quantity.is_none()
            && row.unit.is_empty()
            && row.note.is_empty()
        {
            continue;
        }
        if row.name.is_empty() {
            return Err(ValidationError::EmptyIngredientName { row: number });
        }
        check_quantity(number, row.quantity)?;
        check_quantity(number, row.quantity_max)?;
        if let (Some(lo), Some(hi)) = (row.quantity, row.quantity_max)
            && hi < lo
        {
            return Err(ValidationError::BadQuantityRange { row: number });
        }
        if row.quantity.is_none() && row.quantity_max.is_some() {
            return Err(ValidationError::BadQuantityRange { row: number });
        }
        check_len("an ingredient name", &row.name, MAX_TITLE_CHARS)?;
        check_len("an ingredient unit", &row.unit, 40)?;
        check_len("an ingredient note", &row.note, MAX_TITLE_CHARS)?;
        rows.push(row);
    }
    if rows.len() > MAX_INGREDIENTS {
        return Err(ValidationError::TooMany {
            field: "ingredients",
            max: MAX_INGREDIENTS,
        });
    }
    out.ingredients = rows;

    let steps: Vec<String> = draft
        .steps
        .iter()
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .collect();
    if steps.len() > MAX_STEPS {
        return Err(ValidationError::TooMany {
            field: "steps",
            max: MAX_STEPS,
        });
    }
    check_len("the steps", &steps.join("\n"), MAX_LONG_TEXT_CHARS)?;
    out.steps = steps;
    out.notes = draft.notes.trim().to_string();
    check_len("the notes", &out.notes, MAX_LONG_TEXT_CHARS)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IngredientInput;

    fn draft(title: &str) -> RecipeDraft {
        RecipeDraft {
            title: title.to_string(),
            ..RecipeDraft::default()
        }
    }

    #[test]
    fn empty_and_oversized_titles_are_rejected() {
        assert_eq!(
            validate_draft(&draft("   ")),
            Err(ValidationError::EmptyTitle)
        );
        assert_eq!(
            validate_draft(&draft(&"x".repeat(MAX_TITLE_CHARS + 1))),
            Err(ValidationError::TitleTooLong)
        );
        assert!(validate_draft(&draft(&"é".repeat(MAX_TITLE_CHARS))).is_ok());
    }

    #[test]
    fn negative_nan_and_inverted_quantities_are_rejected() {
        for (quantity, max, expected) in [
            (Some(-1.0), None, ValidationError::BadQuantity { row: 1 }),
            (
                Some(f64::NAN),
                None,
                ValidationError::BadQuantity { row: 1 },
            ),
            (
                Some(f64::INFINITY),
                None,
                ValidationError::BadQuantity { row: 1 },
            ),
            (
                Some(3.0),
                Some(2.0),
                ValidationError::BadQuantityRange { row: 1 },
            ),
            (
                None,
                Some(2.0),
                ValidationError::BadQuantityRange { row: 1 },
            ),
        ] {
            let mut d = draft("Soup");
            d.ingredients.push(IngredientInput {
                quantity,
                quantity_max: max,
                name: "salt".into(),
                ..IngredientInput::default()
            });
            assert_eq!(validate_draft(&d), Err(expected));
        }
    }

    #[test]
    fn normalises_tags_steps_and_blank_rows() {
        let mut d = draft("  Soup ");
        d.tags = vec!["Vegan".into(), " vegan ".into(), "Quick".into()];
        d.steps = vec!["  chop\n the onion ".into(), "   ".into(), "boil".into()];
        d.ingredients = vec![IngredientInput::default()];
        let ok = validate_draft(&d).expect("valid");
        assert_eq!(ok.title, "Soup");
        assert_eq!(ok.tags, vec!["Vegan", "Quick"]);
        assert_eq!(ok.steps, vec!["chop the onion", "boil"]);
        assert!(ok.ingredients.is_empty());
    }

    #[test]
    fn bad_url_tag_and_ranges_are_rejected() {
        let mut d = draft("Soup");
        d.source_url = "javascript:alert(1)".into();
        assert_eq!(validate_draft(&d), Err(ValidationError::BadSourceUrl));
        let mut d = draft("Soup");
        d.tags = vec!["".into()];
        assert_eq!(validate_draft(&d), Err(ValidationError::BadTag));
        let mut d = draft("Soup");
        d.prep_minutes = Some(MAX_MINUTES + 1);
        assert!(matches!(
            validate_draft(&d),
            Err(ValidationError::OutOfRange { .. })
        ));
        let mut d = draft("Soup");
        d.ingredients.push(IngredientInput {
            quantity: Some(1.0),
            ..IngredientInput::default()
        });
        assert_eq!(
            validate_draft(&d),
            Err(ValidationError::EmptyIngredientName { row: 1 })
        );
    }
}
