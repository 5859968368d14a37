//! The one API every shell calls (Tauri commands in the apps, the wasm worker in the browser, the
//! `larder` CLI): recipes, search, attachments, import/export, the grocery list and change events.
//! Writes go to the Automerge document first, then to the materialised view the reads use.

use std::sync::{Arc, Mutex};

use automerge::{Automerge, ReadDoc, transaction::Transactable};
use autosurgeon::{Text, hydrate, reconcile};
use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::clock::Clock;
use crate::docstore::{DocStoreError, DocumentStore, heads_string};
use crate::grocery;
use crate::ingredient;
use crate::model::{
    Attachment, AttachmentDoc, GROCERY_KIND, GroceryDoc, GroceryItem, IngredientInput,
    IngredientRowDoc, RECIPE_KIND, Recipe, RecipeDoc, RecipeDraft, ValidationError, join_steps,
    validate_draft,
};
use crate::schema_org::{self, ImportError};
use crate::store::{RecipeSummary, Store, StoreError, TagCount};

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
    RecipeChanged { id: String },
    RecipeDeleted { id: String },
    GroceryChanged,
}

/// The outcome of an import: the new recipes' ids and anything the user should know.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportReport {
    pub ids: Vec<String>,
    pub warnings: Vec<String>,
}

/// The engine: a document store plus the profile database.
pub struct Larder<S: DocumentStore> {
    docs: S,
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    subscribers: Mutex<Vec<UnboundedSender<ChangeEvent>>>,
    /// Held from reading a document to writing its view row, so a refresh driven by sync can
    /// never overwrite a newer view row with an older state.
    view_writes: futures_util::lock::Mutex<()>,
}

impl<S: DocumentStore> Larder<S> {
    /// Opens the engine and repairs the view of any document left out of step by a crash.
    pub async fn open(docs: S, store: Arc<Store>, clock: Arc<dyn Clock>) -> Result<Self> {
        let larder = Larder {
            docs,
            store,
            clock,
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
        let doc = new_recipe_doc(&draft, now);
        let mut am = Automerge::new();
        am.transact(|tx| reconcile(tx, &doc))
            .map_err(|f| bad_doc("new recipe", f.error))?;
        let heads = heads_string(&am);
        let id = self.docs.create(am).await?;
        let recipe = doc.to_recipe(&id);
        self.store.write_recipe_view(&recipe, &heads)?;
        self.emit(ChangeEvent::RecipeChanged { id });
        Ok(recipe)
    }

    /// Creates many recipes (import). Every draft is validated before anything is written.
    /// Documents go to the document store in waves of concurrent creates, pipelined: each round
    /// hands wave n to the store (samod re-encodes each new document's change and writes it,
    /// partly inline, mostly on its own threads), writes wave n - 1's view rows (one transaction
    /// per wave) and builds wave n + 1's documents, on scoped helper threads where there is more
    /// than one core.
    pub async fn create_recipes(&self, drafts: &[RecipeDraft]) -> Result<Vec<Recipe>> {
        use std::future::Future;
        use std::task::Poll;
        /// Documents in flight at once: enough to keep the store busy, few enough that view rows
        /// (and change events) follow their documents closely.
        const WAVE: usize = 128;

        let drafts: Vec<RecipeDraft> = drafts
            .iter()
            .map(validate_draft)
            .collect::<std::result::Result<_, _>>()?;
        if let Some(form) = self.docs.chunk_form() {
            return self.create_recipes_as_chunks(&drafts, form).await;
        }
        let now = self.clock.now_ms();
        // ~0.3 ms of CPU for a typical recipe: automerge makes every character of the steps and
        // notes an operation, then encodes and hashes the change.
        let build = |draft: &RecipeDraft| -> Result<(RecipeDoc, String, Automerge)> {
            let doc = new_recipe_doc(draft, now);
            let mut am = Automerge::new();
            am.transact(|tx| reconcile(tx, &doc))
                .map_err(|f| bad_doc("new recipe", f.error))?;
            let heads = heads_string(&am);
            Ok((doc, heads, am))
        };
        let store = &self.store;
        let write_views = |wave: &[(Recipe, String)]| -> std::result::Result<(), StoreError> {
            let rows: Vec<crate::store::RecipeViewRow<'_>> = wave
                .iter()
                .map(|(recipe, heads)| crate::store::RecipeViewRow {
                    recipe,
                    heads: heads.as_str(),
                })
                .collect();
            store.write_recipe_views(&rows)
        };
        let parallel = std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);

        type Ids = Vec<std::result::Result<String, DocStoreError>>;
        type InFlight<'a> = (
            Vec<(RecipeDoc, String)>,
            std::pin::Pin<Box<dyn Future<Output = Ids> + 'a>>,
            Option<Ids>,
        );
        let mut made: Vec<Recipe> = Vec::with_capacity(drafts.len());
        let mut waves = drafts.chunks(WAVE);
        let mut built: Option<Vec<Result<(RecipeDoc, String, Automerge)>>> =
            waves.next().map(|wave| wave.iter().map(build).collect());
        let mut pending: Option<InFlight<'_>> = None;
        loop {
            // The wave handed over last round, once the store has given it ids.
            let mut finished = None;
            if let Some((docs, creates, ready)) = pending.take() {
                let ids = match ready {
                    Some(ids) => ids,
                    None => creates.await,
                };
                let mut wave: Vec<(Recipe, String)> = Vec::with_capacity(ids.len());
                for ((doc, heads), id) in docs.into_iter().zip(ids) {
                    wave.push((doc.to_recipe(&id?), heads));
                }
                finished = Some(wave);
            }
            // The wave built last round, to hand over now.
            let mut dispatch = None;
            if let Some(built) = built.take() {
                let mut docs = Vec::with_capacity(built.len());
                let mut ams = Vec::with_capacity(built.len());
                for result in built {
                    let (doc, heads, am) = result?;
                    docs.push((doc, heads));
                    ams.push(am);
                }
                let creates: std::pin::Pin<Box<dyn Future<Output = Ids>>> = Box::pin(
                    futures_util::future::join_all(ams.into_iter().map(|am| self.docs.create(am))),
                );
                dispatch = Some((docs, creates));
            }
            if finished.is_none() && dispatch.is_none() {
                break;
            }
            let next = waves.next().unwrap_or_default();
            let _view = match finished {
                Some(_) => Some(self.view_writes.lock().await),
                None => None,
            };
            // One round, on up to three threads natively: poll this wave's creates once (samod
            // does part of its work inline, then carries on on its own threads), write the
            // finished wave's view rows, and build the next wave.
            let views = || finished.as_deref().map_or(Ok(()), write_views);
            let mut ready = None;
            let (written, next_built) = std::future::poll_fn(|cx| {
                let mut hand_over = || {
                    if let Some((_, creates)) = dispatch.as_mut()
                        && let Poll::Ready(ids) = creates.as_mut().poll(cx)
                    {
                        ready = Some(ids);
                    }
                };
                let round = if parallel {
                    let (mine, theirs) = next.split_at(next.len() / 2);
                    std::thread::scope(|scope| {
                        let writer = finished.is_some().then(|| scope.spawn(views));
                        let builder = scope.spawn(|| theirs.iter().map(build).collect::<Vec<_>>());
                        hand_over();
                        let mut next_built: Vec<_> = mine.iter().map(build).collect();
                        let rethrow = |panic| -> ! { std::panic::resume_unwind(panic) };
                        next_built.extend(builder.join().unwrap_or_else(|p| rethrow(p)));
                        let written =
                            writer.map_or(Ok(()), |w| w.join().unwrap_or_else(|p| rethrow(p)));
                        (written, next_built)
                    })
                } else {
                    hand_over();
                    (views(), next.iter().map(build).collect())
                };
                Poll::Ready(round)
            })
            .await;
            written?;
            drop(_view);
            if let Some(wave) = finished {
                for (recipe, _) in &wave {
                    self.emit(ChangeEvent::RecipeChanged {
                        id: recipe.id.clone(),
                    });
                }
                made.extend(wave.into_iter().map(|(recipe, _)| recipe));
            }
            pending = dispatch.map(|(docs, creates)| (docs, creates, ready));
            built = (!next.is_empty()).then_some(next_built);
        }
        Ok(made)
    }

    /// `create_recipes` for stores that keep documents as `kv` chunks (see
    /// [`DocumentStore::chunk_form`]): each wave's documents are built on every core, then
    /// written with their view rows in one transaction while the next wave is built.
    async fn create_recipes_as_chunks(
        &self,
        drafts: &[RecipeDraft],
        form: crate::docstore::ChunkForm,
    ) -> Result<Vec<Recipe>> {
        /// Recipes per transaction.
        const WAVE: usize = 256;
        type Built = (Recipe, String, crate::docstore::DocumentChunk);

        let now = self.clock.now_ms();
        let build = |draft: &RecipeDraft| -> Result<Built> {
            let doc = new_recipe_doc(draft, now);
            let mut am = Automerge::new();
            am.transact(|tx| reconcile(tx, &doc))
                .map_err(|f| bad_doc("new recipe", f.error))?;
            let heads = heads_string(&am);
            let chunk = form(&am)?;
            Ok((doc.to_recipe(&chunk.id), heads, chunk))
        };
        let build_all =
            |wave: &[RecipeDraft]| -> Vec<Result<Built>> { wave.iter().map(build).collect() };
        let store = &self.store;
        let write = |wave: &[Built]| -> std::result::Result<(), StoreError> {
            let rows: Vec<crate::store::NewRecipeDocument<'_>> = wave
                .iter()
                .map(|(recipe, heads, chunk)| crate::store::NewRecipeDocument {
                    chunk_key: &chunk.key,
                    chunk: &chunk.bytes,
                    view: crate::store::RecipeViewRow { recipe, heads },
                })
                .collect();
            store.write_new_recipe_documents(&rows)
        };
        let parallel = std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
        let rethrow = |panic| -> ! { std::panic::resume_unwind(panic) };

        let mut made: Vec<Recipe> = Vec::with_capacity(drafts.len());
        let mut waves = drafts.chunks(WAVE);
        let mut ready: Option<Vec<Built>> = None;
        loop {
            let next = waves.next().unwrap_or_default();
            if ready.is_none() && next.is_empty() {
                break;
            }
            let _view = match ready {
                Some(_) => Some(self.view_writes.lock().await),
                None => None,
            };
            // One round: write the built wave and build the next (split over two threads).
            let (written, built) = if parallel {
                let (mine, theirs) = next.split_at(next.len() / 2);
                std::thread::scope(|scope| {
                    let writer = ready.as_deref().map(|wave| scope.spawn(|| write(wave)));
                    let helper = scope.spawn(|| build_all(theirs));
                    let mut built = build_all(mine);
                    built.extend(helper.join().unwrap_or_else(|p| rethrow(p)));
                    let written =
                        writer.map_or(Ok(()), |w| w.join().unwrap_or_else(|p| rethrow(p)));
                    (written, built)
                })
            } else {
                (ready.as_deref().map_or(Ok(()), write), build_all(next))
            };
            written?;
            drop(_view);
            if let Some(wave) = ready.take() {
                for (recipe, _, _) in wave {
                    self.emit(ChangeEvent::RecipeChanged {
                        id: recipe.id.clone(),
                    });
                    made.push(recipe);
                }
            }
            if !next.is_empty() {
                ready = Some(built.into_iter().collect::<Result<Vec<_>>>()?);
            }
        }
        Ok(made)
    }

    pub async fn update_recipe(&self, id: &str, draft: &RecipeDraft) -> Result<Recipe> {
        let draft = validate_draft(draft)?;
        let _view = self.view_writes.lock().await;
        let now = self.clock.now_ms();
        let doc_id = id.to_string();
        let outcome = self
            .docs
            .with_doc(id, move |am| -> Result<(RecipeDoc, String)> {
                let current = read_recipe_doc(am, &doc_id)?;
                if current.deleted {
                    return Err(LarderError::RecipeNotFound(doc_id));
                }
                let steps = join_steps(&draft.steps);
                let notes = draft.notes.clone();
                let next = apply_draft(current, &draft, now);
                am.transact(|tx| {
                    reconcile(tx, &next).map_err(|e| e.to_string())?;
                    set_text(tx, "steps", &steps)?;
                    set_text(tx, "notes", &notes)
                })
                .map_err(|f| bad_doc(&doc_id, f.error))?;
                let stored = read_recipe_doc(am, &doc_id)?;
                Ok((stored, heads_string(am)))
            })
            .await?
            .ok_or_else(|| LarderError::RecipeNotFound(id.to_string()))??;
        let recipe = outcome.0.to_recipe(id);
        self.store.write_recipe_view(&recipe, &outcome.1)?;
        self.emit(ChangeEvent::RecipeChanged { id: id.to_string() });
        Ok(recipe)
    }

    /// Deletes a recipe by setting its tombstone, so the delete syncs like any edit.
    pub async fn delete_recipe(&self, id: &str) -> Result<()> {
        let _view = self.view_writes.lock().await;
        let now = self.clock.now_ms();
        let doc_id = id.to_string();
        let (doc, heads) = self
            .docs
            .with_doc(id, move |am| -> Result<(RecipeDoc, String)> {
                let mut current = read_recipe_doc(am, &doc_id)?;
                if current.deleted {
                    return Err(LarderError::RecipeNotFound(doc_id));
                }
                current.deleted = true;
                current.updated_at = now;
                am.transact(|tx| reconcile(tx, &current))
                    .map_err(|f| bad_doc(&doc_id, f.error))?;
                Ok((current, heads_string(am)))
            })
            .await?
            .ok_or_else(|| LarderError::RecipeNotFound(id.to_string()))??;
        self.store.write_recipe_view(&doc.to_recipe(id), &heads)?;
        self.emit(ChangeEvent::RecipeDeleted { id: id.to_string() });
        Ok(())
    }

    /// A live recipe, from the view.
    pub fn get_recipe(&self, id: &str) -> Result<Recipe> {
        match self.store.get_recipe(id)? {
            Some(recipe) if !recipe.deleted => Ok(recipe),
            _ => Err(LarderError::RecipeNotFound(id.to_string())),
        }
    }

    pub fn search(&self, query: &str, limit: u32, offset: u32) -> Result<Vec<RecipeSummary>> {
        Ok(self.store.search(query, limit, offset)?)
    }

    pub fn list_tags(&self) -> Result<Vec<TagCount>> {
        Ok(self.store.list_tags()?)
    }

    // ----- attachments -----

    /// Keeps the bytes on this device under their SHA-256 and records the attachment in the
    /// recipe. Attaching the same bytes twice records them once.
    pub async fn attach_file(
        &self,
        recipe_id: &str,
        file_name: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Attachment> {
        let file_name = safe_file_name(file_name)?;
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(LarderError::AttachmentTooLarge {
                size: bytes.len(),
                max: MAX_ATTACHMENT_BYTES,
            });
        }
        self.get_recipe(recipe_id)?;
        let sha256 = hex_digest(bytes);
        let media_type = if media_type.trim().is_empty() {
            guess_media_type(&file_name).to_string()
        } else {
            media_type.trim().to_string()
        };
        self.store
            .blob_put_and_queue(&sha256, &media_type, bytes, self.clock.now_ms())?;
        let _view = self.view_writes.lock().await;
        let attachment = AttachmentDoc {
            sha256,
            file_name,
            media_type,
            size: bytes.len() as u64,
        };
        let now = self.clock.now_ms();
        let doc_id = recipe_id.to_string();
        let new_attachment = attachment.clone();
        let (doc, heads) = self
            .docs
            .with_doc(recipe_id, move |am| -> Result<(RecipeDoc, String)> {
                let mut current = read_recipe_doc(am, &doc_id)?;
                if current.deleted {
                    return Err(LarderError::RecipeNotFound(doc_id));
                }
                if !current
                    .attachments
                    .iter()
                    .any(|a| a.sha256 == new_attachment.sha256)
                {
                    current.attachments.push(new_attachment);
                    current.updated_at = now;
                    am.transact(|tx| reconcile(tx, &current))
                        .map_err(|f| bad_doc(&doc_id, f.error))?;
                }
                Ok((current, heads_string(am)))
            })
            .await?
            .ok_or_else(|| LarderError::RecipeNotFound(recipe_id.to_string()))??;
        self.store
            .write_recipe_view(&doc.to_recipe(recipe_id), &heads)?;
        self.emit(ChangeEvent::RecipeChanged {
            id: recipe_id.to_string(),
        });
        Ok(Attachment {
            sha256: attachment.sha256,
            file_name: attachment.file_name,
            media_type: attachment.media_type,
            size: attachment.size,
        })
    }

    /// The bytes of an attachment kept on this device.
    pub fn attachment_bytes(&self, sha256: &str) -> Result<Vec<u8>> {
        self.store
            .blob_get(sha256)?
            .ok_or_else(|| LarderError::BlobMissing(sha256.to_string()))
    }

    /// Finds an attachment of a recipe by file name (or hash), whether or not its bytes are on
    /// this device.
    pub fn find_attachment(&self, recipe_id: &str, name: &str) -> Result<Attachment> {
        let recipe = self.get_recipe(recipe_id)?;
        recipe
            .attachments
            .into_iter()
            .find(|a| a.file_name == name || a.sha256 == name)
            .ok_or_else(|| LarderError::AttachmentNotFound {
                recipe_id: recipe_id.to_string(),
                name: name.to_string(),
            })
    }

    /// Finds an attachment of a recipe by file name (or hash) and returns it with its bytes
    /// kept on this device ([`LarderError::BlobMissing`] if they are not here; natively,
    /// `sync::fetch_attachment` brings them from the relay).
    pub fn attachment_by_name(&self, recipe_id: &str, name: &str) -> Result<(Attachment, Vec<u8>)> {
        let attachment = self.find_attachment(recipe_id, name)?;
        let bytes = self.attachment_bytes(&attachment.sha256)?;
        Ok((attachment, bytes))
    }

    // ----- import / export -----

    /// Imports schema.org recipes from a .json or .html file's bytes.
    pub async fn import_file(&self, file_name: &str, bytes: &[u8]) -> Result<ImportReport> {
        let imported = schema_org::import_auto(file_name, bytes)?;
        let mut report = ImportReport::default();
        let mut drafts = Vec::with_capacity(imported.len());
        for recipe in imported {
            let mut draft = recipe.draft;
            draft.ingredients = recipe
                .ingredient_lines
                .iter()
                .map(|line| ingredient_input(line))
                .filter(|row| !row.name.is_empty())
                .collect();
            report.warnings.extend(recipe.warnings);
            match validate_draft(&draft) {
                Ok(valid) => drafts.push(valid),
                Err(err) => report
                    .warnings
                    .push(format!("skipped \"{}\": {err}", draft.title)),
            }
        }
        let made = self.create_recipes(&drafts).await?;
        report.ids = made.into_iter().map(|r| r.id).collect();
        Ok(report)
    }

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

    // ----- grocery list -----

    /// The id of this profile's grocery-list document, created on first use.
    pub async fn grocery_list_id(&self) -> Result<String> {
        if let Some(id) = self.store.meta_get(GROCERY_LIST_META)? {
            return Ok(id);
        }
        let mut am = Automerge::new();
        am.transact(|tx| reconcile(tx, GroceryDoc::new()))
            .map_err(|f| bad_doc("new grocery list", f.error))?;
        let heads = heads_string(&am);
        let id = self.docs.create(am).await?;
        self.store.write_grocery_view(&id, &heads, &[])?;
        self.store.meta_set(GROCERY_LIST_META, &id)?;
        Ok(id)
    }

    /// The grocery-list document in use, if one exists yet.
    pub fn current_grocery_list_id(&self) -> Result<Option<String>> {
        Ok(self.store.meta_get(GROCERY_LIST_META)?)
    }

    /// Uses an existing grocery-list document (the one the relay made for this user) from now
    /// on. Items of the list used until now are merged into it (same ids, so merging twice, or
    /// on two devices, adds nothing twice).
    pub async fn use_grocery_list(&self, list_id: &str) -> Result<()> {
        let previous = self.store.meta_get(GROCERY_LIST_META)?;
        if let Some(previous) = previous.filter(|p| p != list_id) {
            let prev_id = previous.clone();
            let items = self
                .docs
                .with_doc(&previous, move |am| read_grocery_doc(am, &prev_id))
                .await?
                .transpose()?
                .map(|list| list.items)
                .unwrap_or_default();
            if !items.is_empty() {
                let _view = self.view_writes.lock().await;
                let doc_id = list_id.to_string();
                self.docs
                    .with_doc(list_id, move |am| -> Result<()> {
                        let mut list = read_grocery_doc(am, &doc_id)?;
                        for (id, item) in items {
                            list.items.entry(id).or_insert(item);
                        }
                        am.transact(|tx| reconcile(tx, &list))
                            .map_err(|f| bad_doc(&doc_id, f.error))?;
                        Ok(())
                    })
                    .await?
                    .ok_or_else(|| LarderError::BadDocument {
                        id: list_id.to_string(),
                        reason: "the grocery list is not in the document store".into(),
                    })??;
            }
        }
        self.store.meta_set(GROCERY_LIST_META, list_id)?;
        self.rematerialize(list_id).await?;
        self.emit(ChangeEvent::GroceryChanged);
        Ok(())
    }

    pub async fn grocery_items(&self) -> Result<Vec<GroceryItem>> {
        let list = self.grocery_list_id().await?;
        Ok(self.store.grocery_items(&list)?)
    }

    /// Adds a recipe's ingredients, scaled to `servings` (default: the recipe's own), merging
    /// into unchecked items of the same name and a compatible unit.
    pub async fn add_recipe_to_grocery(
        &self,
        recipe_id: &str,
        servings: Option<f64>,
    ) -> Result<Vec<GroceryItem>> {
        let recipe = self.get_recipe(recipe_id)?;
        if let Some(s) = servings
            && (!s.is_finite() || s <= 0.0 || s > 10_000.0)
        {
            return Err(ValidationError::OutOfRange {
                field: "servings",
                max: 10_000,
            }
            .into());
        }
        let additions = grocery::additions_for_recipe(&recipe, servings);
        self.change_grocery(move |list, now| {
            for addition in additions {
                grocery::merge_addition(list, addition, now);
            }
            Ok(())
        })
        .await
    }

    /// Adds a typed line ("2 l milk") to the grocery list.
    pub async fn add_grocery_item(&self, text: &str) -> Result<Vec<GroceryItem>> {
        let addition = grocery::addition_from_text(text)?;
        self.change_grocery(move |list, now| {
            grocery::merge_addition(list, addition, now);
            Ok(())
        })
        .await
    }

    pub async fn set_grocery_checked(
        &self,
        item_id: &str,
        checked: bool,
    ) -> Result<Vec<GroceryItem>> {
        let item_id = item_id.to_string();
        self.change_grocery(move |list, _| {
            let item = list
                .items
                .get_mut(&item_id)
                .ok_or_else(|| LarderError::ItemNotFound(item_id.clone()))?;
            item.checked = checked;
            Ok(())
        })
        .await
    }

    pub async fn remove_grocery_item(&self, item_id: &str) -> Result<Vec<GroceryItem>> {
        let item_id = item_id.to_string();
        self.change_grocery(move |list, _| {
            list.items
                .remove(&item_id)
                .map(|_| ())
                .ok_or(LarderError::ItemNotFound(item_id))
        })
        .await
    }

    pub async fn clear_checked_grocery(&self) -> Result<Vec<GroceryItem>> {
        self.change_grocery(|list, _| {
            list.items.retain(|_, item| !item.checked);
            Ok(())
        })
        .await
    }

    async fn change_grocery<F>(&self, change: F) -> Result<Vec<GroceryItem>>
    where
        F: FnOnce(&mut GroceryDoc, i64) -> Result<()> + Send + 'static,
    {
        let list_id = self.grocery_list_id().await?;
        let _view = self.view_writes.lock().await;
        let now = self.clock.now_ms();
        let doc_id = list_id.clone();
        let (items, heads) = self
            .docs
            .with_doc(&list_id, move |am| -> Result<(Vec<GroceryItem>, String)> {
                let mut list = read_grocery_doc(am, &doc_id)?;
                change(&mut list, now)?;
                am.transact(|tx| reconcile(tx, &list))
                    .map_err(|f| bad_doc(&doc_id, f.error))?;
                let stored = read_grocery_doc(am, &doc_id)?;
                Ok((stored.to_items(), heads_string(am)))
            })
            .await?
            .ok_or_else(|| LarderError::BadDocument {
                id: list_id.clone(),
                reason: "the grocery list is missing from the document store".into(),
            })??;
        self.store.write_grocery_view(&list_id, &heads, &items)?;
        self.emit(ChangeEvent::GroceryChanged);
        Ok(items)
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
                if self.store.recipe_heads(id)?.as_deref() == Some(heads.as_str()) {
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
            AnyDoc::Other | AnyDoc::Unchanged => return Ok(false),
        }
        Ok(true)
    }
}

enum AnyDoc {
    Recipe(Box<RecipeDoc>, String),
    Grocery(GroceryDoc, String),
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
        _ => AnyDoc::Other,
    })
}

/// The document's `kind` marker, if it has one.
fn doc_kind(am: &Automerge) -> Option<String> {
    match am.get(automerge::ROOT, "kind") {
        Ok(Some((automerge::Value::Scalar(s), _))) => match s.as_ref() {
            automerge::ScalarValue::Str(k) => Some(k.to_string()),
            _ => None,
        },
        _ => None,
    }
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

fn new_recipe_doc(draft: &RecipeDraft, now: i64) -> RecipeDoc {
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
    };
    apply_draft(doc, draft, now)
}

/// Copies a validated draft's scalar fields and rows onto a document (text fields are set by the
/// caller: through `Text::with_value` on create, `set_text` on update).
fn apply_draft(mut doc: RecipeDoc, draft: &RecipeDraft, now: i64) -> RecipeDoc {
    doc.title = draft.title.clone();
    doc.description = draft.description.clone();
    doc.servings = draft.servings;
    doc.yield_text = draft.yield_text.clone();
    doc.prep_minutes = draft.prep_minutes;
    doc.cook_minutes = draft.cook_minutes;
    doc.total_minutes = draft.total_minutes;
    doc.tags = draft.tags.clone();
    doc.source_url = draft.source_url.clone();
    let existing: Vec<String> = doc.ingredients.iter().map(|r| r.id.clone()).collect();
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

fn hex_digest(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The last path component of a file name, refusing empty names, control characters and names
/// made only of dots.
fn safe_file_name(name: &str) -> Result<String> {
    let base = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    if base.is_empty()
        || base.chars().all(|c| c == '.')
        || base.chars().any(char::is_control)
        || base.chars().count() > 255
    {
        return Err(LarderError::BadFileName(name.to_string()));
    }
    Ok(base)
}

fn guess_media_type(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "md" => "text/markdown",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_reduced_to_a_safe_base_name() {
        assert_eq!(
            safe_file_name("../../etc/passwd").ok().as_deref(),
            Some("passwd")
        );
        assert_eq!(
            safe_file_name("C:\\x\\photo.jpg").ok().as_deref(),
            Some("photo.jpg")
        );
        assert!(safe_file_name("..").is_err());
        assert!(safe_file_name("a/").is_err());
        assert!(safe_file_name("bad\u{0}name").is_err());
    }

    #[test]
    fn sha256_is_hex() {
        assert_eq!(
            hex_digest(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
