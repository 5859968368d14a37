//! Search over the materialised view. A blank query lists live recipes by title; otherwise the
//! user's words become a safe FTS5 query (every term quoted, the last one a prefix), ranked with
//! column weights (title first) over the index's rowids before any row is read. User input is
//! never FTS5 syntax.

use rusqlite::params;
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

/// Turns what a user typed into an FTS5 MATCH expression, or `None` if it holds no searchable
/// word. Words are runs of letters and digits (what the unicode61 tokenizer indexes); each is
/// emitted as a quoted string, so `AND`, `NEAR(`, `*`, `"` and `-` are only ever literal text.
pub fn fts_query(input: &str) -> Option<String> {
    let terms: Vec<String> = input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .take(MAX_QUERY_TERMS)
        .map(|t| t.chars().take(MAX_TERM_CHARS).collect())
        .collect();
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
        let mut stmt = conn.prepare_cached(
            "SELECT r.summary FROM (
                 SELECT rowid, rank FROM recipe_fts WHERE recipe_fts MATCH ?1
                 ORDER BY rank LIMIT ?2 OFFSET ?3
             ) AS hit
             JOIN recipes r ON r.rowid = hit.rowid
             WHERE r.deleted = 0
             ORDER BY hit.rank, r.sort_key",
        )?;
        let rows = stmt.query_map(params![expr, limit, offset], |r| r.get::<_, String>(0))?;
        for row in rows {
            out.push(serde_json::from_str(&row?)?);
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
