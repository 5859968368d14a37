//! Bulk creation of recipes (import): `Larder::create_recipes`, in waves — through the document
//! store's own creates, or, for stores that keep documents as `kv` chunks, written straight into
//! the profile together with their view rows.

use automerge::Automerge;
use autosurgeon::reconcile;

use super::{ChangeEvent, Larder, Result, bad_doc, commit_at, new_recipe_doc, validate_draft};

/// A recipe to create in bulk: a validated draft and, for an import, where it came from.
pub(crate) struct NewRecipe {
    pub draft: RecipeDraft,
    pub import_key: Option<String>,
}
use crate::docstore::{DocStoreError, DocumentStore, heads_string};
use crate::model::{Recipe, RecipeDoc, RecipeDraft};
use crate::store::StoreError;

impl<S: DocumentStore> Larder<S> {
    /// Creates many recipes (import). Every draft is validated before anything is written.
    /// Documents go to the document store in waves of concurrent creates, pipelined: each round
    /// hands wave n to the store (samod re-encodes each new document's change and writes it,
    /// partly inline, mostly on its own threads), writes wave n - 1's view rows (one transaction
    /// per wave) and builds wave n + 1's documents, on scoped helper threads where there is more
    /// than one core.
    pub async fn create_recipes(&self, drafts: &[RecipeDraft]) -> Result<Vec<Recipe>> {
        let recipes: Vec<NewRecipe> = drafts
            .iter()
            .map(|draft| {
                validate_draft(draft).map(|draft| NewRecipe {
                    draft,
                    import_key: None,
                })
            })
            .collect::<std::result::Result<_, _>>()?;
        self.create_new_recipes(&recipes).await
    }

    /// [`Larder::create_recipes`] for drafts already validated, each with its import key.
    pub(crate) async fn create_new_recipes(&self, drafts: &[NewRecipe]) -> Result<Vec<Recipe>> {
        use std::future::Future;
        use std::task::Poll;
        /// Documents in flight at once: enough to keep the store busy, few enough that view rows
        /// (and change events) follow their documents closely.
        const WAVE: usize = 128;

        if let Some(form) = self.docs.chunk_form() {
            return self.create_recipes_as_chunks(drafts, form).await;
        }
        let now = self.clock.now_ms();
        // ~0.3 ms of CPU for a typical recipe: automerge makes every character of the steps and
        // notes an operation, then encodes and hashes the change.
        let actor = &self.actor;
        let build = |new: &NewRecipe| -> Result<(RecipeDoc, String, Automerge)> {
            let doc = new_recipe_doc(&new.draft, new.import_key.clone(), now);
            let mut am = Automerge::new().with_actor(actor.clone());
            am.transact_with(|_| commit_at(now), |tx| reconcile(tx, &doc))
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
        drafts: &[NewRecipe],
        form: crate::docstore::ChunkForm,
    ) -> Result<Vec<Recipe>> {
        /// Recipes per transaction.
        const WAVE: usize = 256;
        type Built = (Recipe, String, crate::docstore::DocumentChunk);

        let now = self.clock.now_ms();
        let actor = &self.actor;
        let build = |new: &NewRecipe| -> Result<Built> {
            let doc = new_recipe_doc(&new.draft, new.import_key.clone(), now);
            let mut am = Automerge::new().with_actor(actor.clone());
            am.transact_with(|_| commit_at(now), |tx| reconcile(tx, &doc))
                .map_err(|f| bad_doc("new recipe", f.error))?;
            let heads = heads_string(&am);
            let chunk = form(&am)?;
            Ok((doc.to_recipe(&chunk.id), heads, chunk))
        };
        let build_all =
            |wave: &[NewRecipe]| -> Vec<Result<Built>> { wave.iter().map(build).collect() };
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
}
