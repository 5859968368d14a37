//! Helpers shared by the integration tests.
#![allow(dead_code)]

use larder_core::api::ingredient_input;
use larder_core::model::RecipeDraft;

/// A draft with ingredient rows parsed from lines.
pub fn draft(title: &str, lines: &[&str]) -> RecipeDraft {
    RecipeDraft {
        title: title.to_string(),
        ingredients: lines.iter().map(|l| ingredient_input(l)).collect(),
        ..RecipeDraft::default()
    }
}
