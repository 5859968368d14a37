//! The recipe: its Automerge document shape (`RecipeDoc`), the view the UI reads (`Recipe`) and
//! the input a user edits (`RecipeDraft`).
//!
//! Short fields are scalars (last writer wins per field); steps and notes are collaborative text
//! so concurrent typing merges character by character. Ingredient rows are keyed by their id so a
//! row inserted on one device and a row edited on another never get mixed up.

use autosurgeon::{Hydrate, Reconcile, Text};
use serde::{Deserialize, Serialize};

/// The document stored in Automerge, one per recipe. The document id is the recipe id.
#[derive(Debug, Clone, Reconcile, Hydrate, PartialEq)]
pub struct RecipeDoc {
    /// Document kind marker, so a foreign document is never taken for a recipe.
    pub kind: String,
    pub title: String,
    pub description: String,
    pub servings: Option<u32>,
    pub yield_text: String,
    pub prep_minutes: Option<u32>,
    pub cook_minutes: Option<u32>,
    pub total_minutes: Option<u32>,
    pub tags: Vec<String>,
    pub source_url: String,
    pub ingredients: Vec<IngredientRowDoc>,
    /// One step per line.
    pub steps: Text,
    pub notes: Text,
    pub attachments: Vec<AttachmentDoc>,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted: bool,
    /// Where an imported recipe came from, as a key (`paprika:<uid>`, `url:<address>#<title>`…),
    /// so importing the same export again — on any device — finds it instead of making a copy.
    /// Absent on recipes made by hand and on documents older than the field (which hydrate
    /// it as `None`: every document written before it must keep opening).
    #[autosurgeon(missing = "Option::default")]
    pub import_key: Option<String>,
}

pub const RECIPE_KIND: &str = "larder.recipe";

#[derive(Debug, Clone, Reconcile, Hydrate, PartialEq)]
pub struct IngredientRowDoc {
    #[key]
    pub id: String,
    pub quantity: Option<f64>,
    pub quantity_max: Option<f64>,
    pub unit: String,
    pub name: String,
    pub note: String,
}

#[derive(Debug, Clone, Reconcile, Hydrate, PartialEq)]
pub struct AttachmentDoc {
    #[key]
    pub sha256: String,
    pub file_name: String,
    pub media_type: String,
    pub size: u64,
}

/// Whether recipe document `am` lists an attachment with this SHA-256 (the relay asks, to
/// let whoever may read the recipe read its files). Reads only the attachments.
pub fn has_attachment(am: &automerge::Automerge, sha256: &str) -> bool {
    autosurgeon::hydrate_prop::<_, Vec<AttachmentDoc>, _, _>(am, &automerge::ROOT, "attachments")
        .is_ok_and(|list| list.iter().any(|a| a.sha256 == sha256))
}

/// A recipe as the UI shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Recipe {
    pub id: String,
    pub title: String,
    pub description: String,
    pub servings: Option<u32>,
    pub yield_text: String,
    pub prep_minutes: Option<u32>,
    pub cook_minutes: Option<u32>,
    pub total_minutes: Option<u32>,
    pub tags: Vec<String>,
    pub source_url: String,
    pub ingredients: Vec<IngredientRow>,
    pub steps: Vec<String>,
    pub notes: String,
    pub attachments: Vec<Attachment>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted: bool,
    /// Where an imported recipe came from (`paprika:<uid>`, `url:<address>#<title>`…): what a
    /// re-import matches on. See [`RecipeDoc::import_key`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub import_key: Option<String>,
    /// Another user's recipe shared with this one: whose, and whether it is read-only (filled
    /// when read, never stored with the recipe).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub shared: Option<crate::store::SharedFrom>,
}

/// Builders for unit tests of code that reads recipes (scaling, grocery rules).
#[cfg(test)]
impl Recipe {
    /// "Soup" (id `r1`) with these servings and rows, everything else empty.
    pub(crate) fn with_ingredients(servings: Option<u32>, ingredients: Vec<IngredientRow>) -> Self {
        Recipe {
            id: "r1".into(),
            title: "Soup".into(),
            description: String::new(),
            servings,
            yield_text: String::new(),
            prep_minutes: None,
            cook_minutes: None,
            total_minutes: None,
            tags: vec![],
            source_url: String::new(),
            ingredients,
            steps: vec![],
            notes: String::new(),
            attachments: vec![],
            created_at: 0,
            updated_at: 0,
            deleted: false,
            import_key: None,
            shared: None,
        }
    }
}

#[cfg(test)]
impl IngredientRow {
    pub(crate) fn new(
        id: &str,
        quantity: Option<f64>,
        quantity_max: Option<f64>,
        unit: &str,
        name: &str,
    ) -> Self {
        IngredientRow {
            id: id.into(),
            quantity,
            quantity_max,
            unit: unit.into(),
            name: name.into(),
            note: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IngredientRow {
    pub id: String,
    pub quantity: Option<f64>,
    pub quantity_max: Option<f64>,
    pub unit: String,
    pub name: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Attachment {
    pub sha256: String,
    pub file_name: String,
    pub media_type: String,
    pub size: u64,
}

/// What a user edits: everything but id, attachments and timestamps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct RecipeDraft {
    pub title: String,
    pub description: String,
    pub servings: Option<u32>,
    pub yield_text: String,
    pub prep_minutes: Option<u32>,
    pub cook_minutes: Option<u32>,
    pub total_minutes: Option<u32>,
    pub tags: Vec<String>,
    pub source_url: String,
    pub ingredients: Vec<IngredientInput>,
    pub steps: Vec<String>,
    pub notes: String,
}

/// One ingredient row as edited; `id` is kept for existing rows and minted for new ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct IngredientInput {
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub id: Option<String>,
    pub quantity: Option<f64>,
    pub quantity_max: Option<f64>,
    pub unit: String,
    pub name: String,
    pub note: String,
}

impl RecipeDoc {
    pub fn to_recipe(&self, id: &str) -> Recipe {
        Recipe {
            id: id.to_string(),
            title: self.title.clone(),
            description: self.description.clone(),
            servings: self.servings,
            yield_text: self.yield_text.clone(),
            prep_minutes: self.prep_minutes,
            cook_minutes: self.cook_minutes,
            total_minutes: self.total_minutes,
            tags: self.tags.clone(),
            source_url: self.source_url.clone(),
            ingredients: self
                .ingredients
                .iter()
                .map(|row| IngredientRow {
                    id: row.id.clone(),
                    quantity: row.quantity,
                    quantity_max: row.quantity_max,
                    unit: row.unit.clone(),
                    name: row.name.clone(),
                    note: row.note.clone(),
                })
                .collect(),
            steps: split_steps(self.steps.as_str()),
            notes: self.notes.as_str().to_string(),
            attachments: self
                .attachments
                .iter()
                .map(|a| Attachment {
                    sha256: a.sha256.clone(),
                    file_name: a.file_name.clone(),
                    media_type: a.media_type.clone(),
                    size: a.size,
                })
                .collect(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            deleted: self.deleted,
            import_key: self.import_key.clone(),
            shared: None,
        }
    }
}

impl Recipe {
    /// The draft that, saved, leaves this recipe unchanged.
    pub fn to_draft(&self) -> RecipeDraft {
        RecipeDraft {
            title: self.title.clone(),
            description: self.description.clone(),
            servings: self.servings,
            yield_text: self.yield_text.clone(),
            prep_minutes: self.prep_minutes,
            cook_minutes: self.cook_minutes,
            total_minutes: self.total_minutes,
            tags: self.tags.clone(),
            source_url: self.source_url.clone(),
            ingredients: self
                .ingredients
                .iter()
                .map(|row| IngredientInput {
                    id: Some(row.id.clone()),
                    quantity: row.quantity,
                    quantity_max: row.quantity_max,
                    unit: row.unit.clone(),
                    name: row.name.clone(),
                    note: row.note.clone(),
                })
                .collect(),
            steps: self.steps.clone(),
            notes: self.notes.clone(),
        }
    }
}

/// Steps are stored one per line; blank lines are not steps.
pub fn split_steps(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn join_steps(steps: &[String]) -> String {
    steps
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};
    use autosurgeon::{hydrate, reconcile};

    use super::*;

    /// Documents written before `import_key` existed have no such key; they must still open.
    #[test]
    fn a_recipe_document_older_than_import_key_hydrates_with_none() {
        let recipe = RecipeDoc {
            kind: RECIPE_KIND.into(),
            title: "Old soup".into(),
            description: String::new(),
            servings: None,
            yield_text: String::new(),
            prep_minutes: None,
            cook_minutes: None,
            total_minutes: None,
            tags: Vec::new(),
            source_url: String::new(),
            ingredients: Vec::new(),
            steps: Text::with_value(""),
            notes: Text::with_value(""),
            attachments: Vec::new(),
            created_at: 1,
            updated_at: 1,
            deleted: false,
            import_key: Some("paprika:x".into()),
        };
        let mut doc = AutoCommit::new();
        reconcile(&mut doc, &recipe).unwrap();
        doc.delete(ROOT, "import_key").unwrap();
        let old: RecipeDoc = hydrate(&doc).unwrap();
        assert_eq!(old.title, "Old soup");
        assert_eq!(old.import_key, None);
    }
}
