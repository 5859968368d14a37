//! A recipe's history through the API: its versions, one version as it was (read-only),
//! restoring one as a new change on top, and the recently deleted recipes. What a version is and
//! how the list is derived lives in `crate::history`.

use autosurgeon::hydrate;

use super::*;
use crate::history::{self, RESTORE_MESSAGE, RecipeVersionSummary, at_heads::AtHeads};
use crate::store::DeletedRecipe;

/// Most recipes the "Recently deleted" list shows.
pub const RECENTLY_DELETED_LIMIT: u32 = 500;

/// A restore's outcome: the recipe as it is now, the version from just before the restore and
/// the one it made (what [`Larder::undo_restore`] takes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RestoredVersion {
    pub recipe: Recipe,
    pub previous: String,
    pub restored: String,
}

impl<S: DocumentStore> Larder<S> {
    /// The versions of recipe `id` (deleted or not), newest first.
    pub async fn recipe_history(&self, id: &str) -> Result<Vec<RecipeVersionSummary>> {
        let doc_id = id.to_string();
        let device = self.device.clone();
        self.docs
            .with_doc(id, move |am| -> Result<Vec<RecipeVersionSummary>> {
                check_recipe(am, &doc_id)?;
                Ok(history::versions(am, &device))
            })
            .await?
            .ok_or_else(|| LarderError::RecipeNotFound(id.to_string()))?
    }

    /// Recipe `id` as it was at `version` (a version's heads, from [`Self::recipe_history`]).
    pub async fn recipe_version(&self, id: &str, version: &str) -> Result<Recipe> {
        let doc_id = id.to_string();
        let version = version.to_string();
        self.docs
            .with_doc(id, move |am| -> Result<Recipe> {
                check_recipe(am, &doc_id)?;
                let heads = history::parse_version(am, &version)?;
                let doc: RecipeDoc =
                    hydrate(&AtHeads::new(am, &heads)).map_err(|e| bad_doc(&doc_id, e))?;
                Ok(doc.to_recipe(&doc_id))
            })
            .await?
            .ok_or_else(|| LarderError::RecipeNotFound(id.to_string()))?
    }

    /// Makes live recipe `id` read as it did at `version`, as a new edit on top (so it syncs and
    /// merges like any edit, and restoring the returned `previous` undoes it). Its id, created
    /// time and current attachments stay; attachments of that version whose bytes are on this
    /// device are linked again. Text fields are spliced, rows keep their ids.
    pub async fn restore_version(&self, id: &str, version: &str) -> Result<RestoredVersion> {
        let old = self.recipe_version(id, version).await?;
        let draft = validate_draft(&old.to_draft())?;
        let mut relink = Vec::new();
        for a in &old.attachments {
            if self.store.blob_exists(&a.sha256)? {
                relink.push(AttachmentDoc {
                    sha256: a.sha256.clone(),
                    file_name: a.file_name.clone(),
                    media_type: a.media_type.clone(),
                    size: a.size,
                });
            }
        }
        let how = DraftWrite {
            known_row_ids: old.ingredients.iter().map(|r| r.id.clone()).collect(),
            message: Some(format!("{RESTORE_MESSAGE}{}", version.trim())),
            attachments: Some(Box::new(move |current: &[AttachmentDoc]| {
                let mut all = current.to_vec();
                for a in relink {
                    if !all.iter().any(|c| c.sha256 == a.sha256) {
                        all.push(a);
                    }
                }
                all
            })),
        };
        let (recipe, previous, restored) = self.write_draft(id, draft, how).await?;
        self.emit(ChangeEvent::RecipeChanged { id: id.to_string() });
        Ok(RestoredVersion {
            recipe,
            previous,
            restored,
        })
    }

    /// Takes a restore back: each part of the recipe the restore set (a field, the ingredient
    /// rows as a whole, the steps, the notes) and nobody has changed since goes back to what it
    /// was at `previous`; parts changed since (here or by a merged edit from another device)
    /// keep their new value. Attachments stay. A new change like any edit.
    pub async fn undo_restore(&self, id: &str, previous: &str, restored: &str) -> Result<Recipe> {
        let before = self.recipe_version(id, previous).await?.to_draft();
        let after = self.recipe_version(id, restored).await?.to_draft();
        let mut next = self.get_recipe(id)?.to_draft();
        macro_rules! back {
            ($($field:ident),*) => {$(
                if next.$field == after.$field {
                    next.$field = before.$field.clone();
                }
            )*};
        }
        back!(
            title,
            description,
            servings,
            yield_text,
            prep_minutes,
            cook_minutes,
            total_minutes,
            tags,
            source_url,
            ingredients,
            steps,
            notes
        );
        let draft = validate_draft(&next)?;
        let how = DraftWrite {
            known_row_ids: before
                .ingredients
                .iter()
                .filter_map(|r| r.id.clone())
                .collect(),
            ..DraftWrite::default()
        };
        let (recipe, _, _) = self.write_draft(id, draft, how).await?;
        self.emit(ChangeEvent::RecipeChanged { id: id.to_string() });
        Ok(recipe)
    }

    /// Deleted recipes, most recently deleted first (see `Store::deleted_recipes`).
    pub fn recently_deleted(&self) -> Result<Vec<DeletedRecipe>> {
        Ok(self.store.deleted_recipes(RECENTLY_DELETED_LIMIT)?)
    }
}

fn check_recipe(am: &Automerge, id: &str) -> Result<()> {
    if doc_kind(am).as_deref() == Some(RECIPE_KIND) {
        Ok(())
    } else {
        Err(LarderError::WrongDocumentKind {
            id: id.to_string(),
            expected: "recipe",
        })
    }
}
