//! Property test: random operation sequences on three replicas, with changes exchanged between
//! random pairs in random order, always converge to identical materialised state (recipes,
//! search results, tags, grocery list) once everything has been exchanged.

mod common;

use std::sync::Arc;

use common::draft;
use larder_core::clock::ManualClock;
use larder_core::docstore::MemoryStore;
use larder_core::{Larder, LarderError, Store};
use proptest::prelude::*;

const REPLICAS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    Create {
        replica: usize,
        title: String,
    },
    Retitle {
        replica: usize,
        recipe: usize,
        title: String,
    },
    Servings {
        replica: usize,
        recipe: usize,
        servings: u32,
    },
    AddIngredient {
        replica: usize,
        recipe: usize,
        line: String,
    },
    EditFirstStep {
        replica: usize,
        recipe: usize,
        text: String,
    },
    AddStep {
        replica: usize,
        recipe: usize,
        text: String,
    },
    Tag {
        replica: usize,
        recipe: usize,
        tag: String,
    },
    Delete {
        replica: usize,
        recipe: usize,
    },
    GroceryAddRecipe {
        replica: usize,
        recipe: usize,
    },
    GroceryAdd {
        replica: usize,
        text: String,
    },
    GroceryToggle {
        replica: usize,
        item: usize,
    },
    GroceryClear {
        replica: usize,
    },
    Sync {
        from: usize,
        to: usize,
    },
}

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "tomato", "crème", "garlic", "basil", "lemon", "brûlée", "rice", "bean", "onion", "salt",
    ])
    .prop_map(str::to_string)
}

fn op() -> impl Strategy<Value = Op> {
    let r = 0..REPLICAS;
    let i = 0usize..6;
    prop_oneof![
        (r.clone(), word()).prop_map(|(replica, title)| Op::Create { replica, title }),
        (r.clone(), i.clone(), word()).prop_map(|(replica, recipe, title)| Op::Retitle {
            replica,
            recipe,
            title
        }),
        (r.clone(), i.clone(), 1u32..12).prop_map(|(replica, recipe, servings)| Op::Servings {
            replica,
            recipe,
            servings
        }),
        (r.clone(), i.clone(), (1u32..500, word())).prop_map(|(replica, recipe, (q, w))| {
            Op::AddIngredient {
                replica,
                recipe,
                line: format!("{q} g {w}"),
            }
        }),
        (r.clone(), i.clone(), word()).prop_map(|(replica, recipe, text)| Op::EditFirstStep {
            replica,
            recipe,
            text
        }),
        (r.clone(), i.clone(), word()).prop_map(|(replica, recipe, text)| Op::AddStep {
            replica,
            recipe,
            text
        }),
        (r.clone(), i.clone(), word()).prop_map(|(replica, recipe, tag)| Op::Tag {
            replica,
            recipe,
            tag
        }),
        (r.clone(), i.clone()).prop_map(|(replica, recipe)| Op::Delete { replica, recipe }),
        (r.clone(), i.clone())
            .prop_map(|(replica, recipe)| Op::GroceryAddRecipe { replica, recipe }),
        (r.clone(), word()).prop_map(|(replica, text)| Op::GroceryAdd { replica, text }),
        (r.clone(), i.clone()).prop_map(|(replica, item)| Op::GroceryToggle { replica, item }),
        r.clone().prop_map(|replica| Op::GroceryClear { replica }),
        (r.clone(), r.clone()).prop_map(|(from, to)| Op::Sync { from, to }),
        (r.clone(), r).prop_map(|(from, to)| Op::Sync { from, to }),
    ]
}

struct Replica {
    docs: MemoryStore,
    larder: Larder<MemoryStore>,
}

async fn replica(clock: &ManualClock) -> Replica {
    let docs = MemoryStore::new();
    let store = Arc::new(Store::open_in_memory().expect("store"));
    let larder = Larder::open(docs.clone(), store, Arc::new(clock.clone()))
        .await
        .expect("open");
    Replica { docs, larder }
}

/// Copies every document of `from` into `to` and refreshes `to`'s view.
async fn sync(from: &Replica, to: &Replica) {
    for id in from.docs.ids() {
        let bytes = from.docs.save(&id).expect("saved");
        to.docs.merge_bytes(&id, &bytes).expect("merge");
        to.larder.rematerialize(&id).await.expect("refresh");
    }
}

/// Live recipe ids as replica `r` sees them, in a stable order.
fn recipe_ids(r: &Replica) -> Vec<String> {
    let mut ids: Vec<String> = r
        .larder
        .search("", 1000, 0)
        .expect("list")
        .into_iter()
        .map(|s| s.id)
        .collect();
    ids.sort();
    ids
}

fn ignore_gone(result: Result<impl Sized, LarderError>) {
    match result {
        Ok(_) | Err(LarderError::RecipeNotFound(_)) | Err(LarderError::ItemNotFound(_)) => {}
        Err(other) => panic!("unexpected error: {other}"),
    }
}

async fn apply(replicas: &[Replica], op: &Op, clock: &ManualClock) {
    clock.advance(1);
    let pick = |r: usize, i: usize| recipe_ids(&replicas[r]).get(i).cloned();
    match op {
        Op::Create { replica, title } => ignore_gone(
            replicas[*replica]
                .larder
                .create_recipe(&draft(title, &["1 onion"]))
                .await,
        ),
        Op::Retitle {
            replica,
            recipe,
            title,
        }
        | Op::EditFirstStep {
            replica,
            recipe,
            text: title,
        }
        | Op::AddStep {
            replica,
            recipe,
            text: title,
        }
        | Op::Tag {
            replica,
            recipe,
            tag: title,
        } => {
            let Some(id) = pick(*replica, *recipe) else {
                return;
            };
            let larder = &replicas[*replica].larder;
            let mut d = larder.get_recipe(&id).expect("live").to_draft();
            match op {
                Op::Retitle { .. } => d.title = title.clone(),
                Op::EditFirstStep { .. } => match d.steps.first_mut() {
                    Some(step) => step.insert_str(0, title),
                    None => d.steps.push(title.clone()),
                },
                Op::AddStep { .. } => d.steps.push(format!("{title} well")),
                _ => d.tags.push(title.clone()),
            }
            ignore_gone(larder.update_recipe(&id, &d).await)
        }
        Op::Servings {
            replica,
            recipe,
            servings,
        } => {
            let Some(id) = pick(*replica, *recipe) else {
                return;
            };
            let larder = &replicas[*replica].larder;
            let mut d = larder.get_recipe(&id).expect("live").to_draft();
            d.servings = Some(*servings);
            ignore_gone(larder.update_recipe(&id, &d).await)
        }
        Op::AddIngredient {
            replica,
            recipe,
            line,
        } => {
            let Some(id) = pick(*replica, *recipe) else {
                return;
            };
            let larder = &replicas[*replica].larder;
            let mut d = larder.get_recipe(&id).expect("live").to_draft();
            d.ingredients.push(larder_core::api::ingredient_input(line));
            ignore_gone(larder.update_recipe(&id, &d).await)
        }
        Op::Delete { replica, recipe } => {
            let Some(id) = pick(*replica, *recipe) else {
                return;
            };
            ignore_gone(replicas[*replica].larder.delete_recipe(&id).await)
        }
        Op::GroceryAddRecipe { replica, recipe } => {
            let Some(id) = pick(*replica, *recipe) else {
                return;
            };
            ignore_gone(
                replicas[*replica]
                    .larder
                    .add_recipe_to_grocery(&id, Some(2.0))
                    .await,
            )
        }
        Op::GroceryAdd { replica, text } => {
            ignore_gone(replicas[*replica].larder.add_grocery_item(text).await)
        }
        Op::GroceryToggle { replica, item } => {
            let larder = &replicas[*replica].larder;
            let items = larder.grocery_items().await.expect("items");
            if let Some(it) = items.get(*item) {
                ignore_gone(larder.set_grocery_checked(&it.id, !it.checked).await)
            }
        }
        Op::GroceryClear { replica } => {
            ignore_gone(replicas[*replica].larder.clear_checked_grocery().await)
        }
        Op::Sync { from, to } => {
            if from != to {
                sync(&replicas[*from], &replicas[*to]).await
            }
        }
    }
}

async fn run(ops: Vec<Op>) {
    let clock = ManualClock::new(1_700_000_000_000);
    let mut replicas = Vec::new();
    for _ in 0..REPLICAS {
        replicas.push(replica(&clock).await);
    }
    // One shared grocery list, as the relay hands every device the same one.
    let list = replicas[0].larder.grocery_list_id().await.expect("list");
    for r in &replicas[1..] {
        sync(&replicas[0], r).await;
        r.larder.use_grocery_list(&list).await.expect("adopt");
    }
    for op in &ops {
        apply(&replicas, op, &clock).await;
    }
    // Exchange everything, in both directions, until quiet.
    for _ in 0..2 {
        for from in 0..REPLICAS {
            for to in 0..REPLICAS {
                if from != to {
                    sync(&replicas[from], &replicas[to]).await;
                }
            }
        }
    }
    let first = &replicas[0].larder;
    let ids = recipe_ids(&replicas[0]);
    for r in &replicas[1..] {
        assert_eq!(recipe_ids(r), ids);
        for id in &ids {
            assert_eq!(
                r.larder.get_recipe(id).expect("get"),
                first.get_recipe(id).expect("get")
            );
        }
        assert_eq!(
            r.larder.search("", 1000, 0).expect("list"),
            first.search("", 1000, 0).expect("list")
        );
        for q in ["tomato", "cre", "onion"] {
            let mut a: Vec<_> = r
                .larder
                .search(q, 1000, 0)
                .expect("s")
                .into_iter()
                .map(|s| s.id)
                .collect();
            let mut b: Vec<_> = first
                .search(q, 1000, 0)
                .expect("s")
                .into_iter()
                .map(|s| s.id)
                .collect();
            a.sort();
            b.sort();
            assert_eq!(a, b, "search {q}");
        }
        assert_eq!(
            r.larder.list_tags().expect("tags"),
            first.list_tags().expect("tags")
        );
        assert_eq!(
            r.larder.grocery_items().await.expect("items"),
            first.grocery_items().await.expect("items")
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_to_identical_views(ops in prop::collection::vec(op(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        rt.block_on(run(ops));
    }
}

/// Found by the property above: a recipe edited on B, synced back to A, then edited on A.
#[test]
fn an_edit_after_merging_the_other_replicas_edit_succeeds() {
    let ops = vec![
        Op::Create {
            replica: 0,
            title: "tomato".into(),
        },
        Op::Sync { from: 0, to: 1 },
        Op::AddIngredient {
            replica: 1,
            recipe: 0,
            line: "1 g tomato".into(),
        },
        Op::Sync { from: 1, to: 0 },
        Op::AddIngredient {
            replica: 0,
            recipe: 0,
            line: "1 g tomato".into(),
        },
    ];
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    rt.block_on(run(ops));
}
