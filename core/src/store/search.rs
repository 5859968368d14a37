//! Search over the materialised view. A blank query lists live recipes by title; otherwise the
//! user's words become a safe FTS5 query (every term quoted, the last one a prefix; user input is
//! never FTS5 syntax), answered from the index's rowids before any recipe row is read.
//!
//! Ranking comes in two tiers: recipes whose title holds every term come first, then every other
//! match. Within a tier the order is bm25 with column weights (title, ingredients, tags, body).
//! Scoring is bounded: a tier's newest `RANK_WINDOW` matches are scored and sorted; a tier with
//! more matches than that (a short prefix over a big collection) continues past the window newest
//! first, unscored. Paging stays consistent because both orders are total and fixed for a given
//! index state.

use std::collections::HashSet;

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};
use crate::model::Recipe;

/// What a search result shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecipeSummary {
    pub id: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub total_minutes: Option<u32>,
    pub ingredient_count: usize,
    pub attachment_count: usize,
    pub updated_at: i64,
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
            updated_at: recipe.updated_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagCount {
    pub tag: String,
    pub count: u64,
}

/// Longest query we look at; the rest is ignored.
const MAX_QUERY_TERMS: usize = 16;
const MAX_TERM_CHARS: usize = 64;

/// How many matches of a tier are scored with bm25 (the newest ones). Scoring costs about a
/// microsecond per match, so this bounds a query at a few milliseconds however broad its prefix.
pub const RANK_WINDOW: usize = 1_000;

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
        .map(|(i, t)| {
            if i == last {
                format!("\"{t}\"*")
            } else {
                format!("\"{t}\"")
            }
        })
        .collect();
    Some(parts.join(" "))
}

/// The matches of `expr` (FTS5 syntax built by this module) restricted to the title column.
fn title_only(expr: &str) -> String {
    format!("{{title}} : ({expr})")
}

/// One tier's share of a page.
struct TierPage {
    /// Rowids on the page, in order.
    rowids: Vec<i64>,
    /// How many of the tier's rows come before the page (at most the tier's size).
    consumed: usize,
    /// Every rowid of the tier, when the tier fit in the ranking window.
    all: Option<Vec<i64>>,
}

/// Rows `skip..skip + take` of the tier "matches `expr`, not in `exclude`": the newest
/// `RANK_WINDOW` of them by bm25 (ties: newer first), then the older ones newest first.
fn tier_page(
    conn: &Connection,
    expr: &str,
    exclude: &HashSet<i64>,
    skip: usize,
    take: usize,
) -> Result<TierPage, StoreError> {
    let fetch = RANK_WINDOW + exclude.len() + 1;
    let mut window: Vec<(i64, f64)> = Vec::new();
    let mut fetched = 0usize;
    {
        let mut stmt = conn.prepare_cached(
            "SELECT rowid, rank FROM recipe_fts WHERE recipe_fts MATCH ?1
             ORDER BY rowid DESC LIMIT ?2",
        )?;
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
    // RANK_WINDOW remain: the tier is bigger than the window.
    let overflow = fetched == fetch;
    window.truncate(RANK_WINDOW);
    let oldest = window.last().map(|&(rowid, _)| rowid);
    window.sort_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
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
    // Past the window: older matches, newest first, unscored. If the page starts beyond the
    // tier, this counts the tier so the next one knows where to begin.
    let mut to_skip = skip.saturating_sub(RANK_WINDOW);
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
        RANK_WINDOW + beyond
    } else {
        skip
    };
    Ok(TierPage {
        rowids,
        consumed,
        all: None,
    })
}

impl Store {
    /// Live recipes matching `query` (blank: all, by title), best first.
    pub fn search(
        &self,
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
        let Some(expr) = fts_query(query) else {
            return Ok(out);
        };
        let (skip, take) = (offset as usize, limit as usize);
        if take == 0 {
            return Ok(out);
        }
        // Tier 1: every term in the title.
        let title_expr = title_only(&expr);
        let first = tier_page(&conn, &title_expr, &HashSet::new(), skip, take)?;
        let mut rowids = first.rowids;
        if rowids.len() < take {
            // Tier 2: the other matches. When tier 1 fit in its window its rows are known and
            // simply skipped; otherwise FTS5 excludes them (rarely needed: only for pages past
            // more than RANK_WINDOW title matches).
            let skip = skip - first.consumed;
            let take = take - rowids.len();
            let second = match first.all {
                Some(all) => tier_page(&conn, &expr, &all.into_iter().collect(), skip, take)?,
                None => tier_page(
                    &conn,
                    &format!("({expr}) NOT ({title_expr})"),
                    &HashSet::new(),
                    skip,
                    take,
                )?,
            };
            rowids.extend(second.rowids);
        }
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
mod tests {
    use super::fts_query;

    #[test]
    fn user_input_never_becomes_fts_syntax() {
        assert_eq!(fts_query("tom").as_deref(), Some("\"tom\"*"));
        assert_eq!(
            fts_query("garlic AND (").as_deref(),
            Some("\"garlic\" \"AND\"*")
        );
        assert_eq!(
            fts_query("NEAR(a b)").as_deref(),
            Some("\"NEAR\" \"a\" \"b\"*")
        );
        assert_eq!(fts_query("\"*\" -- ; '"), None);
        assert_eq!(
            fts_query("crème brûlée").as_deref(),
            Some("\"crème\" \"brûlée\"*")
        );
    }
}
