//! Paprika: a `.paprikarecipes` export is a zip whose every entry is one recipe as gzip'd JSON
//! (a single `.paprikarecipe` is one such member on its own). Fields read: `uid` (the import
//! key), `name`, `ingredients` and `directions` (newline-separated text), `description`,
//! `notes`, `servings` (free text), `prep_time` / `cook_time` / `total_time` (free text),
//! `categories`, `source_url`, `source`, `rating`, `photo_data` (base64 JPEG, attached).
//! A member whose gzip or JSON is damaged is skipped with its reason; the rest import.

use std::io::Read;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;

use super::detect::Format;
use super::safe_archive::Limits;
use super::times::read_minutes;
use super::{
    ImportFileError, ParsedImport, ParsedRecipe, PhotoRef, SkippedRecipe, WarningGroups,
    clean_tags, essentials_warnings, ingredient_rows, non_empty_lines, open_export,
    title_or_untitled, web_address,
};
use crate::model::RecipeDraft;

/// One Paprika recipe, as much of it as Larder keeps. Unknown fields are ignored; fields of
/// the wrong type fail the recipe (skipped with the reason).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PaprikaRecipe {
    uid: Option<String>,
    name: Option<String>,
    ingredients: Option<String>,
    directions: Option<String>,
    description: Option<String>,
    notes: Option<String>,
    servings: Option<String>,
    prep_time: Option<String>,
    cook_time: Option<String>,
    total_time: Option<String>,
    categories: Option<Vec<String>>,
    source_url: Option<String>,
    source: Option<String>,
    rating: Option<serde_json::Value>,
    photo_data: Option<String>,
}

/// Only the photo of a recipe, for reading it again when it is attached.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PaprikaPhoto {
    photo_data: Option<String>,
}

pub fn read_archive(
    source: super::ImportSource<'_>,
    limits: Limits,
) -> Result<ParsedImport, ImportFileError> {
    let (mut zip, entries, warnings) = open_export(source, limits)?;
    let mut recipes = Vec::with_capacity(entries.len());
    let mut skipped = Vec::new();
    for entry in entries {
        let member = zip.read(&entry)?;
        let stem = entry
            .file_name()
            .trim_end_matches(".paprikarecipe")
            .to_owned();
        // A damaged member skips its recipe; one over the caps (a gzip bomb) fails the file.
        let json =
            match zip.read_capped(flate2::read::GzDecoder::new(member.as_slice()), &entry.name) {
                Ok(json) => Ok(json),
                Err(ImportFileError::DamagedArchive(reason)) => {
                    let prefix = format!("{}: ", entry.name);
                    let reason = reason.strip_prefix(&prefix).unwrap_or(&reason);
                    Err(format!("damaged gzip data ({reason})"))
                }
                Err(other) => return Err(other),
            };
        match json.and_then(|json| parse_member(&json)) {
            Ok((mut recipe, has_photo)) => {
                if has_photo {
                    recipe.photo = Some(PhotoRef::PaprikaEntry(entry));
                }
                recipes.push(recipe);
            }
            Err(reason) => skipped.push(SkippedRecipe {
                title: stem,
                reason,
            }),
        }
    }
    if recipes.is_empty() && skipped.is_empty() {
        return Err(ImportFileError::NoRecipes {
            format: Format::Paprika.label(),
        });
    }
    Ok(ParsedImport {
        format: Format::Paprika,
        recipes,
        skipped,
        warnings,
    })
}

pub fn read_single(bytes: &[u8], limits: Limits) -> Result<ParsedImport, ImportFileError> {
    let json = gunzip(bytes, limits.entry_bytes)?;
    let paprika: PaprikaRecipe = serde_json::from_slice(&json).map_err(|err| {
        ImportFileError::UnknownFormat(format!("gzip'd data that is not a Paprika recipe ({err})"))
    })?;
    let photo = decode_photo(paprika.photo_data.as_deref());
    let mut recipe = to_recipe(paprika);
    if let Some(bytes) = photo {
        recipe.photo = Some(PhotoRef::Inline {
            file_name: "photo.jpg".into(),
            bytes,
        });
    }
    Ok(ParsedImport {
        format: Format::PaprikaRecipe,
        recipes: vec![recipe],
        skipped: Vec::new(),
        warnings: WarningGroups::default(),
    })
}

/// A member's recipe (its JSON, decompressed) and whether it has a photo.
fn parse_member(json: &[u8]) -> Result<(ParsedRecipe, bool), String> {
    let paprika: PaprikaRecipe =
        serde_json::from_slice(json).map_err(|err| format!("not a Paprika recipe ({err})"))?;
    let has_photo = paprika
        .photo_data
        .as_deref()
        .is_some_and(|data| !data.trim().is_empty());
    Ok((to_recipe(paprika), has_photo))
}

/// A recipe member's photo, read again when it is attached.
pub fn photo_of_entry(member: &[u8]) -> Result<(String, Vec<u8>), ImportFileError> {
    let json = gunzip(member, Limits::DEFAULT.entry_bytes)?;
    let photo: PaprikaPhoto = serde_json::from_slice(&json)
        .map_err(|err| ImportFileError::DamagedGzip(err.to_string()))?;
    let bytes = decode_photo(photo.photo_data.as_deref())
        .ok_or_else(|| ImportFileError::DamagedGzip("the photo is not base64".into()))?;
    Ok(("photo.jpg".into(), bytes))
}

fn decode_photo(data: Option<&str>) -> Option<Vec<u8>> {
    let data: String = data?.chars().filter(|c| !c.is_whitespace()).collect();
    if data.is_empty() {
        return None;
    }
    BASE64.decode(data).ok()
}

/// Decompresses a gzip file within `cap` bytes.
fn gunzip(bytes: &[u8], cap: u64) -> Result<Vec<u8>, ImportFileError> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(cap.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|err| ImportFileError::DamagedGzip(err.to_string()))?;
    if out.len() as u64 > cap {
        return Err(ImportFileError::EntryTooLarge {
            name: "the gzip'd recipe".into(),
            max: cap,
        });
    }
    Ok(out)
}

fn to_recipe(paprika: PaprikaRecipe) -> ParsedRecipe {
    let mut warnings = Vec::new();
    let title = title_or_untitled(paprika.name.as_deref().unwrap_or(""), &mut warnings);
    let mut draft = RecipeDraft {
        title,
        description: paprika.description.unwrap_or_default().trim().to_owned(),
        ..RecipeDraft::default()
    };
    let ingredients = paprika.ingredients.unwrap_or_default();
    draft.ingredients = ingredient_rows(ingredients.lines());
    draft.steps = non_empty_lines(&paprika.directions.unwrap_or_default());
    let servings = paprika.servings.unwrap_or_default();
    let servings = servings.trim();
    match servings.split_whitespace().next().map(str::parse::<u32>) {
        Some(Ok(n)) if servings.split_whitespace().count() <= 2 && n > 0 => {
            draft.servings = Some(n);
        }
        _ => draft.yield_text = servings.to_owned(),
    }
    draft.prep_minutes = read_minutes(paprika.prep_time.as_deref().unwrap_or(""), &mut warnings);
    draft.cook_minutes = read_minutes(paprika.cook_time.as_deref().unwrap_or(""), &mut warnings);
    draft.total_minutes = read_minutes(paprika.total_time.as_deref().unwrap_or(""), &mut warnings);
    draft.tags = clean_tags(paprika.categories.unwrap_or_default());
    let source_url = paprika.source_url.unwrap_or_default();
    draft.source_url = web_address(&source_url).unwrap_or_default();
    let mut notes = paprika.notes.unwrap_or_default().trim().to_owned();
    let source = paprika.source.unwrap_or_default();
    let source = source.trim();
    if !source.is_empty() && web_address(source).is_none_or(|url| url != draft.source_url) {
        append_note(&mut notes, &format!("Source: {source}"));
    }
    if let Some(rating) = paprika.rating.as_ref().and_then(serde_json::Value::as_u64)
        && (1..=5).contains(&rating)
    {
        append_note(&mut notes, &format!("Rating: {rating}/5"));
    }
    draft.notes = notes;
    let mut recipe = ParsedRecipe::new(draft);
    recipe.warnings = warnings;
    recipe.source_id = paprika
        .uid
        .map(|uid| uid.trim().to_lowercase())
        .filter(|uid| !uid.is_empty())
        .map(|uid| format!("paprika:{uid}"));
    essentials_warnings(&mut recipe);
    recipe
}

fn append_note(notes: &mut String, line: &str) {
    if !notes.is_empty() {
        notes.push_str("\n\n");
    }
    notes.push_str(line);
}
