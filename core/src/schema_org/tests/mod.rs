//! Tests of the public import/export API against the fixture files in
//! `tests/fixtures/schema_org/`, a round trip, and hostile input (garbage, deep nesting, wrong
//! types, mutated fixtures) that must give an error or warnings, never a panic.
//!
//! - `import`: each fixture and variant imported field by field
//! - `export`: the JSON-LD writer and the round trip through import
//! - `hostile`: input that must never panic

use serde_json::{Value, json};

use super::*;
use crate::model::{Recipe, RecipeDraft};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/schema_org/",
            $name
        ))
    };
}

const FIXTURES: &[(&str, &str)] = &[
    ("plain_recipe.json", fixture!("plain_recipe.json")),
    ("yoast_graph.json", fixture!("yoast_graph.json")),
    ("top_level_array.json", fixture!("top_level_array.json")),
    ("howto_sections.json", fixture!("howto_sections.json")),
    ("html_instructions.json", fixture!("html_instructions.json")),
    (
        "yield_keywords_type_array.json",
        fixture!("yield_keywords_type_array.json"),
    ),
    ("minimal_name_only.json", fixture!("minimal_name_only.json")),
    ("malformed_lenient.json", fixture!("malformed_lenient.json")),
    ("page_two_blocks.html", fixture!("page_two_blocks.html")),
];

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn only(result: Result<Vec<ImportedRecipe>, ImportError>) -> ImportedRecipe {
    match result {
        Ok(mut recipes) if recipes.len() == 1 => recipes.remove(0),
        other => panic!("expected exactly one recipe, got {other:?}"),
    }
}

mod export;
mod hostile;
mod import;
