//! Nextcloud Cookbook: a zip of folders, one per recipe, each with `recipe.json` (a schema.org
//! Recipe, with Nextcloud's own `id`) and the photo as `full.jpg` (plus thumbnails, ignored).

use serde_json::Value;

use super::detect::Format;
use super::json_ld::{app_id, to_recipe};
use super::open_export;
use super::safe_archive::Limits;
use super::{ImportFileError, ParsedImport, PhotoRef, SkippedRecipe};
use crate::schema_org;

pub fn read(
    source: super::ImportSource<'_>,
    limits: Limits,
) -> Result<ParsedImport, ImportFileError> {
    let (mut zip, entries, mut warnings) = open_export(source, limits)?;
    let mut recipes = Vec::new();
    let mut skipped = Vec::new();
    for entry in entries.iter().filter(|e| e.file_name() == "recipe.json") {
        let folder = entry.folder();
        let title_hint = folder.rsplit('/').next().unwrap_or(folder).to_owned();
        let json = zip.read(entry)?;
        let text = match std::str::from_utf8(&json) {
            Ok(text) => text.strip_prefix('\u{FEFF}').unwrap_or(text),
            Err(_) => {
                skipped.push(SkippedRecipe {
                    title: title_hint,
                    reason: "recipe.json is not UTF-8 text".into(),
                });
                continue;
            }
        };
        let imported = match schema_org::import_json(text) {
            Ok(imported) => imported,
            Err(err) => {
                skipped.push(SkippedRecipe {
                    title: title_hint,
                    reason: err.to_string(),
                });
                continue;
            }
        };
        let own_id =
            serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|value| match value.get("id") {
                    Some(Value::String(id)) => Some(id.clone()),
                    Some(Value::Number(id)) => Some(id.to_string()),
                    _ => None,
                });
        let photo = entries
            .iter()
            .find(|e| e.folder() == folder && e.file_name().eq_ignore_ascii_case("full.jpg"))
            .cloned();
        if let Some(photo) = &photo {
            zip.read(photo)?;
        }
        for (n, recipe) in imported.into_iter().enumerate() {
            let mut recipe = to_recipe(recipe, &mut warnings);
            if n == 0 {
                recipe.source_id = own_id
                    .as_deref()
                    .and_then(|id| app_id("nextcloud", id, &recipe.draft.title));
                recipe.photo = photo.clone().map(PhotoRef::Entry);
            }
            recipes.push(recipe);
        }
    }
    if recipes.is_empty() && skipped.is_empty() {
        return Err(ImportFileError::NoRecipes {
            format: Format::Nextcloud.label(),
        });
    }
    Ok(ParsedImport {
        format: Format::Nextcloud,
        recipes,
        skipped,
        warnings,
    })
}
