//! The one API every shell calls (Tauri commands in the apps, the wasm worker in the browser, the
//! `larder` CLI): recipes, search, attachments, import/export, the grocery list and change events.
//! Writes go to the Automerge document first, then to the materialised view the reads use.
//! Submodules add to `Larder`: `bulk` (import's many creates), `file_import` (other apps'
//! exports and recipe files), `attachments`, `grocery_list`, `page_import` (recipes from a
//! fetched page, links kept offline).

use std::sync::{Arc, Mutex};

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ReadDoc};
use autosurgeon::{hydrate, reconcile};
use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::clock::Clock;
use crate::docstore::{DocStoreError, DocumentStore, heads_string};
use crate::grocery;
use crate::history::DeviceActor;
use crate::ingredient;
use crate::model::doc_kind;
use crate::model::{
    Attachment, AttachmentDoc, GROCERY_KIND, GroceryDoc, GroceryItem, IngredientInput, RECIPE_KIND,
    Recipe, RecipeDoc, RecipeDraft, ValidationError, join_steps, validate_draft,
};
pub(crate) use crate::model::{apply_draft_keeping, new_recipe_doc};
use crate::schema_org::{self, ImportError};
use crate::store::{RecipeSummary, Store, StoreError, TagCount};

mod adopt;
mod archive;
mod attachments;
mod bulk;
mod file_import;
mod grocery_list;
mod history;
mod household;
mod meal_plan;
mod page_import;
mod progress;
mod shared;

pub use adopt::Adoption;
pub use grocery_list::GroceryAdded;
pub use history::{RECENTLY_DELETED_LIMIT, RestoredVersion};
pub use household::{GroceryListChoice, GroceryLists, Household};
pub use meal_plan::{PlanAddition, PlanDay, PlanEntryView, PlanView};
pub use progress::ImportStage;

/// Largest file kept as an attachment.
pub const MAX_ATTACHMENT_BYTES: usize = 50 * 1024 * 1024;
const GROCERY_LIST_META: &str = "grocery_list_id";

#[derive(Debug, Error)]
pub enum LarderError {
    #[error("invalid input: {0}")]
    Invalid(#[from] ValidationError),
    #[error("no recipe with id {0}")]
    RecipeNotFound(String),
    #[error("no grocery item with id {0}")]
    ItemNotFound(String),
    #[error("you are not in a household, so there is no household grocery list")]
    NoHousehold,
    #[error("{owner} shares this recipe with you read-only; ask them to change it")]
    ReadOnly { id: String, owner: String },
    #[error("no attachment named {name:?} on recipe {recipe_id}")]
    AttachmentNotFound { recipe_id: String, name: String },
    #[error("the attachment is {size} bytes; the limit is {max} bytes")]
    AttachmentTooLarge { size: usize, max: usize },
    #[error("the file name is empty or not allowed: {0:?}")]
    BadFileName(String),
    #[error("the bytes of attachment {0} are not on this device")]
    BlobMissing(String),
    #[error("document {id} is not a {expected}")]
    WrongDocumentKind { id: String, expected: &'static str },
    #[error("document {id} could not be read: {reason}")]
    BadDocument { id: String, reason: String },
    #[error("import failed: {0}")]
    Import(#[from] ImportError),
    #[error("import failed: {0}")]
    ImportFile(#[from] crate::import::ImportFileError),
    #[error("export failed: {0}")]
    Export(String),
    #[error("{0}")]
    BadAddress(#[from] crate::page_import::AddressError),
    #[error("{0}")]
    Plan(#[from] crate::plan::PlanError),
    #[error("{0}")]
    Version(#[from] crate::history::VersionError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Docs(#[from] DocStoreError),
}

pub type Result<T, E = LarderError> = std::result::Result<T, E>;

/// What changed, for a UI to refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeEvent {
    RecipeChanged {
        id: String,
    },
    RecipeDeleted {
        id: String,
    },
    GroceryChanged,
    PlanChanged,
    /// A long import got this far (nothing changed yet that a view shows differently until it
    /// ends: views refresh on the recipe events).
    ImportProgress {
        stage: ImportStage,
        done: u32,
        total: u32,
    },
}

/// The outcome of an import (of a file or a fetched page): what it was read as, the recipes
/// made, those already there and those skipped, and warnings grouped by kind.
pub use crate::import::{ImportReport, SkippedRecipe, WarningGroup};

/// The engine: a document store plus the profile database.
pub struct Larder<S: DocumentStore> {
    docs: S,
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    /// This device's mark on the changes it makes (see `history`), and the actor this session
    /// makes recipe changes as.
    device: DeviceActor,
    actor: ActorId,
    subscribers: Mutex<Vec<UnboundedSender<ChangeEvent>>>,
    /// Held from reading a document to writing its view row, so a refresh driven by sync can
    /// never overwrite a newer view row with an older state.
    view_writes: futures_util::lock::Mutex<()>,
}

impl<S: DocumentStore> Larder<S> {
    /// Opens the engine and repairs the view of any document left out of step by a crash.
    pub async fn open(docs: S, store: Arc<Store>, clock: Arc<dyn Clock>) -> Result<Self> {
        let device = DeviceActor::for_device(&store.device_id()?);
        let actor = device.new_actor();
        let larder = Larder {
            docs,
            store,
            clock,
            device,
            actor,
            subscribers: Mutex::new(Vec::new()),
            view_writes: futures_util::lock::Mutex::new(()),
        };
        let marks = larder.store.dirty_docs()?;
        for (id, _) in &marks {
            larder.rematerialize(id).await?;
        }
        larder.store.clear_dirty(&marks)?;
        Ok(larder)
    }

    pub fn documents(&self) -> &S {
        &self.docs
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Brings every possibly-stale view row up to date and returns the marks checked, which the
    /// caller clears once the document store has flushed (see `SamodStore::stop`).
    pub async fn settle(&self) -> Result<Vec<(String, i64)>> {
        let marks = self.store.dirty_docs()?;
        for (id, _) in &marks {
            self.rematerialize(id).await?;
        }
        Ok(marks)
    }

    /// A stream of change events.
    pub fn subscribe(&self) -> UnboundedReceiver<ChangeEvent> {
        let (tx, rx) = unbounded();
        self.lock_subscribers().push(tx);
        rx
    }

    fn emit(&self, event: ChangeEvent) {
        self.lock_subscribers()
            .retain(|tx| tx.unbounded_send(event.clone()).is_ok());
    }

    fn lock_subscribers(&self) -> std::sync::MutexGuard<'_, Vec<UnboundedSender<ChangeEvent>>> {
        self.subscribers.lock().unwrap_or_else(|p| p.into_inner())
    }

    // ----- recipes -----

    pub async fn create_recipe(&self, draft: &RecipeDraft) -> Result<Recipe> {
        let draft = validate_draft(draft)?;
        let _view = self.view_writes.lock().await;
        let now = self.clock.now_ms();
        let doc = new_recipe_doc(&draft, None, now);
        let mut am = Automerge::new().with_actor(self.actor.clone());
        am.transact_with(|_| commit_at(now), |tx| reconcile(tx, &doc))
            .map_err(|f| bad_doc("new recipe", f.error))?;
        let heads = heads_string(&am);
        let id = self.docs.create(am).await?;
        let recipe = doc.to_recipe(&id);
        self.store.write_recipe_view(&recipe, &heads)?;
        self.emit(ChangeEvent::RecipeChanged { id });
        Ok(recipe)
    }

    pub async fn update_recipe(&self, id: &str, draft: &RecipeDraft) -> Result<Recipe> {
        let draft = validate_draft(draft)?;
        let recipe = self.write_draft(id, draft, DraftWrite::default()).await?.0;
        self.emit(ChangeEvent::RecipeChanged { id: id.to_string() });
        Ok(recipe)
    }

    /// Writes a validated draft onto live recipe `id` as one change (text fields spliced, so
    /// concurrent typing elsewhere survives), rewrites its view row, and returns the recipe and
    /// the heads from before and after the change. Emits nothing.
    async fn write_draft(
        &self,
        id: &str,
        draft: RecipeDraft,
        how: DraftWrite,
    ) -> Result<(Recipe, String, String)> {
        self.check_writable(id)?;
        let _view = self.view_writes.lock().await;
        let now = self.clock.now_ms();
        let doc_id = id.to_string();
        let actor = self.actor.clone();
        let outcome = self
            .docs
            .with_doc(id, move |am| -> Result<(RecipeDoc, String, String)> {
                let before = heads_string(am);
                let current = read_recipe_doc(am, &doc_id)?;
                if current.deleted {
                    return Err(LarderError::RecipeNotFound(doc_id));
                }
                let steps = join_steps(&draft.steps);
                let notes = draft.notes.clone();
                let mut next = apply_draft_keeping(current, &draft, now, &how.known_row_ids);
                if let Some(attachments) = how.attachments {
                    next.attachments = attachments(&next.attachments);
                }
                am.set_actor(actor);
                let mut options = commit_at(now);
                if let Some(message) = how.message {
                    options.set_message(message);
                }
                am.transact_with(
                    |_| options,
                    |tx| {
                        reconcile_recipe(tx, &next).map_err(|e| e.to_string())?;
                        set_text(tx, "steps", &steps)?;
                        set_text(tx, "notes", &notes)
                    },
                )
                .map_err(|f| bad_doc(&doc_id, f.error))?;
                let stored = read_recipe_doc(am, &doc_id)?;
                Ok((stored, heads_string(am), before))
            })
            .await?
            .ok_or_else(|| LarderError::RecipeNotFound(id.to_string()))??;
        let recipe = outcome.0.to_recipe(id);
        self.store.write_recipe_view(&recipe, &outcome.1)?;
        Ok((recipe, outcome.2, outcome.1))
    }

    /// Deletes a recipe by setting its tombstone, so the delete syncs like any edit.
    pub async fn delete_recipe(&self, id: &str) -> Result<()> {
        self.set_tombstone(id, true).await?;
        self.emit(ChangeEvent::RecipeDeleted { id: id.to_string() });
        Ok(())
    }

    /// Brings a deleted recipe back (the undo of [`Larder::delete_recipe`]), with every field
    /// and attachment it had; syncs like any edit.
    pub async fn restore_recipe(&self, id: &str) -> Result<Recipe> {
        let recipe = self.set_tombstone(id, false).await?;
        self.emit(ChangeEvent::RecipeChanged { id: id.to_string() });
        Ok(recipe)
    }

    /// Sets a recipe's tombstone to `deleted`; a recipe already in that state is not found
    /// (deleting twice, or restoring a live recipe, is a mistake the caller hears about).
    async fn set_tombstone(&self, id: &str, deleted: bool) -> Result<Recipe> {
        let doc_id = id.to_string();
        self.edit_recipe_doc(id, move |current| {
            if current.deleted == deleted {
                return Err(LarderError::RecipeNotFound(doc_id));
            }
            current.deleted = deleted;
            Ok(true)
        })
        .await
    }

    /// Applies `edit` to recipe `id`'s document and, when it says it changed something, stamps
    /// `updated_at` and commits; then rewrites the recipe's view row and returns the recipe.
    /// `edit` decides what a deleted recipe means for it. Emits nothing: callers say what
    /// happened.
    async fn edit_recipe_doc(
        &self,
        id: &str,
        edit: impl FnOnce(&mut RecipeDoc) -> Result<bool> + Send + 'static,
    ) -> Result<Recipe> {
        self.check_writable(id)?;
        let _view = self.view_writes.lock().await;
        let now = self.clock.now_ms();
        let doc_id = id.to_string();
        let actor = self.actor.clone();
        let (doc, heads) = self
            .docs
            .with_doc(id, move |am| -> Result<(RecipeDoc, String)> {
                let mut current = read_recipe_doc(am, &doc_id)?;
                if edit(&mut current)? {
                    current.updated_at = now;
                    am.set_actor(actor);
                    am.transact_with(|_| commit_at(now), |tx| reconcile_recipe(tx, &current))
                        .map_err(|f| bad_doc(&doc_id, f.error))?;
                }
                Ok((current, heads_string(am)))
            })
            .await?
            .ok_or_else(|| LarderError::RecipeNotFound(id.to_string()))??;
        let recipe = doc.to_recipe(id);
        self.store.write_recipe_view(&recipe, &heads)?;
        Ok(recipe)
    }

    /// A live recipe, from the view.
    pub fn get_recipe(&self, id: &str) -> Result<Recipe> {
        match self.store.get_recipe(id)? {
            Some(recipe) if !recipe.deleted => self.marked(recipe),
            _ => Err(LarderError::RecipeNotFound(id.to_string())),
        }
    }

    /// A live recipe's ingredient rows scaled to `servings` (its own when `None`), formatted.
    pub fn ingredient_lines(
        &self,
        id: &str,
        servings: Option<f64>,
    ) -> Result<Vec<crate::servings::IngredientLine>> {
        crate::servings::check_servings(servings)?;
        Ok(crate::servings::ingredient_lines(
            &self.get_recipe(id)?,
            servings,
        ))
    }

    /// The recipe as cook mode shows it: ingredients scaled to `servings` (its own when
    /// `None`), steps with their timers.
    pub fn cook_view(&self, id: &str, servings: Option<f64>) -> Result<crate::cook::CookView> {
        crate::servings::check_servings(servings)?;
        Ok(crate::cook::cook_view(&self.get_recipe(id)?, servings))
    }

    pub fn search(&self, query: &str, limit: u32, offset: u32) -> Result<Vec<RecipeSummary>> {
        self.marked_summaries(self.store.search(query, limit, offset)?)
    }

    pub fn list_tags(&self) -> Result<Vec<TagCount>> {
        Ok(self.store.list_tags()?)
    }

    // ----- import / export -----

    /// One recipe as schema.org JSON-LD.
    pub fn export_json_ld(&self, id: &str) -> Result<serde_json::Value> {
        let recipe = self.get_recipe(id)?;
        let lines: Vec<String> = recipe
            .ingredients
            .iter()
            .map(|r| ingredient::format_line(r.quantity, r.quantity_max, &r.unit, &r.name, &r.note))
            .collect();
        Ok(schema_org::export_json_ld(&recipe, &lines))
    }

    // ----- keeping the view in step -----

    /// Refreshes the view of every document id the stream yields (a document store's change
    /// notifications) until the stream ends. Runs for the life of the app; errors are logged.
    pub async fn follow_changes<St>(&self, mut changed: St)
    where
        St: futures_util::Stream<Item = String> + Unpin,
    {
        use futures_util::StreamExt;
        while let Some(id) = changed.next().await {
            if let Err(err) = self.rematerialize(&id).await {
                tracing::warn!(%err, id, "refreshing a changed document failed");
            }
        }
    }

    /// Rebuilds the view of one document from its current state if the heads it was built from
    /// differ (after sync, or after a crash). Returns whether anything was rewritten.
    pub async fn rematerialize(&self, id: &str) -> Result<bool> {
        let _view = self.view_writes.lock().await;
        let doc_id = id.to_string();
        let known = self.store.view_heads(id)?;
        let Some(state) = self
            .docs
            .with_doc(id, move |am| read_any(am, &doc_id, known.as_deref()))
            .await?
        else {
            tracing::warn!(id, "a document marked for repair is not in the store");
            return Ok(false);
        };
        match state? {
            AnyDoc::Recipe(doc, heads) => {
                if self.store.recipe_heads(id)?.as_deref() == Some(heads.as_str())
                    || self.store.share_revoked(id)?
                {
                    return Ok(false);
                }
                let recipe = doc.to_recipe(id);
                self.store.write_recipe_view(&recipe, &heads)?;
                self.emit(if recipe.deleted {
                    ChangeEvent::RecipeDeleted { id: id.to_string() }
                } else {
                    ChangeEvent::RecipeChanged { id: id.to_string() }
                });
            }
            AnyDoc::Grocery(doc, heads) => {
                if self.store.grocery_heads(id)?.as_deref() == Some(heads.as_str()) {
                    return Ok(false);
                }
                self.store.write_grocery_view(id, &heads, &doc.to_items())?;
                self.emit(ChangeEvent::GroceryChanged);
            }
            AnyDoc::Plan(doc, heads) => {
                if self.store.plan_heads(id)?.as_deref() == Some(heads.as_str()) {
                    return Ok(false);
                }
                self.store
                    .write_plan_view(id, &heads, &doc.slots, &doc.to_entries())?;
                self.emit(ChangeEvent::PlanChanged);
            }
            AnyDoc::Other | AnyDoc::Unchanged => return Ok(false),
        }
        Ok(true)
    }
}

enum AnyDoc {
    Recipe(Box<RecipeDoc>, String),
    Grocery(GroceryDoc, String),
    Plan(Box<crate::model::PlanDoc>, String),
    /// Its heads are the ones the view was built from.
    Unchanged,
    Other,
}

/// Reads a document for the view, skipping the (costly) hydration when the view was built from
/// these very heads.
fn read_any(am: &Automerge, id: &str, known_heads: Option<&str>) -> Result<AnyDoc> {
    let heads = heads_string(am);
    if known_heads == Some(heads.as_str()) {
        return Ok(AnyDoc::Unchanged);
    }
    Ok(match doc_kind(am).as_deref() {
        Some(RECIPE_KIND) => AnyDoc::Recipe(Box::new(read_recipe_doc(am, id)?), heads),
        Some(GROCERY_KIND) => AnyDoc::Grocery(read_grocery_doc(am, id)?, heads),
        Some(crate::model::PLAN_KIND) => {
            AnyDoc::Plan(Box::new(meal_plan::read_plan_doc(am, id)?), heads)
        }
        _ => AnyDoc::Other,
    })
}

/// Hydrates a document after checking its kind marker, so a foreign document is reported as
/// such rather than as a decoding failure.
fn read_doc<T: autosurgeon::Hydrate>(
    am: &Automerge,
    id: &str,
    kind: &str,
    expected: &'static str,
) -> Result<T> {
    if doc_kind(am).as_deref() != Some(kind) {
        return Err(LarderError::WrongDocumentKind {
            id: id.to_string(),
            expected,
        });
    }
    hydrate(am).map_err(|e| bad_doc(id, e))
}

fn read_recipe_doc(am: &Automerge, id: &str) -> Result<RecipeDoc> {
    read_doc(am, id, RECIPE_KIND, "recipe")
}

/// Reconciles an edited recipe into the transaction `tx`. Its text fields (steps, notes: Text
/// objects edited with [`set_text`]) are taken as `tx` sees them, unchanged: hydrated outside
/// the transaction, autosurgeon's Text could record heads other than the transaction's after a
/// merge and refuse the whole edit as "stale" (found by the convergence property test).
fn reconcile_recipe(
    tx: &mut automerge::transaction::Transaction<'_>,
    doc: &RecipeDoc,
) -> std::result::Result<(), autosurgeon::ReconcileError> {
    let fresh: RecipeDoc = match hydrate(&*tx) {
        Ok(fresh) => fresh,
        // A document that is not (yet) a recipe: nothing to keep.
        Err(_) => return reconcile(tx, doc),
    };
    let mut doc = doc.clone();
    doc.steps = fresh.steps;
    doc.notes = fresh.notes;
    reconcile(tx, &doc)
}

fn read_grocery_doc(am: &Automerge, id: &str) -> Result<GroceryDoc> {
    read_doc(am, id, GROCERY_KIND, "grocery list")
}

fn bad_doc(id: &str, err: impl std::fmt::Display) -> LarderError {
    LarderError::BadDocument {
        id: id.to_string(),
        reason: err.to_string(),
    }
}

/// Replaces a text object's content with the smallest edit (automerge diffs by grapheme), so
/// concurrent edits elsewhere in the text survive.
fn set_text(
    tx: &mut automerge::transaction::Transaction<'_>,
    prop: &str,
    value: &str,
) -> Result<(), String> {
    match tx.get(automerge::ROOT, prop).map_err(|e| e.to_string())? {
        Some((automerge::Value::Object(automerge::ObjType::Text), obj)) => {
            tx.update_text(&obj, value).map_err(|e| e.to_string())
        }
        _ => {
            let obj = tx
                .put_object(automerge::ROOT, prop, automerge::ObjType::Text)
                .map_err(|e| e.to_string())?;
            tx.update_text(&obj, value).map_err(|e| e.to_string())
        }
    }
}

/// How a change made at `now` (ms) is committed: with that time, so a recipe's history can say
/// when (see `history`).
fn commit_at(now: i64) -> CommitOptions {
    CommitOptions::default().with_time(now)
}

/// Attachments to write: from those the recipe has now.
type AttachmentsFrom = Box<dyn FnOnce(&[AttachmentDoc]) -> Vec<AttachmentDoc> + Send>;

/// What [`Larder::write_draft`] does besides writing the draft.
#[derive(Default)]
struct DraftWrite {
    /// Row ids the draft may keep besides the document's current ones.
    known_row_ids: Vec<String>,
    /// The change's message.
    message: Option<String>,
    attachments: Option<AttachmentsFrom>,
}

/// An ingredient row from a free-text line.
pub fn ingredient_input(line: &str) -> IngredientInput {
    let parsed = ingredient::parse_line(line);
    IngredientInput {
        id: None,
        quantity: parsed.quantity,
        quantity_max: parsed.quantity_max,
        unit: parsed.unit,
        name: parsed.name,
        note: parsed.note,
    }
}
