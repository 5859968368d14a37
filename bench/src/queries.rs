//! The query benchmark: fills an on-disk profile database's materialised view straight from
//! generated recipes (`Store::write_recipe_views` in big batches; queries only read the view, so
//! no Automerge document is needed), then times `Store::search` for each query shape against the
//! comparator, a naive bm25-ranked FTS5 join run on its own connection to the same file.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use larder_core::Store;
use larder_core::model::{IngredientRow, Recipe, RecipeDraft};
use larder_core::store::{RecipeSummary, RecipeViewRow};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::{Connection, OpenFlags, params};

use crate::corpus::words_of;
use crate::stats::{Summary, summarize};

/// Results per page, as a list screen asks for.
pub const PAGE: u32 = 20;

/// Plain spellings of accented corpus words: the index folds diacritics, so these must match.
const FOLDED: &[&str] = &[
    "creme", "jalapeno", "puree", "gruyere", "brulee", "saute", "fraiche", "pate", "comte",
    "chevre", "rosti", "crepes", "acai", "pinon", "consomme", "flambe", "mache", "guero",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Blank,
    OneWord,
    Prefix3,
    TwoWords,
    Folded,
}

impl Shape {
    pub const ALL: [Shape; 5] = [
        Shape::Blank,
        Shape::OneWord,
        Shape::Prefix3,
        Shape::TwoWords,
        Shape::Folded,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Shape::Blank => "blank list (first page)",
            Shape::OneWord => "one word",
            Shape::Prefix3 => "3-letter prefix",
            Shape::TwoWords => "two words",
            Shape::Folded => "accent-folded word",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Shape::Blank => "blank",
            Shape::OneWord => "word",
            Shape::Prefix3 => "prefix3",
            Shape::TwoWords => "two_words",
            Shape::Folded => "folded",
        }
    }
}

/// The view row a created recipe would have.
pub fn recipe_of(draft: &RecipeDraft, n: usize) -> Recipe {
    Recipe {
        id: format!("bench{n:012}"),
        title: draft.title.clone(),
        description: draft.description.clone(),
        servings: draft.servings,
        yield_text: draft.yield_text.clone(),
        prep_minutes: draft.prep_minutes,
        cook_minutes: draft.cook_minutes,
        total_minutes: draft.total_minutes,
        tags: draft.tags.clone(),
        source_url: draft.source_url.clone(),
        ingredients: draft
            .ingredients
            .iter()
            .enumerate()
            .map(|(i, row)| IngredientRow {
                id: format!("row{n}-{i}"),
                quantity: row.quantity,
                quantity_max: row.quantity_max,
                unit: row.unit.clone(),
                name: row.name.clone(),
                note: row.note.clone(),
            })
            .collect(),
        steps: draft.steps.clone(),
        notes: draft.notes.clone(),
        attachments: Vec::new(),
        created_at: 1_700_000_000_000 + n as i64,
        updated_at: 1_700_000_000_000 + n as i64,
        deleted: false,
        import_key: None,
        shared: None,
    }
}

/// Writes `drafts` into the view of a fresh database at `path`, 5,000 rows per transaction.
/// Returns the store and how long filling took.
pub fn populate(path: &Path, drafts: &[RecipeDraft]) -> Result<(Store, Duration)> {
    let store = Store::open(path).context("opening the bench database")?;
    let started = Instant::now();
    for (chunk_no, chunk) in drafts.chunks(5_000).enumerate() {
        let recipes: Vec<Recipe> = chunk
            .iter()
            .enumerate()
            .map(|(i, d)| recipe_of(d, chunk_no * 5_000 + i))
            .collect();
        let rows: Vec<RecipeViewRow<'_>> = recipes
            .iter()
            .map(|recipe| RecipeViewRow {
                recipe,
                heads: "bench",
            })
            .collect();
        store.write_recipe_views(&rows)?;
    }
    Ok((store, started.elapsed()))
}

/// `count` queries of `shape`, drawn from the corpus that was loaded (so most find something).
pub fn queries_for(shape: Shape, drafts: &[RecipeDraft], count: usize, seed: u64) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(seed ^ shape as u64);
    let ingredient_word = |rng: &mut StdRng| -> String {
        loop {
            let d = &drafts[rng.random_range(0..drafts.len())];
            let row = &d.ingredients[rng.random_range(0..d.ingredients.len())];
            let words: Vec<String> = words_of(&row.name)
                .filter(|w| w.chars().count() >= 3)
                .collect();
            if !words.is_empty() {
                return words[rng.random_range(0..words.len())].clone();
            }
        }
    };
    (0..count)
        .map(|_| match shape {
            Shape::Blank => String::new(),
            Shape::OneWord => ingredient_word(&mut rng),
            Shape::Prefix3 => ingredient_word(&mut rng).chars().take(3).collect(),
            Shape::TwoWords => {
                // A title word and an ingredient word of the same recipe, as someone looking
                // for "chili garlic" would type.
                let d = &drafts[rng.random_range(0..drafts.len())];
                let title: Vec<String> = words_of(&d.title).filter(|w| w.len() >= 3).collect();
                let row = &d.ingredients[rng.random_range(0..d.ingredients.len())];
                let ing: Vec<String> = words_of(&row.name).filter(|w| w.len() >= 3).collect();
                match (title.is_empty(), ing.is_empty()) {
                    (false, false) => format!(
                        "{} {}",
                        title[rng.random_range(0..title.len())],
                        ing[rng.random_range(0..ing.len())]
                    ),
                    _ => "chicken garlic".to_string(),
                }
            }
            Shape::Folded => FOLDED[rng.random_range(0..FOLDED.len())].to_string(),
        })
        .collect()
}

/// The comparator: what a first implementation writes. One join, bm25 with the same column
/// weights over every match, then the page; a blank query sorts every live row by title.
pub struct Naive {
    conn: Connection,
}

impl Naive {
    pub fn open(path: &Path) -> Result<Naive> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Ok(Naive { conn })
    }

    pub fn search(&self, query: &str, limit: u32) -> Result<Vec<RecipeSummary>> {
        let mut out = Vec::new();
        let Some(expr) = larder_core::store::search::fts_query(query) else {
            let mut stmt = self.conn.prepare_cached(
                "SELECT summary FROM recipes WHERE deleted = 0
                 ORDER BY lower(title), id LIMIT ?1",
            )?;
            let rows = stmt.query_map(params![limit], |r| r.get::<_, String>(0))?;
            for row in rows {
                out.push(serde_json::from_str(&row?)?);
            }
            return Ok(out);
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.summary FROM recipe_fts JOIN recipes r ON r.rowid = recipe_fts.rowid
             WHERE recipe_fts MATCH ?1 AND r.deleted = 0
             ORDER BY bm25(recipe_fts, 10.0, 4.0, 3.0, 1.0), r.sort_key LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![expr, limit], |r| r.get::<_, String>(0))?;
        for row in rows {
            out.push(serde_json::from_str(&row?)?);
        }
        Ok(out)
    }
}

pub struct ShapeResult {
    pub shape: Shape,
    pub ours: Summary,
    pub naive: Summary,
    /// Mean results per query (ours), to show the queries find things.
    pub mean_hits: f64,
    pub example: String,
}

/// Times every shape: each query once unmeasured (warm-up), then measured; the comparator runs
/// the first `naive_count` of the same queries.
pub fn run(
    store: &Store,
    naive: &Naive,
    drafts: &[RecipeDraft],
    count: usize,
    naive_count: usize,
    seed: u64,
) -> Result<Vec<ShapeResult>> {
    let mut results = Vec::new();
    for shape in Shape::ALL {
        let queries = queries_for(shape, drafts, count, seed);
        for q in queries.iter().take(20) {
            store.search(q, PAGE, 0)?;
            naive.search(q, PAGE)?;
        }
        let mut ours = Vec::with_capacity(count);
        let mut hits = 0usize;
        for q in &queries {
            let started = Instant::now();
            let found = store.search(q, PAGE, 0)?;
            ours.push(started.elapsed());
            hits += found.len();
        }
        let mut theirs = Vec::with_capacity(naive_count);
        for q in queries.iter().take(naive_count.max(1)) {
            let started = Instant::now();
            let found = naive.search(q, PAGE)?;
            theirs.push(started.elapsed());
            std::hint::black_box(found);
        }
        results.push(ShapeResult {
            shape,
            ours: summarize(&mut ours),
            naive: summarize(&mut theirs),
            mean_hits: hits as f64 / count as f64,
            example: queries[0].clone(),
        });
    }
    Ok(results)
}
