//! The API end to end on a real profile (samod over SQLite): round trips, reopening, repair after
//! a crash between two writes, attachments, grocery operations and change events.

mod common;

use std::sync::Arc;

use automerge::transaction::Transactable;
use common::draft;
use larder_core::docstore::DocumentStore;
use larder_core::model::ValidationError;
use larder_core::{ChangeEvent, LarderError, Store, profile};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_update_get_search_delete_and_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let larder = profile::open(dir.path()).await.expect("open");
    let mut d = draft(
        "Crème brûlée",
        &["500 ml cream", "5 egg yolks", "100 g sugar"],
    );
    d.steps = vec!["Heat the cream.".into(), "Whisk yolks and sugar.".into()];
    d.notes = "Torch the sugar just before serving — très bien.".into();
    d.tags = vec!["Dessert".into(), "French".into()];
    d.servings = Some(6);
    let created = larder.create_recipe(&d).await.expect("create");
    assert_eq!(created.title, "Crème brûlée");
    assert_eq!(created.ingredients.len(), 3);
    assert_eq!(created.ingredients[0].unit, "ml");

    let mut edit = created.to_draft();
    edit.steps.insert(1, "Séparez les œufs.".into());
    edit.notes = "Torch the sugar — très, très bien.".into();
    edit.ingredients.remove(2);
    let updated = larder
        .update_recipe(&created.id, &edit)
        .await
        .expect("update");
    assert_eq!(updated.steps.len(), 3);
    assert_eq!(updated.steps[1], "Séparez les œufs.");
    assert_eq!(updated.notes, "Torch the sugar — très, très bien.");
    assert_eq!(updated.ingredients.len(), 2);
    assert_eq!(
        updated.ingredients[0].id, created.ingredients[0].id,
        "row ids are kept"
    );

    let second = larder
        .create_recipe(&draft("Tomato soup", &["1 kg tomatoes"]))
        .await
        .expect("create");
    assert_eq!(
        larder.search("creme", 10, 0).expect("search")[0].id,
        created.id
    );
    assert_eq!(larder.search("", 10, 0).expect("search").len(), 2);
    larder.delete_recipe(&second.id).await.expect("delete");
    assert!(matches!(
        larder.get_recipe(&second.id),
        Err(LarderError::RecipeNotFound(_))
    ));
    assert!(larder.search("tomato", 10, 0).expect("search").is_empty());
    larder.close().await.expect("close");

    let reopened = profile::open(dir.path()).await.expect("reopen");
    assert_eq!(reopened.get_recipe(&created.id).expect("get"), updated);
    let all = reopened.search("", 10, 0).expect("search");
    assert_eq!(all.len(), 1);
    // The document itself survived too, not only the view.
    let id = created.id.clone();
    let title = reopened
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
    assert_eq!(title.as_deref(), Some("\"Crème brûlée\""));
    reopened.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let larder = profile::open(dir.path()).await.expect("open");
    let err = larder
        .create_recipe(&draft("  ", &[]))
        .await
        .expect_err("empty title");
    assert!(matches!(
        err,
        LarderError::Invalid(ValidationError::EmptyTitle)
    ));
    let ok = larder
        .create_recipe(&draft("Bread", &["500 g flour"]))
        .await
        .expect("create");
    let mut bad = ok.to_draft();
    bad.ingredients[0].quantity = Some(-3.0);
    assert!(larder.update_recipe(&ok.id, &bad).await.is_err());
    assert_eq!(larder.get_recipe(&ok.id).expect("get"), ok);
    assert!(matches!(
        larder
            .update_recipe("not-a-document-id", &ok.to_draft())
            .await,
        Err(LarderError::Docs(_)) | Err(LarderError::RecipeNotFound(_))
    ));
    larder.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_changed_without_its_view_is_rematerialised_on_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let larder = profile::open(dir.path()).await.expect("open");
    let recipe = larder
        .create_recipe(&draft("Pancakes", &["2 eggs"]))
        .await
        .expect("create");
    // A change reaches the document store but the process dies before the view is written.
    let id = recipe.id.clone();
    larder
        .documents()
        .with_doc(&id, |doc| {
            doc.transact(|tx| tx.put(automerge::ROOT, "title", "Fluffy pancakes"))
                .expect("change");
        })
        .await
        .expect("doc");
    larder.documents().stop().await; // flushes chunks; no clean close of the view
    drop(larder);

    let reopened = profile::open(dir.path()).await.expect("reopen");
    assert_eq!(
        reopened.get_recipe(&recipe.id).expect("get").title,
        "Fluffy pancakes"
    );
    assert_eq!(reopened.search("fluffy", 5, 0).expect("search").len(), 1);
    reopened.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_written_ahead_of_its_document_is_repaired_on_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let larder = profile::open(dir.path()).await.expect("open");
    let recipe = larder
        .create_recipe(&draft("Waffles", &[]))
        .await
        .expect("create");
    larder.close().await.expect("close");

    // Simulate a view row written for a change that never reached the document store.
    {
        let store = Store::open(&profile::database_path(dir.path())).expect("store");
        let mut ghost = recipe.clone();
        ghost.title = "Ghost edit".into();
        store.write_recipe_view(&ghost, "0000").expect("write");
    }
    let reopened = profile::open(dir.path()).await.expect("reopen");
    assert_eq!(
        reopened.get_recipe(&recipe.id).expect("get").title,
        "Waffles"
    );
    assert!(reopened.search("ghost", 5, 0).expect("search").is_empty());
    reopened.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_are_kept_by_hash_and_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let larder = profile::open(dir.path()).await.expect("open");
    let recipe = larder
        .create_recipe(&draft("Pizza", &[]))
        .await
        .expect("create");
    let bytes: Vec<u8> = (0..70_000u32).map(|i| (i % 256) as u8).collect();
    let a = larder
        .attach_file(&recipe.id, "../photos/pizza.jpg", "", &bytes)
        .await
        .expect("attach");
    assert_eq!(a.file_name, "pizza.jpg");
    assert_eq!(a.media_type, "image/jpeg");
    assert_eq!(a.size, 70_000);
    let again = larder
        .attach_file(&recipe.id, "pizza.jpg", "image/jpeg", &bytes)
        .await
        .expect("attach twice");
    assert_eq!(again.sha256, a.sha256);
    assert_eq!(
        larder
            .get_recipe(&recipe.id)
            .expect("get")
            .attachments
            .len(),
        1
    );
    let (_, got) = larder
        .attachment_by_name(&recipe.id, "pizza.jpg")
        .expect("by name");
    assert_eq!(got, bytes);
    assert!(matches!(
        larder.attach_file(&recipe.id, "..", "", b"x").await,
        Err(LarderError::BadFileName(_))
    ));
    larder.close().await.expect("close");
    let reopened = profile::open(dir.path()).await.expect("reopen");
    assert_eq!(reopened.attachment_bytes(&a.sha256).expect("bytes"), bytes);
    // Queued for upload once, and still queued after a restart.
    let queued = reopened.store().queued_uploads().expect("queue");
    assert_eq!(
        queued.iter().map(|q| q.sha256.as_str()).collect::<Vec<_>>(),
        vec![a.sha256.as_str()]
    );
    reopened.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grocery_list_merges_scales_checks_and_clears() {
    let dir = tempfile::tempdir().expect("tempdir");
    let larder = profile::open(dir.path()).await.expect("open");
    let mut events = larder.subscribe();
    let mut soup = draft(
        "Soup",
        &["200 g butter", "2 cloves garlic", "salt to taste"],
    );
    soup.servings = Some(2);
    let soup = larder.create_recipe(&soup).await.expect("create");
    let cake = larder
        .create_recipe(&draft("Cake", &["0.5 kg butter", "3 eggs"]))
        .await
        .expect("create");
    let after_soup = larder
        .add_recipe_to_grocery(&soup.id, Some(4.0))
        .await
        .expect("add")
        .items;
    // Added by mistake and taken back at once: the list is as it was, item for item.
    let by_mistake = larder
        .add_recipe_to_grocery(&cake.id, None)
        .await
        .expect("add");
    assert_eq!(by_mistake.items.len(), 4);
    let taken_back = larder
        .undo_grocery_addition(by_mistake.undo)
        .await
        .expect("undo");
    assert_eq!(taken_back, after_soup);
    let items = larder
        .add_recipe_to_grocery(&cake.id, None)
        .await
        .expect("add")
        .items;
    let butter = items.iter().find(|i| i.name == "butter").expect("butter");
    assert_eq!(butter.quantity, Some(900.0));
    assert_eq!(butter.unit, "g");
    assert_eq!(
        butter.source_recipe_ids,
        vec![soup.id.clone(), cake.id.clone()]
    );
    let garlic = items.iter().find(|i| i.name == "garlic").expect("garlic");
    assert_eq!(garlic.quantity, Some(4.0));
    assert_eq!(items.len(), 4);
    // Each item reads as one line, formatted like ingredient lines.
    assert_eq!(butter.text, "900 g butter");
    assert_eq!(garlic.text, "4 cloves garlic");
    let salt = items.iter().find(|i| i.name == "salt").expect("salt");
    assert_eq!(salt.text, "salt");

    larder
        .set_grocery_checked(&butter.id, true)
        .await
        .expect("check");
    let items = larder.add_grocery_item("1 l milk").await.expect("add");
    assert_eq!(items.len(), 5);
    assert!(matches!(
        larder.set_grocery_checked("nope", true).await,
        Err(LarderError::ItemNotFound(_))
    ));
    let items = larder.clear_checked_grocery().await.expect("clear");
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|i| i.name != "butter"));
    let eggs = items
        .iter()
        .find(|i| i.name == "eggs")
        .expect("eggs")
        .id
        .clone();
    let items = larder.remove_grocery_item(&eggs).await.expect("remove");
    assert_eq!(items.len(), 3);
    larder.close().await.expect("close");

    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(event);
    }
    assert!(seen.contains(&ChangeEvent::RecipeChanged {
        id: soup.id.clone()
    }));
    assert!(seen.contains(&ChangeEvent::GroceryChanged));

    let reopened = profile::open(dir.path()).await.expect("reopen");
    let items = reopened.grocery_items().await.expect("items");
    assert_eq!(items.len(), 3);
    // The view the items are read from gives the same lines.
    let milk = items.iter().find(|i| i.name == "milk").expect("milk");
    assert_eq!(milk.text, "1 l milk");
    reopened.close().await.expect("close");
}

#[test]
fn store_is_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Arc<Store>>();
}

/// Counts every document the engine touches.
struct Counting {
    inner: larder_core::docstore::SamodStore,
    touched: std::sync::atomic::AtomicUsize,
}

impl DocumentStore for Counting {
    async fn create(
        &self,
        initial: automerge::Automerge,
    ) -> Result<String, larder_core::docstore::DocStoreError> {
        self.touched
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.create(initial).await
    }

    async fn with_doc<R, F>(
        &self,
        id: &str,
        f: F,
    ) -> Result<Option<R>, larder_core::docstore::DocStoreError>
    where
        F: FnOnce(&mut automerge::Automerge) -> R + Send + 'static,
        R: Send + 'static,
    {
        self.touched
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.with_doc(id, f).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_listing_searching_and_reading_load_no_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    let larder = profile::open(dir.path()).await.expect("open");
    let mut ids = Vec::new();
    for i in 0..25 {
        let r = larder
            .create_recipe(&draft(&format!("Recipe {i}"), &["1 cup rice"]))
            .await
            .expect("create");
        ids.push(r.id);
    }
    larder.close().await.expect("close");

    let store = Arc::new(Store::open(&profile::database_path(dir.path())).expect("store"));
    let docs = Counting {
        inner: larder_core::docstore::SamodStore::open(store.clone()).await,
        touched: Default::default(),
    };
    let clock = Arc::new(larder_core::clock::SystemClock);
    let reopened = larder_core::Larder::open(docs, store, clock)
        .await
        .expect("open");
    assert_eq!(reopened.search("", 100, 0).expect("list").len(), 25);
    assert_eq!(reopened.search("rice", 100, 0).expect("search").len(), 25);
    assert_eq!(reopened.get_recipe(&ids[3]).expect("get").title, "Recipe 3");
    assert_eq!(reopened.list_tags().expect("tags").len(), 0);
    assert_eq!(
        reopened
            .documents()
            .touched
            .load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no Automerge document may be loaded to open, list, search or read"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_close_leaves_nothing_to_repair() {
    let dir = tempfile::tempdir().expect("tempdir");
    let larder = profile::open(dir.path()).await.expect("open");
    let drafts: Vec<_> = (0..300)
        .map(|i| {
            draft(
                &format!("Batch recipe {i}"),
                &["2 cups flour", "1 tsp salt"],
            )
        })
        .collect();
    let made = larder.create_recipes(&drafts).await.expect("import");
    assert_eq!(made.len(), 300);
    let mut edit = made[7].to_draft();
    edit.title = "Edited".into();
    larder
        .update_recipe(&made[7].id, &edit)
        .await
        .expect("edit");
    larder.close().await.expect("close");
    let store = Store::open(&profile::database_path(dir.path())).expect("store");
    assert_eq!(
        store.dirty_docs().expect("dirty"),
        Vec::<(String, i64)>::new(),
        "every chunk samod flushed while stopping was already in the view"
    );
    assert_eq!(store.search("", 500, 0).expect("list").len(), 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_recipes_are_whole_documents_that_samod_loads_and_sync_marks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let larder = profile::open(dir.path()).await.expect("open");
    // More than one transaction's worth, so waves are pipelined.
    let drafts: Vec<_> = (0..600)
        .map(|i| draft(&format!("Imported {i}"), &["3 eggs", "200 g crème fraîche"]))
        .collect();
    let made = larder.create_recipes(&drafts).await.expect("import");
    assert_eq!(made.len(), 600);
    let ids: std::collections::HashSet<_> = made.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids.len(), 600, "every document has its own id");
    let unsynced: std::collections::HashSet<_> = larder
        .store()
        .unsynced_docs()
        .expect("unsynced")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert!(
        ids.iter().all(|id| unsynced.contains(id)),
        "each waits for the relay"
    );
    larder.close().await.expect("close");

    let larder = profile::open(dir.path()).await.expect("reopen");
    for recipe in [&made[0], &made[299], &made[599]] {
        // samod loads the document from the chunk the import wrote; its heads are the view's.
        assert!(
            !larder.rematerialize(&recipe.id).await.expect("load"),
            "the view was built from exactly this document"
        );
        assert_eq!(&larder.get_recipe(&recipe.id).expect("get"), recipe);
        let mut edit = recipe.to_draft();
        edit.title = format!("{} (edited)", recipe.title);
        let edited = larder.update_recipe(&recipe.id, &edit).await.expect("edit");
        assert_eq!(edited.ingredients, recipe.ingredients);
    }
    assert_eq!(
        larder.search("fraiche", 1000, 0).expect("search").len(),
        600
    );
    assert_eq!(larder.search("edited", 10, 0).expect("search").len(), 3);
    larder.close().await.expect("close");
}
