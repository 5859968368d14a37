//! Import: finding schema.org `Recipe` nodes in parsed JSON-LD (top-level object, arrays,
//! `@graph`, `mainEntity`, item lists) and mapping each onto an [`ImportedRecipe`], with
//! warnings for whatever was missing, malformed or coerced. Instructions and yields are read
//! by the child modules of those names.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use self::instructions::{InstructionReader, MAX_INSTRUCTION_DEPTH};
use self::yields::read_yield;
use super::duration::parse_iso8601_minutes;
use super::text::{clean_block, clean_line, clean_lines};
use super::{ImportError, ImportedRecipe};
use crate::model::RecipeDraft;

mod instructions;
mod yields;

/// How deep the search for recipes walks into arrays and container nodes. `serde_json` refuses
/// documents nested deeper than 128 anyway; this keeps our own recursion well below that.
const MAX_WALK_DEPTH: usize = 64;
/// How deep a value is searched for text (arrays of arrays of strings…).
const MAX_TEXT_DEPTH: usize = 8;
/// Title given to a recipe that has no name.
pub(crate) const UNTITLED: &str = "Untitled recipe";

/// Keys of non-recipe nodes that may hold recipes: `@graph`, a page's `mainEntity`, list items.
const CONTAINER_KEYS: &[&str] = &["@graph", "mainEntity", "itemListElement", "item", "hasPart"];

/// Collects recipes across one or more JSON-LD documents (the blocks of one HTML page share a
/// collector so a recipe repeated in two blocks is imported once).
#[derive(Default)]
pub(crate) struct Collector {
    pub recipes: Vec<ImportedRecipe>,
    /// Warnings about the document rather than one recipe; the caller attaches them.
    pub warnings: Vec<String>,
    seen_ids: HashSet<String>,
}

impl Collector {
    /// Finds every recipe in `doc` and imports it.
    pub fn add_document(&mut self, doc: &Value) {
        let mut ids = HashMap::new();
        let mut too_deep = false;
        index_ids(doc, 0, &mut ids, &mut too_deep);
        let mut found = Vec::new();
        find_recipes(doc, 0, &mut found, &mut too_deep);
        if too_deep {
            self.warnings.push(format!(
                "parts of the JSON-LD nested deeper than {MAX_WALK_DEPTH} levels were not searched"
            ));
        }
        for node in found {
            if let Some(id) = node.get("@id").and_then(Value::as_str) {
                let id = id.trim();
                if !id.is_empty() && !self.seen_ids.insert(id.to_string()) {
                    continue;
                }
            }
            let recipe = import_recipe(node, &ids);
            let duplicate = self.recipes.iter().any(|r| {
                r.draft == recipe.draft
                    && r.ingredient_lines == recipe.ingredient_lines
                    && r.image_urls == recipe.image_urls
            });
            if !duplicate {
                self.recipes.push(recipe);
            }
        }
    }

    /// The recipes with the document warnings added to the first one, or `NoRecipe`.
    pub fn finish(self) -> Result<Vec<ImportedRecipe>, ImportError> {
        let mut recipes = self.recipes;
        let first = recipes.first_mut().ok_or(ImportError::NoRecipe)?;
        if !self.warnings.is_empty() {
            let mut warnings = self.warnings;
            warnings.append(&mut first.warnings);
            first.warnings = warnings;
        }
        Ok(recipes)
    }
}

/// Every node with an `@id` and some content besides it, for resolving `{"@id": …}` references.
fn index_ids<'a>(
    value: &'a Value,
    depth: usize,
    ids: &mut HashMap<&'a str, &'a Map<String, Value>>,
    too_deep: &mut bool,
) {
    if depth > MAX_WALK_DEPTH {
        *too_deep = true;
        return;
    }
    match value {
        Value::Array(items) => {
            for item in items {
                index_ids(item, depth + 1, ids, too_deep);
            }
        }
        Value::Object(map) => {
            if let Some(id) = map.get("@id").and_then(Value::as_str)
                && map.len() > 1
            {
                ids.entry(id.trim()).or_insert(map);
            }
            for child in map.values() {
                index_ids(child, depth + 1, ids, too_deep);
            }
        }
        _ => {}
    }
}

fn find_recipes<'a>(
    value: &'a Value,
    depth: usize,
    out: &mut Vec<&'a Map<String, Value>>,
    too_deep: &mut bool,
) {
    if depth > MAX_WALK_DEPTH {
        *too_deep = true;
        return;
    }
    match value {
        Value::Array(items) => {
            for item in items {
                find_recipes(item, depth + 1, out, too_deep);
            }
        }
        Value::Object(map) => {
            if is_recipe(map) {
                out.push(map);
                return;
            }
            for key in CONTAINER_KEYS {
                if let Some(child) = get(map, key) {
                    find_recipes(child, depth + 1, out, too_deep);
                }
            }
        }
        _ => {}
    }
}

/// A schema.org type name without its vocabulary prefix.
fn type_name(raw: &str) -> &str {
    let raw = raw.trim();
    for prefix in [
        "https://schema.org/",
        "http://schema.org/",
        "https://www.schema.org/",
        "http://www.schema.org/",
        "schema:",
    ] {
        if raw.len() >= prefix.len()
            && let (Some(head), Some(tail)) = (raw.get(..prefix.len()), raw.get(prefix.len()..))
            && head.eq_ignore_ascii_case(prefix)
        {
            return tail.trim_end_matches('/');
        }
    }
    raw
}

/// The node's types, prefixes removed.
fn types(map: &Map<String, Value>) -> Vec<&str> {
    match get(map, "@type") {
        Some(Value::String(t)) => vec![type_name(t)],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(type_name)
            .collect(),
        _ => Vec::new(),
    }
}

fn has_type(map: &Map<String, Value>, name: &str) -> bool {
    types(map).iter().any(|t| t.eq_ignore_ascii_case(name))
}

fn is_recipe(map: &Map<String, Value>) -> bool {
    has_type(map, "Recipe")
}

/// A property by its schema.org name, also when written as a full IRI or `schema:` CURIE.
fn get<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if let Some(value) = map.get(key) {
        return Some(value);
    }
    ["schema:", "http://schema.org/", "https://schema.org/"]
        .iter()
        .find_map(|prefix| map.get(&format!("{prefix}{key}")))
}

/// The first of several property names present with a non-null value, and which one it was.
fn get_any<'a>(
    map: &'a Map<String, Value>,
    keys: &[&'static str],
) -> Option<(&'a Value, &'static str)> {
    keys.iter().find_map(|&key| {
        get(map, key)
            .filter(|value| !value.is_null())
            .map(|value| (value, key))
    })
}

/// The strings in a value: strings and numbers (as written), arrays flattened, JSON-LD value
/// objects (`{"@value": …}`) unwrapped. Counts what was skipped for not being text.
fn collect_texts(value: &Value, depth: usize, out: &mut Vec<String>, skipped: &mut usize) {
    if depth > MAX_TEXT_DEPTH {
        *skipped += 1;
        return;
    }
    match value {
        Value::Null => {}
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Bool(_) => *skipped += 1,
        Value::Array(items) => {
            for item in items {
                collect_texts(item, depth + 1, out, skipped);
            }
        }
        Value::Object(map) => match map.get("@value") {
            Some(inner) => collect_texts(inner, depth + 1, out, skipped),
            None => *skipped += 1,
        },
    }
}

/// Texts of a property, with a warning when some of its value was not text.
fn texts_of(value: &Value, key: &str, warnings: &mut Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut skipped = 0;
    collect_texts(value, 0, &mut out, &mut skipped);
    if skipped > 0 {
        warnings.push(format!(
            "{key}: skipped {skipped} value(s) that are not text"
        ));
    }
    out
}

fn import_recipe(
    node: &Map<String, Value>,
    ids: &HashMap<&str, &Map<String, Value>>,
) -> ImportedRecipe {
    let mut warnings = Vec::new();
    let mut draft = RecipeDraft::default();

    // Title.
    let title = get_any(node, &["name", "headline"])
        .map(|(value, key)| texts_of(value, key, &mut warnings))
        .unwrap_or_default()
        .iter()
        .map(|t| clean_line(t))
        .find(|t| !t.is_empty());
    match title {
        Some(title) => draft.title = title,
        None => {
            draft.title = UNTITLED.to_string();
            warnings.push("no name; imported as \"Untitled recipe\"".to_string());
        }
    }

    // Description.
    if let Some(value) = get(node, "description") {
        draft.description = texts_of(value, "description", &mut warnings)
            .iter()
            .map(|t| clean_block(t))
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
    }

    // Yield.
    if let Some((value, key)) = get_any(node, &["recipeYield", "yield"]) {
        let yields: Vec<String> = texts_of(value, key, &mut warnings)
            .iter()
            .map(|t| clean_line(t))
            .filter(|t| !t.is_empty())
            .collect();
        read_yield(&yields, key, &mut draft, &mut warnings);
    }

    // Times.
    draft.prep_minutes = read_duration(node, "prepTime", &mut warnings);
    draft.cook_minutes = read_duration(node, "cookTime", &mut warnings);
    draft.total_minutes = read_duration(node, "totalTime", &mut warnings);
    if draft.total_minutes.is_none()
        && let (Some(prep), Some(cook)) = (draft.prep_minutes, draft.cook_minutes)
    {
        draft.total_minutes = prep.checked_add(cook);
    }

    // Tags.
    let mut tags: Vec<String> = Vec::new();
    let mut seen_tags: HashSet<String> = HashSet::new();
    for key in ["keywords", "recipeCategory", "recipeCuisine"] {
        let Some(value) = get(node, key) else {
            continue;
        };
        for text in texts_of(value, key, &mut warnings) {
            for part in text.split(',') {
                let tag = clean_line(part);
                if !tag.is_empty() && seen_tags.insert(tag.to_lowercase()) {
                    tags.push(tag);
                }
            }
        }
    }
    draft.tags = tags;

    // Source URL.
    draft.source_url = read_source_url(node, ids).unwrap_or_default();

    // Instructions.
    if let Some(value) = get(node, "recipeInstructions") {
        let mut reader = InstructionReader::default();
        reader.read(value, 0, ids);
        if reader.skipped > 0 {
            warnings.push(format!(
                "recipeInstructions: skipped {} item(s) that are neither text nor a HowToStep",
                reader.skipped
            ));
        }
        if reader.too_deep {
            warnings.push(format!(
                "recipeInstructions: parts nested deeper than {MAX_INSTRUCTION_DEPTH} levels were skipped"
            ));
        }
        draft.steps = reader.steps;
    }
    if draft.steps.is_empty() {
        warnings.push("no recipeInstructions".to_string());
    }

    // Ingredients.
    let mut ingredient_lines = Vec::new();
    if let Some((value, key)) = get_any(node, &["recipeIngredient", "ingredients"]) {
        let mut skipped = 0;
        read_ingredients(value, 0, &mut ingredient_lines, &mut skipped);
        if skipped > 0 {
            warnings.push(format!(
                "{key}: skipped {skipped} item(s) that are not text"
            ));
        }
    }
    if ingredient_lines.is_empty() {
        warnings.push("no recipeIngredient".to_string());
    }

    // Images.
    let mut image_urls = Vec::new();
    if let Some(value) = get_any(node, &["image", "thumbnailUrl"]).map(|(v, _)| v) {
        read_images(value, 0, ids, &mut image_urls);
    }

    let warnings = warnings
        .into_iter()
        .map(|w| format!("recipe \"{}\": {w}", draft.title))
        .collect();
    ImportedRecipe {
        draft,
        ingredient_lines,
        image_urls,
        warnings,
    }
}

fn read_duration(node: &Map<String, Value>, key: &str, warnings: &mut Vec<String>) -> Option<u32> {
    let value = get(node, key)?;
    let texts = texts_of(value, key, warnings);
    let text = texts.iter().map(|t| t.trim()).find(|t| !t.is_empty())?;
    let minutes = parse_iso8601_minutes(text);
    if minutes.is_none() {
        warnings.push(format!(
            "{key} \"{text}\" is not an ISO-8601 duration; left empty"
        ));
    }
    minutes
}

/// `url`, else `mainEntityOfPage` (a URL, or a node whose `url` or `@id` is one).
fn read_source_url(
    node: &Map<String, Value>,
    ids: &HashMap<&str, &Map<String, Value>>,
) -> Option<String> {
    let first_url = |value: &Value| -> Option<String> {
        let mut texts = Vec::new();
        let mut skipped = 0;
        collect_texts(value, 0, &mut texts, &mut skipped);
        texts
            .into_iter()
            .map(|t| t.trim().to_string())
            .find(|t| !t.is_empty())
    };
    if let Some(url) = get(node, "url").and_then(first_url) {
        return Some(url);
    }
    let page = get(node, "mainEntityOfPage")?;
    let page = match page {
        Value::Array(items) => items.first()?,
        other => other,
    };
    match page {
        Value::String(s) => {
            let s = s.trim();
            // A reference to the page node: prefer that node's own URL.
            let resolved = ids
                .get(s)
                .and_then(|node| get(node, "url"))
                .and_then(first_url);
            resolved.or_else(|| (!s.is_empty()).then(|| s.to_string()))
        }
        Value::Object(map) => {
            if let Some(url) = get(map, "url").and_then(first_url) {
                return Some(url);
            }
            let id = map.get("@id").and_then(Value::as_str)?.trim();
            let resolved = ids
                .get(id)
                .and_then(|node| get(node, "url"))
                .and_then(first_url);
            resolved.or_else(|| (!id.is_empty()).then(|| id.to_string()))
        }
        _ => None,
    }
}

fn read_ingredients(value: &Value, depth: usize, out: &mut Vec<String>, skipped: &mut usize) {
    if depth > MAX_TEXT_DEPTH {
        *skipped += 1;
        return;
    }
    match value {
        Value::Null => {}
        Value::String(s) => out.extend(clean_lines(s)),
        Value::Number(n) => out.push(n.to_string()),
        Value::Bool(_) => *skipped += 1,
        Value::Array(items) => {
            for item in items {
                read_ingredients(item, depth + 1, out, skipped);
            }
        }
        Value::Object(map) => {
            // `{"@value": …}`, or a HowToSupply / PropertyValue-like node with a text or name.
            let inner = ["@value", "text", "name"]
                .iter()
                .find_map(|key| map.get(*key).filter(|v| v.is_string()));
            match inner {
                Some(inner) => read_ingredients(inner, depth + 1, out, skipped),
                None => *skipped += 1,
            }
        }
    }
}

/// Image URLs from a string, an ImageObject (`url` or `contentUrl`), a reference to one, or an
/// array of those. Duplicates are dropped.
fn read_images(
    value: &Value,
    depth: usize,
    ids: &HashMap<&str, &Map<String, Value>>,
    out: &mut Vec<String>,
) {
    if depth > MAX_TEXT_DEPTH {
        return;
    }
    match value {
        Value::String(s) => {
            let url = s.trim();
            if !url.is_empty() && !out.iter().any(|u| u == url) {
                out.push(url.to_string());
            }
        }
        Value::Array(items) => {
            for item in items {
                read_images(item, depth + 1, ids, out);
            }
        }
        Value::Object(map) => read_image_node(map, depth, ids, out),
        _ => {}
    }
}

fn read_image_node(
    map: &Map<String, Value>,
    depth: usize,
    ids: &HashMap<&str, &Map<String, Value>>,
    out: &mut Vec<String>,
) {
    if depth > MAX_TEXT_DEPTH {
        return;
    }
    if let Some(url) = get(map, "url").or_else(|| get(map, "contentUrl")) {
        read_images(url, depth + 1, ids, out);
    } else if let Some(target) = map
        .get("@id")
        .and_then(Value::as_str)
        .and_then(|id| ids.get(id.trim()))
        && !std::ptr::eq(*target, map)
    {
        read_image_node(target, depth + 1, ids, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names() {
        assert_eq!(type_name("https://schema.org/Recipe"), "Recipe");
        assert_eq!(type_name("HTTP://schema.org/Recipe/"), "Recipe");
        assert_eq!(type_name("schema:Recipe"), "Recipe");
        assert_eq!(type_name(" Recipe "), "Recipe");
        assert_eq!(type_name("é"), "é");
    }
}
