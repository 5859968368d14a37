//! The data model: recipe, grocery-list and meal-plan documents, their UI views, validation, and how a
//! draft shapes a recipe document (`shaping`).

pub mod grocery;
pub mod plan;
pub mod recipe;
pub mod shaping;
pub mod validate;

pub use grocery::{GROCERY_KIND, GroceryDoc, GroceryItem, GroceryItemDoc};
pub use plan::{DEFAULT_SLOTS, PLAN_KIND, PlanDoc, PlanEntry, PlanEntryDoc, PlanSlotDoc};
pub use recipe::{
    Attachment, AttachmentDoc, IngredientInput, IngredientRow, IngredientRowDoc, RECIPE_KIND,
    Recipe, RecipeDoc, RecipeDraft, has_attachment, join_steps, split_steps,
};
pub use shaping::{apply_draft, apply_draft_keeping, new_recipe_doc};
pub use validate::{ValidationError, validate_draft};

/// A document's `kind` marker (`larder.recipe`, `larder.grocery`, `larder.plan`), if it has one.
pub fn doc_kind(am: &automerge::Automerge) -> Option<String> {
    use automerge::ReadDoc;
    match am.get(automerge::ROOT, "kind") {
        Ok(Some((automerge::Value::Scalar(s), _))) => match s.as_ref() {
            automerge::ScalarValue::Str(k) => Some(k.to_string()),
            _ => None,
        },
        _ => None,
    }
}
