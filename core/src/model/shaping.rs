//! How a recipe document is shaped from what the user typed: a new document from a validated
//! draft, and a draft's fields and ingredient rows applied onto an existing document (keeping
//! row ids, so concurrent edits of one row merge). The API's create, update, import and restore
//! all go through here, and so does the benchmark's breakdown of a create; the text fields'
//! collaborative editing (splicing into the document's Text) is the API's, in its transaction.

use autosurgeon::Text;

use super::recipe::{IngredientRowDoc, RECIPE_KIND, RecipeDoc, RecipeDraft, join_steps};

/// The document a new recipe starts as: `draft` (validated) made at `now` (ms), with the key of
/// the export it was imported from, if any. Every row gets a fresh id.
pub fn new_recipe_doc(draft: &RecipeDraft, import_key: Option<String>, now: i64) -> RecipeDoc {
    let doc = RecipeDoc {
        kind: RECIPE_KIND.to_string(),
        title: String::new(),
        description: String::new(),
        servings: None,
        yield_text: String::new(),
        prep_minutes: None,
        cook_minutes: None,
        total_minutes: None,
        tags: Vec::new(),
        source_url: String::new(),
        ingredients: Vec::new(),
        steps: Text::with_value(join_steps(&draft.steps)),
        notes: Text::with_value(&draft.notes),
        attachments: Vec::new(),
        created_at: now,
        updated_at: now,
        deleted: false,
        import_key,
    };
    apply_draft(doc, draft, now)
}

/// Copies a validated draft's scalar fields and rows onto a document (text fields are set by the
/// caller: through `Text::with_value` on create, a splice on update). A row keeps its id when
/// the document has it; others get a fresh one.
pub fn apply_draft(doc: RecipeDoc, draft: &RecipeDraft, now: i64) -> RecipeDoc {
    apply_draft_keeping(doc, draft, now, &[])
}

/// [`apply_draft`], where a row may also keep an id from `known_row_ids` (rows of an earlier
/// version being restored) besides the ids the document has now.
pub fn apply_draft_keeping(
    mut doc: RecipeDoc,
    draft: &RecipeDraft,
    now: i64,
    known_row_ids: &[String],
) -> RecipeDoc {
    doc.title = draft.title.clone();
    doc.description = draft.description.clone();
    doc.servings = draft.servings;
    doc.yield_text = draft.yield_text.clone();
    doc.prep_minutes = draft.prep_minutes;
    doc.cook_minutes = draft.cook_minutes;
    doc.total_minutes = draft.total_minutes;
    doc.tags = draft.tags.clone();
    doc.source_url = draft.source_url.clone();
    let mut existing: Vec<String> = doc.ingredients.iter().map(|r| r.id.clone()).collect();
    existing.extend(known_row_ids.iter().cloned());
    let mut used = std::collections::HashSet::new();
    doc.ingredients = draft
        .ingredients
        .iter()
        .map(|row| {
            let id = match &row.id {
                Some(id) if existing.contains(id) && used.insert(id.clone()) => id.clone(),
                _ => crate::ids::new_id(),
            };
            IngredientRowDoc {
                id,
                quantity: row.quantity,
                quantity_max: row.quantity_max,
                unit: row.unit.clone(),
                name: row.name.clone(),
                note: row.note.clone(),
            }
        })
        .collect();
    doc.updated_at = now;
    doc
}
