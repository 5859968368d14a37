//! Tandoor: its default export is a zip of zips, one inner archive per recipe holding
//! `recipe.json` and an image (`image.jpg`, `.png`, `.webp`). `recipe.json` has `name`,
//! `description`, `keywords` (objects with `name`), `steps` (each with `instruction` and
//! `ingredients`: `food.name`, `unit.name`, `amount`, `note`, `is_header`, `no_amount`),
//! `working_time` / `waiting_time` (minutes), `servings`, `servings_text`, `source_url`.
//! The export carries no recipe id, so re-imports match on address and title.

use serde_json::Value;

use super::detect::Format;
use super::safe_archive::{Limits, looks_like_zip};
use super::{
    ImportFileError, ParsedImport, ParsedRecipe, PhotoRef, SkippedRecipe, WarningKind, clean_tags,
    essentials_warnings, open_export, parse_json, str_field, structured_ingredient,
    title_or_untitled, web_address,
};
use crate::model::RecipeDraft;

pub fn read(
    source: super::ImportSource<'_>,
    limits: Limits,
) -> Result<ParsedImport, ImportFileError> {
    let (mut zip, entries, mut warnings) = open_export(source, limits)?;
    let mut recipes = Vec::new();
    let mut skipped = Vec::new();
    for outer in entries {
        let inner_bytes = zip.read(&outer)?;
        if !looks_like_zip(&inner_bytes) {
            continue; // not a recipe archive
        }
        let mut inner = zip.nested(inner_bytes)?;
        for name in inner.unsafe_names() {
            warnings.add(
                WarningKind::UnsafeEntryName,
                &format!("{}: {name}", outer.name),
            );
        }
        let inner_entries = inner.entries().to_vec();
        let Some(json_entry) = inner_entries.iter().find(|e| e.name == "recipe.json") else {
            skipped.push(SkippedRecipe {
                title: outer.name.clone(),
                reason: "no recipe.json in it".into(),
            });
            continue;
        };
        let value = match parse_json(&inner.read(json_entry)?) {
            Ok(value) => value,
            Err(reason) => {
                skipped.push(SkippedRecipe {
                    title: outer.name.clone(),
                    reason,
                });
                continue;
            }
        };
        let mut recipe = to_recipe(&value);
        if let Some(image) = inner_entries.iter().find(|e| {
            e.folder().is_empty()
                && e.file_name().starts_with("image")
                && matches!(
                    e.extension().as_str(),
                    "jpg" | "jpeg" | "png" | "webp" | "gif" | "avif"
                )
        }) {
            inner.read(image)?;
            recipe.photo = Some(PhotoRef::Nested {
                outer: outer.clone(),
                inner: image.clone(),
            });
        }
        recipes.push(recipe);
    }
    if recipes.is_empty() && skipped.is_empty() {
        return Err(ImportFileError::NoRecipes {
            format: Format::Tandoor.label(),
        });
    }
    Ok(ParsedImport {
        format: Format::Tandoor,
        recipes,
        skipped,
        warnings,
    })
}

fn minutes(value: &Value, key: &str) -> Option<u32> {
    value
        .get(key)
        .and_then(Value::as_u64)
        .filter(|m| *m > 0 && *m <= u64::from(crate::model::validate::MAX_MINUTES))
        .map(|m| m as u32)
}

fn to_recipe(value: &Value) -> ParsedRecipe {
    let mut warnings = Vec::new();
    let mut draft = RecipeDraft {
        title: title_or_untitled(str_field(value, "name"), &mut warnings),
        description: str_field(value, "description").trim().to_owned(),
        ..RecipeDraft::default()
    };
    if let Some(Value::Array(steps)) = value.get("steps") {
        for step in steps {
            if let Some(Value::Array(ingredients)) = step.get("ingredients") {
                for item in ingredients {
                    if item.get("is_header").and_then(Value::as_bool) == Some(true) {
                        continue;
                    }
                    let food = item
                        .get("food")
                        .and_then(|f| f.get("name"))
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if food.trim().is_empty() {
                        continue;
                    }
                    let unit = item
                        .get("unit")
                        .and_then(|u| u.get("name"))
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    let amount = match item.get("no_amount").and_then(Value::as_bool) {
                        Some(true) => None,
                        _ => item.get("amount").and_then(Value::as_f64),
                    };
                    draft.ingredients.push(structured_ingredient(
                        amount,
                        unit,
                        food,
                        str_field(item, "note"),
                    ));
                }
            }
            draft.steps.extend(
                str_field(step, "instruction")
                    .lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty())
                    .map(str::to_owned),
            );
        }
    }
    draft.prep_minutes = minutes(value, "working_time");
    draft.cook_minutes = minutes(value, "waiting_time");
    if let (Some(prep), Some(cook)) = (draft.prep_minutes, draft.cook_minutes) {
        draft.total_minutes = prep.checked_add(cook);
    }
    draft.servings = value
        .get("servings")
        .and_then(Value::as_u64)
        .filter(|n| *n >= 1 && *n <= u64::from(crate::model::validate::MAX_SERVINGS))
        .map(|n| n as u32);
    draft.yield_text = str_field(value, "servings_text").trim().to_owned();
    if let Some(Value::Array(keywords)) = value.get("keywords") {
        draft.tags = clean_tags(
            keywords
                .iter()
                .filter_map(|k| k.get("name").and_then(Value::as_str))
                .map(str::to_owned),
        );
    }
    draft.source_url = web_address(str_field(value, "source_url")).unwrap_or_default();
    let mut recipe = ParsedRecipe::new(draft);
    recipe.warnings = warnings;
    essentials_warnings(&mut recipe);
    recipe
}
