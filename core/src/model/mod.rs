//! The data model: recipe and grocery-list documents, their UI views and validation.

pub mod grocery;
pub mod recipe;
pub mod validate;

pub use grocery::{GROCERY_KIND, GroceryDoc, GroceryItem, GroceryItemDoc};
pub use recipe::{
    Attachment, AttachmentDoc, IngredientInput, IngredientRow, IngredientRowDoc, RECIPE_KIND,
    Recipe, RecipeDoc, RecipeDraft, join_steps, split_steps,
};
pub use validate::{ValidationError, validate_draft};
