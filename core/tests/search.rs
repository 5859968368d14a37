//! Search through the API: blank lists, ranking, prefixes, accent folding, and user input that
//! looks like FTS5 or SQL syntax (which must search literally and never fail).

mod common;

use std::sync::Arc;

use common::draft;
use larder_core::clock::SystemClock;
use larder_core::docstore::MemoryStore;
use larder_core::model::RecipeDraft;
use larder_core::{Larder, Store};

async fn larder() -> Larder<MemoryStore> {
    let store = Arc::new(Store::open_in_memory().expect("store"));
    Larder::open(MemoryStore::new(), store, Arc::new(SystemClock))
        .await
        .expect("open")
}

fn titles(l: &Larder<MemoryStore>, q: &str) -> Vec<String> {
    l.search(q, 50, 0)
        .expect("search never fails")
        .into_iter()
        .map(|s| s.title)
        .collect()
}

async fn add(l: &Larder<MemoryStore>, d: RecipeDraft) -> String {
    l.create_recipe(&d).await.expect("create").id
}

#[tokio::test]
async fn blank_lists_every_live_recipe_by_title_and_pages() {
    let l = larder().await;
    for t in ["banana bread", "Apple pie", "cherry clafoutis", "Éclair"] {
        add(&l, draft(t, &[])).await;
    }
    let gone = add(&l, draft("Deleted dish", &[])).await;
    l.delete_recipe(&gone).await.expect("delete");
    assert_eq!(
        titles(&l, ""),
        vec!["Apple pie", "banana bread", "cherry clafoutis", "Éclair"]
    );
    assert_eq!(titles(&l, "   "), titles(&l, ""));
    let page: Vec<_> = l
        .search("", 2, 1)
        .expect("page")
        .into_iter()
        .map(|s| s.title)
        .collect();
    assert_eq!(page, vec!["banana bread", "cherry clafoutis"]);
}

#[tokio::test]
async fn keywords_match_every_field_and_titles_rank_first() {
    let l = larder().await;
    add(
        &l,
        draft("Bruschetta", &["4 ripe tomatoes", "1 clove garlic"]),
    )
    .await;
    add(&l, draft("Tomato soup", &["1 onion"])).await;
    let mut tagged = draft("Gazpacho", &[]);
    tagged.tags = vec!["tomato season".into()];
    add(&l, tagged).await;
    let mut stepped = draft("Shakshuka", &[]);
    stepped.steps = vec!["Simmer the tomato sauce, crack in eggs.".into()];
    add(&l, stepped).await;
    let mut noted = draft("Panzanella", &[]);
    noted.notes = "Best with heirloom tomatoes.".into();
    add(&l, noted).await;

    let hits = titles(&l, "tomato");
    assert_eq!(hits.len(), 5, "{hits:?}");
    assert_eq!(
        hits[0], "Tomato soup",
        "a title match ranks first: {hits:?}"
    );
    assert_eq!(titles(&l, "garlic"), vec!["Bruschetta"]);
    assert_eq!(titles(&l, "season"), vec!["Gazpacho"]);
    assert_eq!(titles(&l, "eggs"), vec!["Shakshuka"]);
    assert_eq!(titles(&l, "heirloom"), vec!["Panzanella"]);
    assert_eq!(titles(&l, "garlic tomato"), vec!["Bruschetta"]);
    assert_eq!(titles(&l, "tomato onion"), vec!["Tomato soup"]);
    assert!(
        titles(&l, "tomato squid").is_empty(),
        "every word must match"
    );
}

#[tokio::test]
async fn last_term_is_a_prefix_and_case_and_accents_fold() {
    let l = larder().await;
    add(&l, draft("Tomato tart", &[])).await;
    add(&l, draft("Crème brûlée", &[])).await;
    add(&l, draft("Creme caramel", &[])).await;
    add(&l, draft("JALAPEÑO poppers", &[])).await;
    assert_eq!(titles(&l, "tom"), vec!["Tomato tart"]);
    assert_eq!(titles(&l, "TOMATO TA"), vec!["Tomato tart"]);
    assert!(
        titles(&l, "tom tart").is_empty(),
        "only the last term is a prefix"
    );
    let mut cremes = titles(&l, "creme");
    cremes.sort();
    assert_eq!(cremes, vec!["Creme caramel", "Crème brûlée"]);
    assert_eq!(titles(&l, "BRULEE"), vec!["Crème brûlée"]);
    assert_eq!(titles(&l, "crème cara"), vec!["Creme caramel"]);
    assert_eq!(titles(&l, "jalapeno"), vec!["JALAPEÑO poppers"]);
}

#[tokio::test]
async fn syntax_in_user_input_searches_literally_and_never_errors() {
    let l = larder().await;
    add(&l, draft("Salt and pepper squid", &["500 g squid"])).await;
    add(&l, draft("Near-perfect pancakes", &["2 eggs"])).await;
    add(&l, draft("Mac 'n' cheese", &[])).await;
    for hostile in [
        "\"",
        "\"\"",
        "'",
        "*",
        "**",
        "AND (",
        "OR",
        "NOT",
        "NEAR(",
        "NEAR(a b, 2)",
        "^salt",
        "title:salt",
        "{title}: salt",
        "salt*",
        "-salt",
        "+salt",
        "(salt",
        "salt)",
        "a OR b",
        "'; DROP TABLE recipes; --",
        "\" OR 1=1 --",
        "\\",
        "%",
        "_",
        "\u{0}",
        "🍕",
        "ñ",
        &"x".repeat(10_000),
        &"a ".repeat(500),
    ] {
        assert!(
            l.search(hostile, 10, 0).is_ok(),
            "{hostile:?} must not error"
        );
    }
    assert_eq!(titles(&l, "salt AND ("), vec!["Salt and pepper squid"]);
    assert_eq!(titles(&l, "NEAR("), vec!["Near-perfect pancakes"]);
    assert_eq!(titles(&l, "\"squid\""), vec!["Salt and pepper squid"]);
    assert_eq!(titles(&l, "salt*"), vec!["Salt and pepper squid"]);
    assert_eq!(
        titles(&l, "'; DROP TABLE recipes; --"),
        Vec::<String>::new()
    );
    assert_eq!(titles(&l, "mac 'n'"), vec!["Mac 'n' cheese"]);
    assert_eq!(titles(&l, "\" * '"), Vec::<String>::new());
    // The tables are intact.
    assert_eq!(titles(&l, "").len(), 3);
}

#[tokio::test]
async fn deleted_and_edited_recipes_leave_the_index() {
    let l = larder().await;
    let id = add(&l, draft("Lemon drizzle", &["2 lemons"])).await;
    let mut d = l.get_recipe(&id).expect("get").to_draft();
    d.title = "Orange drizzle".into();
    d.ingredients[0].name = "oranges".into();
    l.update_recipe(&id, &d).await.expect("update");
    assert!(titles(&l, "lemon").is_empty());
    assert_eq!(titles(&l, "orange"), vec!["Orange drizzle"]);
    l.delete_recipe(&id).await.expect("delete");
    assert!(titles(&l, "orange").is_empty());
    assert!(titles(&l, "").is_empty());
    assert!(l.list_tags().expect("tags").is_empty());
}

#[tokio::test]
async fn tags_are_listed_with_counts() {
    let l = larder().await;
    let mut a = draft("A", &[]);
    a.tags = vec!["Vegan".into(), "Quick".into()];
    add(&l, a).await;
    let mut b = draft("B", &[]);
    b.tags = vec!["vegan".into()];
    add(&l, b).await;
    let tags = l.list_tags().expect("tags");
    let counts: Vec<_> = tags
        .iter()
        .map(|t| (t.tag.to_lowercase(), t.count))
        .collect();
    assert_eq!(
        counts,
        vec![("quick".to_string(), 1), ("vegan".to_string(), 2)]
    );
}
