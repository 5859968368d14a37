//! The import benchmark: recipes per second through the real API (`profile::open` on a temp
//! directory, samod over SQLite on disk, `Larder::create_recipes` in import-sized batches), the
//! comparator of one `create_recipe` call (one document, one view transaction) per recipe, and a
//! breakdown of what building one recipe's Automerge document costs, stage by stage.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{Automerge, ReadDoc};
use autosurgeon::{Text, reconcile};
use larder_core::model::{RecipeDoc, RecipeDraft, new_recipe_doc, validate_draft};
use larder_core::profile;

/// Drafts per `create_recipes` call, as an import of a large file would hand them over.
pub const BATCH: usize = 500;

/// Mean cost per document of each stage of building it, in microseconds.
#[derive(Debug, Clone)]
pub struct Breakdown {
    pub docs: usize,
    pub stages: Vec<(&'static str, f64)>,
    /// Operations in one document, on average.
    pub ops: f64,
    /// Bytes of the one change samod stores for a new document, on average.
    pub change_bytes: f64,
}

impl Breakdown {
    pub fn total_create_us(&self) -> f64 {
        self.stages
            .iter()
            .filter(|(name, _)| name.starts_with('+'))
            .map(|(_, us)| us)
            .sum()
    }
}

fn per_doc(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e6 / n as f64
}

/// Times the stages of making `drafts`' documents the way `create_recipes` and samod do:
/// `Automerge::new` (a random actor), reconciling the `RecipeDoc` in a transaction, committing
/// it (encoding and hashing the change), reading the heads, and the change bytes samod stores.
/// `save()` (a whole compressed document, which samod does not do for a new document) is
/// timed for reference, and so is the same document without its two text fields.
pub fn automerge_breakdown(drafts: &[RecipeDraft]) -> Result<Breakdown> {
    let valid: Vec<RecipeDraft> = drafts
        .iter()
        .map(validate_draft)
        .collect::<Result<_, _>>()?;
    let docs: Vec<RecipeDoc> = valid
        .iter()
        .map(|d| new_recipe_doc(d, None, 1_700_000_000_000))
        .collect();
    let n = docs.len();

    let t = Instant::now();
    let mut ams: Vec<Automerge> = (0..n).map(|_| Automerge::new()).collect();
    let new_cost = t.elapsed();

    let mut reconcile_cost = Duration::ZERO;
    let mut commit_cost = Duration::ZERO;
    for (am, doc) in ams.iter_mut().zip(&docs) {
        let t = Instant::now();
        let mut tx = am.transaction();
        reconcile(&mut tx, doc).context("reconcile")?;
        let t2 = Instant::now();
        tx.commit_with(CommitOptions::default());
        commit_cost += t2.elapsed();
        reconcile_cost += t2 - t;
    }

    let t = Instant::now();
    for am in &ams {
        std::hint::black_box(larder_core::docstore::heads_string(am));
    }
    let heads_cost = t.elapsed();

    let t = Instant::now();
    let mut change_bytes = 0usize;
    for am in &ams {
        for change in am.get_changes(&[]) {
            change_bytes += change.raw_bytes().len();
        }
    }
    let changes_cost = t.elapsed();

    let t = Instant::now();
    for am in &ams {
        std::hint::black_box(am.save());
    }
    let save_cost = t.elapsed();

    let ops: usize = ams.iter().map(|am| am.stats().num_ops as usize).sum();

    // The same documents without steps and notes: what the text fields cost.
    let t = Instant::now();
    for doc in &docs {
        let mut plain = doc.clone();
        plain.steps = Text::with_value("");
        plain.notes = Text::with_value("");
        let mut am = Automerge::new();
        am.transact(|tx| reconcile(tx, &plain))
            .map_err(|f| anyhow::anyhow!("{}", f.error))?;
        std::hint::black_box(am.get_heads());
    }
    let no_text_cost = t.elapsed();

    // One character-by-character text edit versus one splice of the whole text.
    let text: String = docs
        .iter()
        .take(200)
        .map(|d| d.steps.as_str().to_string())
        .collect();
    let t = Instant::now();
    let mut am = Automerge::new();
    am.transact(|tx| -> Result<(), automerge::AutomergeError> {
        let obj = tx.put_object(automerge::ROOT, "t", automerge::ObjType::Text)?;
        tx.splice_text(&obj, 0, 0, &text)?;
        Ok(())
    })
    .map_err(|f| anyhow::anyhow!("{}", f.error))?;
    let splice_cost = t.elapsed();
    let chars = am.length(
        am.get(automerge::ROOT, "t")?
            .map(|(_, id)| id)
            .context("text")?,
    );

    Ok(Breakdown {
        docs: n,
        stages: vec![
            ("+ Automerge::new (random actor id)", per_doc(new_cost, n)),
            (
                "+ reconcile RecipeDoc into a transaction",
                per_doc(reconcile_cost, n),
            ),
            (
                "+ commit (encode + hash the change)",
                per_doc(commit_cost, n),
            ),
            ("+ heads string", per_doc(heads_cost, n)),
            (
                "+ get_changes + raw bytes (what samod stores)",
                per_doc(changes_cost, n),
            ),
            (
                "  save() whole document (reference; samod skips it)",
                per_doc(save_cost, n),
            ),
            (
                "  new + reconcile + commit without steps/notes text",
                per_doc(no_text_cost, n),
            ),
            (
                "  splice_text per 1,000 characters",
                splice_cost.as_secs_f64() * 1e6 / chars.max(1) as f64 * 1000.0,
            ),
        ],
        ops: ops as f64 / n as f64,
        change_bytes: change_bytes as f64 / n as f64,
    })
}

/// What an import run measured.
#[derive(Debug, Clone)]
pub struct ImportRun {
    pub recipes: usize,
    /// From the first `create_recipes` call to the last one returning.
    pub create: Duration,
    /// `Larder::close` after it (zero if the session went on).
    pub close: Duration,
}

impl ImportRun {
    pub fn rate(&self) -> f64 {
        self.recipes as f64 / self.create.as_secs_f64()
    }
}

/// Imports each part into the profile in `dir` (created if new) through `create_recipes`,
/// `BATCH` drafts per call, all in one session, then closes it (leaving a clean profile for the
/// open benchmark). The last run carries the close time.
pub async fn import_batched(dir: &Path, parts: &[&[RecipeDraft]]) -> Result<Vec<ImportRun>> {
    let larder = profile::open(dir)
        .await
        .context("opening the import profile")?;
    let mut runs = Vec::new();
    for part in parts {
        let started = Instant::now();
        for batch in part.chunks(BATCH) {
            larder.create_recipes(batch).await?;
        }
        runs.push(ImportRun {
            recipes: part.len(),
            create: started.elapsed(),
            close: Duration::ZERO,
        });
    }
    let started = Instant::now();
    larder.close().await?;
    if let Some(last) = runs.last_mut() {
        last.close = started.elapsed();
    }
    Ok(runs)
}

/// The comparator: one `create_recipe` call per recipe (a document and a view transaction
/// each, awaited one after the other).
pub async fn import_one_by_one(dir: &Path, drafts: &[RecipeDraft]) -> Result<ImportRun> {
    let larder = profile::open(dir)
        .await
        .context("opening the comparator profile")?;
    let started = Instant::now();
    for draft in drafts {
        larder.create_recipe(draft).await?;
    }
    let create = started.elapsed();
    let started = Instant::now();
    larder.close().await?;
    Ok(ImportRun {
        recipes: drafts.len(),
        create,
        close: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use larder_core::clock::SystemClock;
    use larder_core::docstore::{DocumentStore, MemoryStore};
    use larder_core::{Larder, Store};

    use crate::corpus::Corpus;

    /// `create_recipes` keeps the drafts' order across its waves, writes every view row, and
    /// writes nothing at all when one draft is invalid.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn create_recipes_keeps_order_and_validates_first() {
        let store = Arc::new(Store::open_in_memory().expect("store"));
        let docs = MemoryStore::new();
        let larder = Larder::open(docs.clone(), store, Arc::new(SystemClock))
            .await
            .expect("open");
        let mut drafts = Corpus::new().drafts(3, 300);
        let made = larder.create_recipes(&drafts).await.expect("create");
        let titles: Vec<&str> = made.iter().map(|r| r.title.as_str()).collect();
        let wanted: Vec<&str> = drafts.iter().map(|d| d.title.as_str()).collect();
        assert_eq!(titles, wanted);
        assert_eq!(docs.ids().len(), 300);
        assert_eq!(larder.search("", 1_000, 0).expect("list").len(), 300);
        for recipe in made.iter().step_by(37) {
            assert_eq!(larder.get_recipe(&recipe.id).expect("get"), *recipe);
        }

        drafts[250].title = "   ".into();
        assert!(larder.create_recipes(&drafts).await.is_err());
        assert_eq!(docs.ids().len(), 300, "an invalid draft creates nothing");
        assert!(larder.create_recipes(&[]).await.expect("empty").is_empty());
    }

    /// The same through samod on disk: every document and view row survives a reopen.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn create_recipes_through_samod_survives_a_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let drafts = Corpus::new().drafts(5, 300);
        let runs = super::import_batched(dir.path(), &[&drafts[..]])
            .await
            .expect("import");
        assert_eq!(runs[0].recipes, 300);
        let larder = larder_core::profile::open(dir.path())
            .await
            .expect("reopen");
        let all = larder.search("", 1_000, 0).expect("list");
        assert_eq!(all.len(), 300);
        let id = all[123].id.clone();
        let title = larder
            .documents()
            .with_doc(&id, |doc| {
                use automerge::ReadDoc;
                doc.get(automerge::ROOT, "title")
                    .ok()
                    .flatten()
                    .map(|(v, _)| v.to_string())
            })
            .await
            .expect("doc")
            .flatten();
        assert_eq!(title, Some(format!("{:?}", all[123].title)));
        larder.close().await.expect("close");
    }
}
