//! schema.org JSON-LD and HTML pages, read by the existing `schema_org` reader (RecipeSage's
//! JSON-LD export is an array of Recipes; Nextcloud Cookbook's `recipe.json` is one), with its
//! warnings sorted into the report's kinds.

use super::detect::Format;
use super::{
    ImportFileError, ParsedImport, ParsedRecipe, WarningGroups, WarningKind, ingredient_rows,
    normalise,
};
use crate::schema_org::{self, ImportError, ImportedRecipe};

pub fn read(bytes: &[u8], format: Format) -> Result<ParsedImport, ImportFileError> {
    let text = std::str::from_utf8(bytes).map_err(ImportError::InvalidUtf8)?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let imported = match format {
        Format::Html => schema_org::import_html(text)?,
        _ => schema_org::import_json(text)?,
    };
    let mut warnings = WarningGroups::default();
    let recipes = imported
        .into_iter()
        .map(|recipe| to_recipe(recipe, &mut warnings))
        .collect();
    Ok(ParsedImport {
        format,
        recipes,
        skipped: Vec::new(),
        warnings,
    })
}

/// A recipe from the schema.org reader. Its warnings about the recipe stay with it; those
/// about the document (no `recipe "…":` prefix) go to the file's groups.
pub fn to_recipe(recipe: ImportedRecipe, file_warnings: &mut WarningGroups) -> ParsedRecipe {
    let mut draft = recipe.draft;
    draft.ingredients = ingredient_rows(recipe.ingredient_lines.iter().map(String::as_str));
    let mut parsed = ParsedRecipe::new(draft);
    for warning in &recipe.warnings {
        let (kind, _) = WarningKind::of_schema_org(warning);
        if warning.starts_with("recipe \"") {
            parsed.warnings.push(kind);
        } else {
            file_warnings.add(kind, &parsed.draft.title);
        }
    }
    parsed
}

/// A source id from a recipe app's own id, made unique per title so ids from two different
/// servers of the same app do not collide.
pub fn app_id(app: &str, id: &str, title: &str) -> Option<String> {
    let id = id.trim();
    (!id.is_empty()).then(|| format!("{app}:{id}#{}", normalise(title)))
}
