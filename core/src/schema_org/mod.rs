//! schema.org `Recipe` JSON-LD, the structured data recipe websites embed: importing it from
//! JSON or from a saved HTML page into drafts, and exporting a recipe as JSON-LD.
//!
//! Import is lenient: whatever shape a site emits (a bare object, arrays, `@graph`, `@type`
//! arrays, prefixed IRIs, HTML inside strings, slightly malformed JSON) yields drafts plus
//! human-readable warnings; only input holding no recipe at all is an error. Nothing here
//! panics on input, recursion is depth-capped and no clock is read (the code runs in wasm).
//!
//! - [`import`]: finding recipes in JSON-LD and mapping their fields.
//! - [`html`]: the JSON-LD blocks of an HTML page.
//! - `microdata`: a page's microdata items in JSON-LD shape.
//! - `lenient_json`: JSON with the mistakes real pages make, repaired.
//! - [`text`]: HTML-to-text cleanup and instruction splitting.
//! - [`duration`]: ISO-8601 durations.
//! - [`export`]: the JSON-LD writer.

mod duration;
mod export;
mod html;
mod import;
mod lenient_json;
mod microdata;
mod text;

#[cfg(test)]
mod tests;

pub use duration::{format_minutes_iso8601, parse_iso8601_minutes};
pub use export::export_json_ld;

use crate::model::RecipeDraft;

/// One recipe found in the input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportedRecipe {
    /// Everything but the ingredients, which are left empty: the caller parses
    /// [`ImportedRecipe::ingredient_lines`] into rows.
    pub draft: RecipeDraft,
    /// `recipeIngredient` (or legacy `ingredients`) lines: trimmed, tags stripped, entities
    /// decoded, empty lines dropped.
    pub ingredient_lines: Vec<String>,
    /// Image URLs in the order given, without duplicates.
    pub image_urls: Vec<String>,
    /// Human-readable notes on what was missing or could not be read, e.g.
    /// `recipe "Pancakes": no recipeIngredient`. Warnings about the input as a whole (a JSON-LD
    /// block that could not be parsed, JSON that needed repair) come first on the first recipe.
    pub warnings: Vec<String>,
}

/// Why nothing could be imported.
#[derive(thiserror::Error, Debug)]
pub enum ImportError {
    /// The text is not JSON, even after repairing common mistakes (or nests deeper than 128).
    #[error("not valid JSON: {0}")]
    InvalidJson(#[source] serde_json::Error),
    /// The input was read but holds no schema.org Recipe.
    #[error("no schema.org Recipe found")]
    NoRecipe,
    /// The file is not UTF-8 text.
    #[error("the file is not UTF-8 text: {0}")]
    InvalidUtf8(#[source] std::str::Utf8Error),
}

/// Imports every Recipe in a JSON-LD document: a Recipe object, an array, an `@graph` (nested
/// at any depth up to a cap), or a page node whose `mainEntity` is the recipe.
pub fn import_json(text: &str) -> Result<Vec<ImportedRecipe>, ImportError> {
    let (value, repair_warning) =
        lenient_json::parse_json_lenient(text).map_err(ImportError::InvalidJson)?;
    let mut collector = import::Collector::default();
    collector.warnings.extend(repair_warning);
    collector.add_document(&value);
    collector.finish()
}

/// Imports every Recipe in the `<script type="application/ld+json">` blocks of an HTML page,
/// or, when no block holds one, in the page's microdata (`itemtype=".../Recipe"`).
/// Blocks that are not JSON are skipped with a warning as long as some block holds a recipe.
/// A recipe without its own URL or image gets the page's canonical URL / `og:image`.
pub fn import_html(html: &str) -> Result<Vec<ImportedRecipe>, ImportError> {
    let page = html::extract(html);
    let count = page.json_ld_blocks.len();
    let mut collector = import::Collector::default();
    for (i, block) in page.json_ld_blocks.iter().enumerate() {
        match lenient_json::parse_json_lenient(block) {
            Ok((value, repair_warning)) => {
                if let Some(warning) = repair_warning {
                    collector
                        .warnings
                        .push(format!("JSON-LD block {} of {count}: {warning}", i + 1));
                }
                collector.add_document(&value);
            }
            Err(err) => collector.warnings.push(format!(
                "JSON-LD block {} of {count} skipped: not valid JSON ({err})",
                i + 1
            )),
        }
    }
    if collector.recipes.is_empty() {
        // Older pages mark the recipe up as microdata instead of JSON-LD.
        for item in microdata::items(html) {
            collector.add_document(&item);
        }
    }
    let mut recipes = collector.finish()?;
    for recipe in &mut recipes {
        if recipe.draft.source_url.is_empty()
            && let Some(url) = &page.page_url
        {
            recipe.draft.source_url = url.clone();
        }
        if recipe.image_urls.is_empty()
            && let Some(image) = &page.page_image
        {
            recipe.image_urls.push(image.clone());
        }
    }
    Ok(recipes)
}

/// Imports a file by name and content. `.json`, `.jsonld`, `.json-ld` are read as JSON and
/// `.html`, `.htm`, `.xhtml` as HTML (any case); other names are sniffed: a leading `<` means
/// HTML, anything else is tried as JSON. Content that plainly contradicts the extension (a
/// `.json` file starting with `<`, an `.html` file starting with `{` or `[`) is read as what it
/// is. A UTF-8 byte-order mark is ignored; invalid UTF-8 is an error.
pub fn import_auto(file_name: &str, bytes: &[u8]) -> Result<Vec<ImportedRecipe>, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(ImportError::InvalidUtf8)?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let first = text.trim_start().chars().next();
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let as_html = match extension.as_str() {
        "json" | "jsonld" | "json-ld" => first == Some('<'),
        "html" | "htm" | "xhtml" => !matches!(first, Some('{' | '[')),
        _ => first == Some('<'),
    };
    if as_html {
        import_html(text)
    } else {
        import_json(text)
    }
}
