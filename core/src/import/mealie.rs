//! Mealie: its recipe export is a zip with one JSON file per recipe (in a folder per recipe,
//! images in that folder, e.g. `images/original.webp`). A recipe is an object with `slug`,
//! `name`, `recipeIngredient` (objects with `quantity`, `unit.name`, `food.name`, `note`,
//! `display`/`originalText`, or plain strings), `recipeInstructions` (objects with `text`, or
//! strings), `notes` (objects with `title`, `text`), `recipeYield`, `recipeServings`,
//! `prepTime` / `performTime` / `cookTime` / `totalTime`, `tags` / `recipeCategory` (objects
//! with `name`), `orgURL`, `description` and `id` (with `slug`, the import key).

use serde_json::Value;

use super::detect::Format;
use super::safe_archive::{Entry, Limits, SafeArchive};
use super::times::read_minutes;
use super::{
    ImportFileError, ParsedImport, ParsedRecipe, PhotoRef, SkippedRecipe, clean_tags,
    essentials_warnings, ingredient_rows, open_export, parse_json, str_field,
    structured_ingredient, title_or_untitled, web_address,
};
use crate::model::{IngredientInput, RecipeDraft};

/// Whether a JSON value is a Mealie recipe (and not schema.org JSON-LD).
pub fn is_mealie_recipe(value: &Value) -> bool {
    value.get("@type").is_none()
        && value.get("slug").is_some_and(Value::is_string)
        && (value.get("recipeIngredient").is_some() || value.get("recipe_ingredient").is_some())
}

pub fn read(
    source: super::ImportSource<'_>,
    limits: Limits,
) -> Result<ParsedImport, ImportFileError> {
    let (mut zip, entries, warnings) = open_export(source, limits)?;
    let mut recipes = Vec::new();
    let mut skipped = Vec::new();
    for entry in entries.iter().filter(|e| e.extension() == "json") {
        let json = zip.read(entry)?;
        let value = match parse_json(&json) {
            Ok(value) => value,
            Err(reason) => {
                skipped.push(SkippedRecipe {
                    title: entry.name.clone(),
                    reason,
                });
                continue;
            }
        };
        if !is_mealie_recipe(&value) {
            continue; // another JSON file of the export
        }
        let mut recipe = to_recipe(&value);
        recipe.photo = photo_for(entry, &entries, &mut zip)?;
        recipes.push(recipe);
    }
    if recipes.is_empty() && skipped.is_empty() {
        return Err(ImportFileError::NoRecipes {
            format: Format::Mealie.label(),
        });
    }
    Ok(ParsedImport {
        format: Format::Mealie,
        recipes,
        skipped,
        warnings,
    })
}

/// The recipe's image: an image file in its folder or below it, `original.*` first. Read once
/// now, so a damaged or oversized image fails the file before anything is created.
fn photo_for(
    recipe: &Entry,
    entries: &[Entry],
    zip: &mut SafeArchive<'_>,
) -> Result<Option<PhotoRef>, ImportFileError> {
    let folder = recipe.folder();
    if folder.is_empty() {
        return Ok(None); // recipes side by side: no way to tell whose image is whose
    }
    let prefix = format!("{folder}/");
    let mut images: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.name.starts_with(&prefix))
        .filter(|e| {
            matches!(
                e.extension().as_str(),
                "jpg" | "jpeg" | "png" | "webp" | "gif" | "avif"
            )
        })
        .collect();
    images.sort_by_key(|e| (!e.file_name().starts_with("original"), e.name.clone()));
    let Some(image) = images.first() else {
        return Ok(None);
    };
    zip.read(image)?;
    Ok(Some(PhotoRef::Entry((*image).clone())))
}

fn names_of(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(s) => Some(s.clone()),
                Value::Object(_) => item.get("name").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn to_recipe(value: &Value) -> ParsedRecipe {
    let mut warnings = Vec::new();
    let mut draft = RecipeDraft {
        title: title_or_untitled(str_field(value, "name"), &mut warnings),
        description: str_field(value, "description").trim().to_owned(),
        ..RecipeDraft::default()
    };
    let ingredients = value
        .get("recipeIngredient")
        .or_else(|| value.get("recipe_ingredient"));
    if let Some(Value::Array(items)) = ingredients {
        draft.ingredients = items.iter().filter_map(ingredient).collect();
    }
    let instructions = value
        .get("recipeInstructions")
        .or_else(|| value.get("recipe_instructions"));
    if let Some(Value::Array(items)) = instructions {
        draft.steps = items
            .iter()
            .filter_map(|item| match item {
                Value::String(s) => Some(s.as_str()),
                _ => item.get("text").and_then(Value::as_str),
            })
            .flat_map(str::lines)
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect();
    }
    if let Some(Value::Array(notes)) = value.get("notes") {
        draft.notes = notes
            .iter()
            .filter_map(|note| {
                let title = str_field(note, "title").trim();
                let text = str_field(note, "text").trim();
                match (title.is_empty(), text.is_empty()) {
                    (_, true) => None,
                    (true, false) => Some(text.to_owned()),
                    (false, false) => Some(format!("{title}: {text}")),
                }
            })
            .collect::<Vec<_>>()
            .join("\n\n");
    }
    draft.servings = value
        .get("recipeServings")
        .and_then(Value::as_f64)
        .filter(|n| *n >= 1.0 && *n <= f64::from(crate::model::validate::MAX_SERVINGS))
        .map(|n| n.round() as u32);
    draft.yield_text = match value.get("recipeYield") {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    draft.prep_minutes = read_minutes(str_field(value, "prepTime"), &mut warnings);
    draft.cook_minutes = read_minutes(
        match str_field(value, "performTime") {
            "" => str_field(value, "cookTime"),
            perform => perform,
        },
        &mut warnings,
    );
    draft.total_minutes = read_minutes(str_field(value, "totalTime"), &mut warnings);
    let mut tags = names_of(value.get("recipeCategory"));
    tags.extend(names_of(value.get("tags")));
    draft.tags = clean_tags(tags);
    draft.source_url = web_address(str_field(value, "orgURL")).unwrap_or_default();
    let mut recipe = ParsedRecipe::new(draft);
    recipe.warnings = warnings;
    let id = str_field(value, "id").trim();
    let slug = str_field(value, "slug").trim();
    recipe.source_id = match (id.is_empty(), slug.is_empty()) {
        (false, _) => Some(format!("mealie:{}", id.to_lowercase())),
        (true, false) => Some(format!("mealie-slug:{}", slug.to_lowercase())),
        (true, true) => None,
    };
    essentials_warnings(&mut recipe);
    recipe
}

/// One ingredient row: structured when Mealie parsed it (quantity, unit, food), else its text.
fn ingredient(item: &Value) -> Option<IngredientInput> {
    if let Value::String(line) = item {
        return ingredient_rows([line.as_str()]).into_iter().next();
    }
    let food = item
        .get("food")
        .and_then(|food| food.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    if food.is_empty() {
        let text = ["originalText", "display", "note"]
            .iter()
            .map(|key| str_field(item, key).trim())
            .find(|text| !text.is_empty())?;
        return ingredient_rows([text]).into_iter().next();
    }
    let unit = item
        .get("unit")
        .and_then(|unit| unit.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let quantity = item.get("quantity").and_then(Value::as_f64);
    Some(structured_ingredient(
        quantity,
        unit,
        food,
        str_field(item, "note"),
    ))
}
