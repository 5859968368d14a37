//! Search over the materialised view. A blank query lists live recipes by title; otherwise the
//! user's words become a safe FTS5 query (every term quoted, the last one a prefix; user input is
//! never FTS5 syntax), answered from the index's rowids before any recipe row is read.
//!
//! Ranking comes in two tiers: recipes whose title holds every term come first, then every other
//! match. Within a tier, a specific query (every term in at most `BM25_MAX_TERM_DOCS` recipes) is
//! ordered by bm25 with column weights (title, ingredients, tags, body); a broad one (a short
//! prefix, or a word most recipes contain) newest first. bm25 costs a pass over every term's
//! whole doclist (its IDF) plus a docsize lookup per scored row, which for "salt" in 100,000
//! recipes is more than a page is allowed to take, and barely orders anything anyway: such a
//! term's IDF is ~0. Scoring is further bounded to a tier's newest `RANK_WINDOW` matches; past
//! them the tier continues newest first. Every order is total, so pages never overlap.

use std::collections::HashSet;

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};
use crate::model::{Attachment, Recipe};

/// What a search result shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecipeSummary {
    pub id: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub total_minutes: Option<u32>,
    pub ingredient_count: usize,
    pub attachment_count: usize,
    /// The recipe's first image, for a thumbnail (summaries stored before this field existed
    /// read as none until the recipe is next written).
    #[serde(default)]
    pub thumbnail: Option<Attachment>,
    pub updated_at: i64,
    /// Another user's recipe shared with this one (filled when read, never stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub shared: Option<crate::store::SharedFrom>,
}

impl RecipeSummary {
    pub fn of(recipe: &Recipe) -> Self {
        const MAX_DESCRIPTION: usize = 160;
        let description = if recipe.description.chars().count() > MAX_DESCRIPTION {
            let cut: String = recipe.description.chars().take(MAX_DESCRIPTION).collect();
            format!("{}…", cut.trim_end())
        } else {
            recipe.description.clone()
        };
        RecipeSummary {
            id: recipe.id.clone(),
            title: recipe.title.clone(),
            description,
            tags: recipe.tags.clone(),
            total_minutes: recipe.total_minutes.or(
                match (recipe.prep_minutes, recipe.cook_minutes) {
                    (Some(p), Some(c)) => Some(p.saturating_add(c)),
                    _ => None,
                },
            ),
            ingredient_count: recipe.ingredients.len(),
            attachment_count: recipe.attachments.len(),
            thumbnail: recipe
                .attachments
                .iter()
                .find(|a| a.media_type.starts_with("image/"))
                .cloned(),
            updated_at: recipe.updated_at,
            shared: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TagCount {
    pub tag: String,
    pub count: u64,
}

/// Longest query we look at; the rest is ignored.
const MAX_QUERY_TERMS: usize = 16;
const MAX_TERM_CHARS: usize = 64;

/// How many matches of a tier are scored with bm25 (the newest ones).
pub const RANK_WINDOW: usize = 1_000;

/// A query is ranked with bm25 only while each of its terms occurs in at most this many recipes.
pub const BM25_MAX_TERM_DOCS: usize = 10_000;

/// The bounds above, passed down so tests can make them small.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    rank_window: usize,
    bm25_max_term_docs: usize,
}

const BOUNDS: Bounds = Bounds {
    rank_window: RANK_WINDOW,
    bm25_max_term_docs: BM25_MAX_TERM_DOCS,
};

/// The searchable words of what a user typed: runs of letters and digits (what the unicode61
/// tokenizer indexes), at most `MAX_QUERY_TERMS` of at most `MAX_TERM_CHARS` characters.
fn query_terms(input: &str) -> Vec<String> {
    input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .take(MAX_QUERY_TERMS)
        .map(|t| t.chars().take(MAX_TERM_CHARS).collect())
        .collect()
}

/// Turns what a user typed into an FTS5 MATCH expression, or `None` if it holds no searchable
/// word. Each word is emitted as a quoted string, so `AND`, `NEAR(`, `*`, `"` and `-` are only
/// ever literal text; the last word is a prefix.
pub fn fts_query(input: &str) -> Option<String> {
    let terms = query_terms(input);
    let last = terms.len().checked_sub(1)?;
    let parts: Vec<String> = terms
        .iter()
        .enumerate()
        .map(|(i, t)| phrase(t, i == last))
        .collect();
    Some(parts.join(" "))
}

/// A term as an FTS5 string (a prefix if `prefix`); terms hold only letters and digits.
fn phrase(term: &str, prefix: bool) -> String {
    if prefix {
        format!("\"{term}\"*")
    } else {
        format!("\"{term}\"")
    }
}

/// The matches of `expr` (FTS5 syntax built by this module) restricted to the title column.
fn title_only(expr: &str) -> String {
    format!("{{title}} : ({expr})")
}

/// Whether `expr` matches more than `max` recipes; reads at most `max + 1` rowids.
fn matches_more_than(conn: &Connection, expr: &str, max: usize) -> Result<bool, StoreError> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM (SELECT rowid FROM recipe_fts WHERE recipe_fts MATCH ?1 LIMIT ?2)",
        )?
        .query_row(params![expr, max as i64 + 1], |r| r.get(0))?;
    Ok(n as usize > max)
}

/// One tier's share of a page.
struct TierPage {
    /// Rowids on the page, in order.
    rowids: Vec<i64>,
    /// How many of the tier's rows come before the page (at most the tier's size).
    consumed: usize,
    /// Every rowid of the tier, when it fits in the rank window.
    all: Option<Vec<i64>>,
}

/// Rows `skip..skip + take` of the tier "matches `expr`, not in `exclude`": its newest
/// `RANK_WINDOW` rows (by bm25 if `ranked`, ties newer first; else newest first), then the
/// older ones newest first.
fn tier_page(
    conn: &Connection,
    window_size: usize,
    expr: &str,
    exclude: &HashSet<i64>,
    ranked: bool,
    skip: usize,
    take: usize,
) -> Result<TierPage, StoreError> {
    let fetch = window_size + exclude.len() + 1;
    let mut window: Vec<(i64, f64)> = Vec::new();
    let mut fetched = 0usize;
    {
        let mut stmt = conn.prepare_cached(if ranked {
            "SELECT rowid, rank FROM recipe_fts WHERE recipe_fts MATCH ?1
             ORDER BY rowid DESC LIMIT ?2"
        } else {
            "SELECT rowid, 0.0 FROM recipe_fts WHERE recipe_fts MATCH ?1
             ORDER BY rowid DESC LIMIT ?2"
        })?;
        let mut rows = stmt.query(params![expr, fetch as i64])?;
        while let Some(row) = rows.next()? {
            fetched += 1;
            let rowid: i64 = row.get(0)?;
            if !exclude.contains(&rowid) {
                window.push((rowid, row.get(1)?));
            }
        }
    }
    // With `fetch` rows read and at most `exclude.len()` of them excluded, more than
    // `window_size` remain: the tier is bigger than the window.
    let overflow = fetched == fetch;
    window.truncate(window_size);
    let oldest = window.last().map(|&(rowid, _)| rowid);
    if ranked {
        window.sort_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
    }
    let mut rowids: Vec<i64> = window
        .iter()
        .skip(skip)
        .take(take)
        .map(|&(rowid, _)| rowid)
        .collect();
    let (Some(oldest), true) = (oldest, overflow) else {
        return Ok(TierPage {
            rowids,
            consumed: skip.min(window.len()),
            all: Some(window.iter().map(|&(rowid, _)| rowid).collect()),
        });
    };
    if rowids.len() == take {
        return Ok(TierPage {
            rowids,
            consumed: skip,
            all: None,
        });
    }
    // Past the window: older matches, newest first. If the page starts beyond the tier, this
    // counts the tier so the next one knows where to begin.
    let mut to_skip = skip.saturating_sub(window_size);
    let mut beyond = 0usize;
    let mut stmt = conn.prepare_cached(
        "SELECT rowid FROM recipe_fts WHERE recipe_fts MATCH ?1 AND rowid < ?2
         ORDER BY rowid DESC",
    )?;
    let mut rows = stmt.query(params![expr, oldest])?;
    while let Some(row) = rows.next()? {
        let rowid: i64 = row.get(0)?;
        if exclude.contains(&rowid) {
            continue;
        }
        beyond += 1;
        if to_skip > 0 {
            to_skip -= 1;
            continue;
        }
        rowids.push(rowid);
        if rowids.len() == take {
            break;
        }
    }
    let consumed = if rowids.is_empty() {
        window_size + beyond
    } else {
        skip
    };
    Ok(TierPage {
        rowids,
        consumed,
        all: None,
    })
}

/// The rowids of page `skip..skip + take` of the matches of `terms` (not empty).
fn match_page(
    conn: &Connection,
    bounds: Bounds,
    terms: &[String],
    skip: usize,
    take: usize,
) -> Result<Vec<i64>, StoreError> {
    let last = terms.len() - 1;
    let phrases: Vec<String> = terms
        .iter()
        .enumerate()
        .map(|(i, t)| phrase(t, i == last))
        .collect();
    let expr = phrases.join(" ");
    let mut ranked = true;
    for p in &phrases {
        if matches_more_than(conn, p, bounds.bm25_max_term_docs)? {
            ranked = false;
            break;
        }
    }
    // Tier 1: every term in the title.
    let title_expr = title_only(&expr);
    let first = tier_page(
        conn,
        bounds.rank_window,
        &title_expr,
        &HashSet::new(),
        ranked,
        skip,
        take,
    )?;
    let mut rowids = first.rowids;
    if rowids.len() == take {
        return Ok(rowids);
    }
    // Tier 2: the other matches. When tier 1 is small its rows are known and simply skipped;
    // otherwise FTS5 leaves them out (needed only for pages past a window of title matches).
    let (skip, take) = (skip - first.consumed, take - rowids.len());
    let second = match first.all {
        Some(all) => tier_page(
            conn,
            bounds.rank_window,
            &expr,
            &all.into_iter().collect(),
            ranked,
            skip,
            take,
        )?,
        None => tier_page(
            conn,
            bounds.rank_window,
            &format!("({expr}) NOT ({title_expr})"),
            &HashSet::new(),
            ranked,
            skip,
            take,
        )?,
    };
    rowids.extend(second.rowids);
    Ok(rowids)
}

impl Store {
    /// Live recipes matching `query` (blank: all, by title), best first.
    pub fn search(
        &self,
        query: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<RecipeSummary>, StoreError> {
        self.search_within(BOUNDS, query, limit, offset)
    }

    fn search_within(
        &self,
        bounds: Bounds,
        query: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<RecipeSummary>, StoreError> {
        let conn = self.conn();
        let mut out = Vec::new();
        if query.trim().is_empty() {
            let mut stmt = conn.prepare_cached(
                "SELECT summary FROM recipes WHERE deleted = 0
                 ORDER BY sort_key, id LIMIT ?1 OFFSET ?2",
            )?;
            let rows = stmt.query_map(params![limit, offset], |r| r.get::<_, String>(0))?;
            for row in rows {
                out.push(serde_json::from_str(&row?)?);
            }
            return Ok(out);
        }
        let terms = query_terms(query);
        if terms.is_empty() || limit == 0 {
            return Ok(out);
        }
        let rowids = match_page(&conn, bounds, &terms, offset as usize, limit as usize)?;
        let mut stmt =
            conn.prepare_cached("SELECT summary FROM recipes WHERE rowid = ?1 AND deleted = 0")?;
        for rowid in rowids {
            let mut rows = stmt.query([rowid])?;
            if let Some(row) = rows.next()? {
                out.push(serde_json::from_str(&row.get::<_, String>(0)?)?);
            }
        }
        Ok(out)
    }

    /// Tags of live recipes with how many recipes carry each, alphabetically.
    pub fn list_tags(&self) -> Result<Vec<TagCount>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT min(tag), count(*) FROM recipe_tags GROUP BY tag ORDER BY tag",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(TagCount {
                tag: r.get(0)?,
                count: r.get::<_, i64>(1)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests;
