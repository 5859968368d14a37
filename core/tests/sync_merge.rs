//! Two devices as two samod repos connected in-process: each runs the full engine over its own
//! SQLite store. Edits made while disconnected merge field by field once they reconnect.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::draft;
use larder_core::clock::SystemClock;
use larder_core::docstore::{DocumentStore, SamodStore, heads_string};
use larder_core::{Larder, Store};
use samod::transport::channel::ChannelDialer;
use samod::{BackoffConfig, DialerHandle};

struct Device {
    larder: Larder<SamodStore>,
}

async fn device() -> Device {
    let store = Arc::new(Store::open_in_memory().expect("store"));
    let docs = SamodStore::open(store.clone()).await;
    let larder = Larder::open(docs, store, Arc::new(SystemClock))
        .await
        .expect("open");
    Device { larder }
}

/// Connects `b` to `a`; dropping/closing the handle disconnects.
async fn connect(a: &Device, b: &Device, name: &str) -> DialerHandle {
    let url = samod::Url::parse(&format!("channel://{name}")).expect("url");
    let acceptor = a
        .larder
        .documents()
        .repo()
        .make_acceptor(url)
        .expect("acceptor");
    let dialer = b
        .larder
        .documents()
        .repo()
        .dial(
            BackoffConfig::default(),
            Arc::new(ChannelDialer::new(acceptor)),
        )
        .expect("dial");
    dialer.established().await.expect("connected");
    dialer
}

async fn heads(device: &Device, id: &str) -> Option<String> {
    device
        .larder
        .documents()
        .with_doc(id, |doc| heads_string(doc))
        .await
        .expect("doc store")
}

/// Waits (bounded) until both devices hold the same heads for `id`, then refreshes both views.
async fn converge(a: &Device, b: &Device, id: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (ha, hb) = (heads(a, id).await, heads(b, id).await);
        if ha.is_some() && ha == hb {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "devices did not converge on {id}: {ha:?} vs {hb:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.larder.rematerialize(id).await.expect("refresh a");
    b.larder.rematerialize(id).await.expect("refresh b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipe_made_on_one_device_appears_on_the_other() {
    let (a, b) = (device().await, device().await);
    let _link = connect(&a, &b, "appear").await;
    let recipe = a
        .larder
        .create_recipe(&draft("Lentil soup", &["250 g red lentils"]))
        .await
        .expect("create");
    converge(&a, &b, &recipe.id).await;
    assert_eq!(b.larder.get_recipe(&recipe.id).expect("on b"), recipe);
    assert_eq!(b.larder.search("lentil", 5, 0).expect("search").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_edits_to_different_fields_both_survive() {
    let (a, b) = (device().await, device().await);
    let link = connect(&a, &b, "fields").await;
    let mut d = draft("Pesto", &["50 g basil", "30 g pine nuts"]);
    d.steps = vec!["Toast the nuts.".into(), "Blend.".into()];
    let recipe = a.larder.create_recipe(&d).await.expect("create");
    converge(&a, &b, &recipe.id).await;
    link.close();

    // Offline: A retitles and adds a step; B changes servings, a tag, an ingredient and a step.
    let mut on_a = recipe.to_draft();
    on_a.title = "Genovese pesto".into();
    on_a.steps.push("Stir in the cheese.".into());
    a.larder
        .update_recipe(&recipe.id, &on_a)
        .await
        .expect("edit a");
    let mut on_b = recipe.to_draft();
    on_b.servings = Some(4);
    on_b.tags = vec!["Sauce".into()];
    on_b.ingredients[1].quantity = Some(40.0);
    on_b.steps[0] = "Toast the nuts lightly.".into();
    b.larder
        .update_recipe(&recipe.id, &on_b)
        .await
        .expect("edit b");

    let _link = connect(&a, &b, "fields-again").await;
    converge(&a, &b, &recipe.id).await;
    let ra = a.larder.get_recipe(&recipe.id).expect("a");
    let rb = b.larder.get_recipe(&recipe.id).expect("b");
    assert_eq!(ra, rb);
    assert_eq!(ra.title, "Genovese pesto");
    assert_eq!(ra.servings, Some(4));
    assert_eq!(ra.tags, vec!["Sauce"]);
    assert_eq!(ra.ingredients[1].quantity, Some(40.0));
    assert_eq!(
        ra.steps,
        vec!["Toast the nuts lightly.", "Blend.", "Stir in the cheese."]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_edits_of_one_scalar_pick_the_same_winner_everywhere() {
    let (a, b) = (device().await, device().await);
    let link = connect(&a, &b, "scalar").await;
    let recipe = a
        .larder
        .create_recipe(&draft("Chili", &[]))
        .await
        .expect("create");
    converge(&a, &b, &recipe.id).await;
    link.close();
    let mut on_a = recipe.to_draft();
    on_a.title = "Chili from A".into();
    a.larder
        .update_recipe(&recipe.id, &on_a)
        .await
        .expect("edit a");
    let mut on_b = recipe.to_draft();
    on_b.title = "Chili from B".into();
    b.larder
        .update_recipe(&recipe.id, &on_b)
        .await
        .expect("edit b");
    let _link = connect(&a, &b, "scalar-again").await;
    converge(&a, &b, &recipe.id).await;
    let ta = a.larder.get_recipe(&recipe.id).expect("a").title;
    let tb = b.larder.get_recipe(&recipe.id).expect("b").title;
    assert_eq!(ta, tb);
    assert!(ta == "Chili from A" || ta == "Chili from B", "{ta}");
    assert_eq!(
        a.larder.search("chili", 5, 0).expect("a"),
        b.larder.search("chili", 5, 0).expect("b")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_against_a_concurrent_edit_ends_deleted_on_both() {
    let (a, b) = (device().await, device().await);
    let link = connect(&a, &b, "delete").await;
    let recipe = a
        .larder
        .create_recipe(&draft("Flan", &["4 eggs"]))
        .await
        .expect("create");
    converge(&a, &b, &recipe.id).await;
    link.close();
    a.larder.delete_recipe(&recipe.id).await.expect("delete");
    let mut on_b = recipe.to_draft();
    on_b.title = "Caramel flan".into();
    b.larder
        .update_recipe(&recipe.id, &on_b)
        .await
        .expect("edit b");
    let _link = connect(&a, &b, "delete-again").await;
    converge(&a, &b, &recipe.id).await;
    for device in [&a, &b] {
        assert!(device.larder.get_recipe(&recipe.id).is_err());
        assert!(
            device
                .larder
                .search("flan", 5, 0)
                .expect("search")
                .is_empty()
        );
        assert!(device.larder.search("", 5, 0).expect("search").is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_grocery_check_offs_merge() {
    let (a, b) = (device().await, device().await);
    let link = connect(&a, &b, "grocery").await;
    a.larder.add_grocery_item("2 l milk").await.expect("milk");
    a.larder.add_grocery_item("bread").await.expect("bread");
    let list = a.larder.grocery_list_id().await.expect("list");
    converge(&a, &b, &list).await;
    b.larder.use_grocery_list(&list).await.expect("adopt");
    assert_eq!(b.larder.grocery_items().await.expect("items").len(), 2);
    link.close();

    let items = a.larder.grocery_items().await.expect("items");
    let milk = items
        .iter()
        .find(|i| i.name == "milk")
        .expect("milk")
        .id
        .clone();
    let bread = items
        .iter()
        .find(|i| i.name == "bread")
        .expect("bread")
        .id
        .clone();
    a.larder
        .set_grocery_checked(&milk, true)
        .await
        .expect("check on a");
    b.larder
        .set_grocery_checked(&bread, true)
        .await
        .expect("check on b");
    b.larder
        .add_grocery_item("6 eggs")
        .await
        .expect("eggs on b");

    let _link = connect(&a, &b, "grocery-again").await;
    converge(&a, &b, &list).await;
    let on_a = a.larder.grocery_items().await.expect("a");
    let on_b = b.larder.grocery_items().await.expect("b");
    assert_eq!(on_a, on_b);
    assert_eq!(on_a.len(), 3);
    assert!(on_a.iter().filter(|i| i.name != "eggs").all(|i| i.checked));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_arriving_by_sync_refresh_the_view_and_notify() {
    let a = device().await;
    let store = Arc::new(Store::open_in_memory().expect("store"));
    let docs = SamodStore::open(store.clone()).await;
    let changed = docs
        .changed_documents()
        .expect("first taker gets the stream");
    assert!(
        docs.changed_documents().is_none(),
        "the stream is handed out once"
    );
    let b = Device {
        larder: Larder::open(docs, store, Arc::new(SystemClock))
            .await
            .expect("open"),
    };
    let b = Arc::new(b);
    let mut events = b.larder.subscribe();
    let follower = {
        let b = b.clone();
        tokio::spawn(async move { b.larder.follow_changes(changed).await })
    };
    let _link = connect(&a, &b, "follow").await;
    let recipe = a
        .larder
        .create_recipe(&draft("Miso soup", &["2 tbsp miso"]))
        .await
        .expect("create");
    // samod syncs the documents a peer asks for; B asks by id (as the relay's change feed will
    // tell it to). Its view and events then follow without further calls.
    b.larder
        .documents()
        .handle(&recipe.id)
        .await
        .expect("find")
        .expect("found on a");
    let event = tokio::time::timeout(Duration::from_secs(20), async {
        use futures_util::StreamExt;
        loop {
            match events.next().await {
                Some(larder_core::ChangeEvent::RecipeChanged { id }) if id == recipe.id => {
                    break id;
                }
                Some(_) => continue,
                None => panic!("event stream ended"),
            }
        }
    })
    .await
    .expect("a change event within the timeout");
    assert_eq!(event, recipe.id);
    assert_eq!(b.larder.get_recipe(&recipe.id).expect("view"), recipe);

    // A later edit on A reaches B's view without anyone asking.
    let mut edit = recipe.to_draft();
    edit.title = "White miso soup".into();
    a.larder
        .update_recipe(&recipe.id, &edit)
        .await
        .expect("edit");
    tokio::time::timeout(Duration::from_secs(20), async {
        use futures_util::StreamExt;
        while b.larder.get_recipe(&recipe.id).expect("view").title != "White miso soup" {
            events.next().await.expect("more events");
        }
    })
    .await
    .expect("the edit arrives within the timeout");
    follower.abort();
}
