//! Search ranking, paging and query-safety tests over an in-memory store.

use super::{BOUNDS, Bounds, fts_query};
use crate::model::{IngredientRow, Recipe};
use crate::store::{RecipeViewRow, Store};

fn recipe(n: usize, title: &str, ingredients: &[&str], notes: &str) -> Recipe {
    Recipe {
        id: format!("r{n:03}"),
        title: title.to_string(),
        ingredients: ingredients
            .iter()
            .enumerate()
            .map(|(i, name)| IngredientRow {
                id: format!("row{i}"),
                quantity: None,
                quantity_max: None,
                unit: String::new(),
                name: name.to_string(),
                note: String::new(),
            })
            .collect(),
        notes: notes.to_string(),
        created_at: n as i64,
        updated_at: n as i64,
        ..Default::default()
    }
}

/// A store holding `recipes`, written in order (so later ones are newer).
fn store_with(recipes: &[Recipe]) -> Store {
    let store = Store::open_in_memory().expect("store");
    let rows: Vec<RecipeViewRow<'_>> = recipes
        .iter()
        .map(|recipe| RecipeViewRow { recipe, heads: "h" })
        .collect();
    store.write_recipe_views(&rows).expect("write");
    store
}

fn titles(store: &Store, bounds: Bounds, q: &str, limit: u32, offset: u32) -> Vec<String> {
    store
        .search_within(bounds, q, limit, offset)
        .expect("search")
        .into_iter()
        .map(|s| s.title)
        .collect()
}

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

#[test]
fn a_title_match_outranks_an_ingredient_only_match_that_bm25_prefers() {
    let long_notes = "Roast everything slowly and serve warm with bread. ".repeat(40);
    let recipes = [
        recipe(
            1,
            "Slow roasted tomato, fennel and garlic traybake for a crowd",
            &["tomatoes", "fennel"],
            &long_notes,
        ),
        recipe(
            2,
            "Aioli",
            &["garlic", "garlic confit", "black garlic", "roast garlic"],
            "",
        ),
    ];
    let store = store_with(&recipes);
    // The premise: plain weighted bm25 puts the ingredient-only match first.
    let plain: Vec<i64> = {
        let conn = store.conn();
        let mut stmt = conn
            .prepare(
                "SELECT rowid FROM recipe_fts WHERE recipe_fts MATCH '\"garlic\"*'
                 ORDER BY rank",
            )
            .expect("prepare");
        stmt.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    assert_eq!(plain, vec![2, 1], "bm25 alone prefers the ingredient match");
    assert_eq!(
        titles(&store, BOUNDS, "garlic", 10, 0),
        vec![recipes[0].title.clone(), "Aioli".to_string()]
    );
    // The same holds when the query is broad and ordered newest first.
    let broad = Bounds {
        rank_window: 10,
        bm25_max_term_docs: 1,
    };
    assert_eq!(
        titles(&store, broad, "garl", 10, 0),
        vec![recipes[0].title.clone(), "Aioli".to_string()]
    );
}

#[test]
fn with_several_words_every_word_in_the_title_ranks_first() {
    let store = store_with(&[
        recipe(1, "Chicken soup", &["garlic", "carrots"], ""),
        recipe(2, "Stew", &["chicken thighs", "garlic"], ""),
        recipe(3, "Garlic chicken", &["lemon"], ""),
        recipe(4, "Chicken salad", &["lettuce"], ""),
    ]);
    let hits = titles(&store, BOUNDS, "chicken garlic", 10, 0);
    assert_eq!(hits[0], "Garlic chicken");
    let mut rest = hits[1..].to_vec();
    rest.sort();
    assert_eq!(rest, vec!["Chicken soup", "Stew"], "every word must match");
}

/// Pages of every bound (windows smaller than a tier, tiers known or left to FTS5's NOT)
/// join up into the whole result: title matches first, nothing twice, nothing missing.
#[test]
fn pages_join_up_across_tiers_and_windows() {
    let mut recipes = Vec::new();
    for n in 0..12 {
        recipes.push(if n % 3 == 0 {
            recipe(n, &format!("Tomato dish {n}"), &["basil"], "")
        } else {
            recipe(n, &format!("Dish {n}"), &["tomatoes"], "")
        });
    }
    recipes.push(recipe(12, "Unrelated", &["rice"], ""));
    let store = store_with(&recipes);
    let newest_first = |title_tier: bool| -> Vec<String> {
        recipes
            .iter()
            .rev()
            .filter(|r| r.title != "Unrelated" && r.title.starts_with("Tomato") == title_tier)
            .map(|r| r.title.clone())
            .collect()
    };
    for bounds in [
        BOUNDS,
        Bounds {
            rank_window: 2,
            bm25_max_term_docs: 100,
        },
        Bounds {
            rank_window: 5,
            bm25_max_term_docs: 100,
        },
        Bounds {
            rank_window: 2,
            bm25_max_term_docs: 3,
        },
        Bounds {
            rank_window: 100,
            bm25_max_term_docs: 3,
        },
    ] {
        for limit in [1, 3, 4, 12] {
            let mut all = Vec::new();
            let mut offset = 0;
            loop {
                let page = titles(&store, bounds, "tom", limit, offset);
                if page.is_empty() {
                    break;
                }
                offset += page.len() as u32;
                all.extend(page);
            }
            assert_eq!(all.len(), 12, "{bounds:?} limit {limit}: {all:?}");
            let (first, second) = all.split_at(4);
            assert!(first.iter().all(|t| t.starts_with("Tomato")), "{all:?}");
            let mut sorted = all.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), 12, "no recipe twice: {all:?}");
            if bounds.bm25_max_term_docs == 3 {
                // Broad: newest first within each tier.
                assert_eq!(first, newest_first(true), "{bounds:?}");
                assert_eq!(second, newest_first(false), "{bounds:?}");
            }
        }
    }
}

#[test]
fn deleted_recipes_never_appear() {
    let kept = recipe(1, "Lemon tart", &["lemons"], "");
    let mut gone = recipe(2, "Lemon curd", &["lemons"], "");
    let store = store_with(&[kept, gone.clone()]);
    assert_eq!(titles(&store, BOUNDS, "lemon", 10, 0).len(), 2);
    gone.deleted = true;
    store
        .write_recipe_views(&[RecipeViewRow {
            recipe: &gone,
            heads: "h2",
        }])
        .expect("delete");
    assert_eq!(titles(&store, BOUNDS, "lemon", 10, 0), vec!["Lemon tart"]);
    assert_eq!(titles(&store, BOUNDS, "", 10, 0), vec!["Lemon tart"]);
    let broad = Bounds {
        rank_window: 1,
        bm25_max_term_docs: 0,
    };
    assert_eq!(titles(&store, broad, "l", 10, 0), vec!["Lemon tart"]);
}

#[test]
fn prefixes_of_any_length_fold_case_and_accents() {
    let store = store_with(&[
        recipe(1, "JALAPEÑO poppers", &["cream cheese"], ""),
        recipe(2, "Crème brûlée", &["cream"], ""),
        recipe(3, "Rice", &["water"], ""),
    ]);
    assert_eq!(titles(&store, BOUNDS, "j", 10, 0), vec!["JALAPEÑO poppers"]);
    assert_eq!(
        titles(&store, BOUNDS, "jalapen", 10, 0),
        vec!["JALAPEÑO poppers"]
    );
    assert_eq!(
        titles(&store, BOUNDS, "jalapeno", 10, 0),
        vec!["JALAPEÑO poppers"]
    );
    assert_eq!(titles(&store, BOUNDS, "BRULE", 10, 0), vec!["Crème brûlée"]);
    assert_eq!(titles(&store, BOUNDS, "CREME", 10, 0), vec!["Crème brûlée"]);
    let mut creams = titles(&store, BOUNDS, "crea", 10, 0);
    creams.sort();
    assert_eq!(creams, vec!["Crème brûlée", "JALAPEÑO poppers"]);
}

#[test]
fn empty_pages_are_empty() {
    let store = store_with(&[recipe(1, "Rice", &["water"], "")]);
    assert!(titles(&store, BOUNDS, "rice", 0, 0).is_empty());
    assert!(titles(&store, BOUNDS, "rice", 10, 1).is_empty());
    assert!(titles(&store, BOUNDS, "rice", 10, u32::MAX).is_empty());
    assert!(titles(&store, BOUNDS, "\"*", 10, 0).is_empty());
}
