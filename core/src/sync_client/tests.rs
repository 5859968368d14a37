use super::*;
use crate::model::Recipe;

fn entry(seq: u64, id: &str, heads: &[&str]) -> FeedEntry {
    FeedEntry {
        seq,
        doc_id: id.into(),
        heads: heads.iter().map(|h| h.to_string()).collect(),
    }
}

/// A recipe whose view is at `heads`, with a chunk stored (the device holds it).
fn held(store: &Store, id: &str, heads: &str) {
    let recipe = Recipe {
        id: id.into(),
        title: format!("Recipe {id}"),
        ..Default::default()
    };
    store.write_recipe_view(&recipe, heads).expect("view");
    store
        .kv_put(&[id.to_string(), "snapshot".into(), "x".into()], b"chunk")
        .expect("chunk");
}

fn pulls(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Pull { doc_id } => Some(doc_id.as_str()),
            Action::Fetch { .. } => None,
        })
        .collect()
}

fn link() -> Link {
    Link {
        online: true,
        uploading: false,
        now_ms: 0,
    }
}

#[test]
fn the_backlog_is_planned_at_once_then_entries_are_pulled_as_they_come() {
    let store = Store::open_in_memory().expect("store");
    held(&store, "here", "a");
    held(&store, "behind", "old");
    let mut client = SyncClient::new(0, true, 4);
    client.feed_opened();
    let mut actions = Vec::new();
    actions.extend(client.feed_entry(&store, entry(1, "here", &["a"])).unwrap());
    actions.extend(
        client
            .feed_entry(&store, entry(2, "behind", &["new"]))
            .unwrap(),
    );
    for i in 0..20 {
        actions.extend(
            client
                .feed_entry(&store, entry(3 + i, &format!("new{i}"), &["h"]))
                .unwrap(),
        );
    }
    assert!(
        actions.is_empty(),
        "nothing happens before the backlog is in"
    );
    assert_eq!(client.cursor(), 22);
    assert_eq!(
        client.status(&store, link()).unwrap().state,
        SyncState::Syncing
    );

    let actions = client.feed_caught_up(&store).unwrap();
    assert_eq!(
        pulls(&actions),
        vec!["behind"],
        "the one held but behind is pulled"
    );
    let fetches: Vec<&Vec<String>> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Fetch { batch } => Some(batch),
            Action::Pull { .. } => None,
        })
        .collect();
    assert_eq!(fetches.len(), 1);
    assert_eq!(fetches[0].len(), 20, "those held nothing of come in bulk");
    let status = client.status(&store, link()).unwrap();
    assert_eq!(status.progress, Some(SyncProgress { done: 0, total: 20 }));
    assert_eq!(
        store.relay_knows(&["here".into(), "new7".into()]).unwrap(),
        vec![true, true]
    );

    // Two of the batch were not in the answer: they are pulled instead.
    let left = vec!["new3".to_string(), "new9".to_string()];
    let actions = client.fetched(&store, fetches[0], Some(&left)).unwrap();
    assert_eq!(pulls(&actions), vec!["new3", "new9"]);
    assert_eq!(client.status(&store, link()).unwrap().progress, None);
    assert!(!client.caught_up(), "three pulls still run");

    // A live entry for a document at those heads needs no pull.
    held(&store, "later", "z");
    assert!(
        client
            .feed_entry(&store, entry(30, "later", &["z"]))
            .unwrap()
            .is_empty()
    );
    assert_eq!(client.cursor(), 30);
}

#[test]
fn pulls_are_limited_and_a_document_named_during_its_pull_is_pulled_again() {
    let store = Store::open_in_memory().expect("store");
    let mut client = SyncClient::new(0, false, 2);
    client.feed_opened();
    assert!(client.feed_caught_up(&store).unwrap().is_empty());
    assert!(client.caught_up());
    let a = client.feed_entry(&store, entry(1, "a", &["1"])).unwrap();
    let b = client.feed_entry(&store, entry(2, "b", &["1"])).unwrap();
    let c = client.feed_entry(&store, entry(3, "c", &["1"])).unwrap();
    assert_eq!((pulls(&a), pulls(&b)), (vec!["a"], vec!["b"]));
    assert!(c.is_empty(), "two pulls at once");
    assert!(
        client
            .feed_entry(&store, entry(4, "c", &["2"]))
            .unwrap()
            .is_empty(),
        "queued once"
    );
    // "a" changes again while it is pulled.
    assert!(
        client
            .feed_entry(&store, entry(5, "a", &["2"]))
            .unwrap()
            .is_empty()
    );

    // "a" ends: "c" takes its slot, and "a" goes in the queue again.
    assert_eq!(pulls(&client.pulled(&store, "a", true).unwrap()), vec!["c"]);
    assert_eq!(pulls(&client.pulled(&store, "b", true).unwrap()), vec!["a"]);
    // Once its view is at the relay's heads, a queued document needs no pull.
    held(&store, "c", "2");
    assert!(client.pulled(&store, "c", true).unwrap().is_empty());
    assert!(!client.caught_up());
    assert!(client.pulled(&store, "a", true).unwrap().is_empty());
    assert!(client.caught_up());
}

#[test]
fn failed_pulls_and_fetches_are_tried_again() {
    let store = Store::open_in_memory().expect("store");
    let mut client = SyncClient::new(0, true, 8);
    client.feed_opened();
    for i in 0..10 {
        client
            .feed_entry(&store, entry(i + 1, &format!("d{i}"), &["h"]))
            .unwrap();
    }
    let actions = client.feed_caught_up(&store).unwrap();
    let Some(Action::Fetch { batch }) = actions.first().cloned() else {
        panic!("a bulk fetch: {actions:?}");
    };
    // The fetch failed: its documents are pulled (eight at once).
    let actions = client.fetched(&store, &batch, None).unwrap();
    assert_eq!(pulls(&actions).len(), 8);
    assert!(
        client.pulled(&store, "d0", false).unwrap().len() == 1,
        "d8 starts"
    );
    assert!(!client.caught_up());
    for id in ["d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8"] {
        client.pulled(&store, id, true).unwrap();
    }
    let actions = client.pulled(&store, "d9", true).unwrap();
    assert!(actions.is_empty());
    assert!(!client.caught_up(), "d0 failed");
    assert_eq!(pulls(&client.retry(&store).unwrap()), vec!["d0"]);
    client.pulled(&store, "d0", true).unwrap();
    assert!(client.caught_up());
}

#[test]
fn reconnecting_backs_off_and_resets_once_the_feed_is_followed() {
    let mut client = SyncClient::new(7, true, 1);
    let store = Store::open_in_memory().expect("store");
    assert_eq!(
        client.status(&store, link()).unwrap().state,
        SyncState::Connecting
    );
    let waits: Vec<Duration> = (0..7)
        .map(|_| client.feed_closed(Some("cannot reach the relay".into())))
        .collect();
    assert_eq!(waits[0], Duration::from_millis(500));
    assert_eq!(waits[1], Duration::from_secs(1));
    assert_eq!(waits[6], MAX_RETRY);
    let status = client.status(&store, link()).unwrap();
    assert_eq!(status.state, SyncState::Offline);
    assert_eq!(status.last_error.as_deref(), Some("cannot reach the relay"));
    client.feed_opened();
    assert_eq!(
        client.feed_closed(None),
        FIRST_RETRY,
        "a clean end does not back off"
    );
    assert_eq!(client.cursor(), 7);
}

#[test]
fn up_to_date_only_when_nothing_differs_from_the_relay() {
    let store = Store::open_in_memory().expect("store");
    let mut client = SyncClient::new(0, true, 4);
    client.feed_opened();
    client
        .feed_entry(&store, entry(1, "r", &["b", "a"]))
        .unwrap();
    assert_eq!(pulls(&client.feed_caught_up(&store).unwrap()), vec!["r"]);
    let status = client.status(&store, link()).unwrap();
    assert_eq!((status.state, status.pending), (SyncState::Syncing, 1));
    held(&store, "r", "a,b");
    client.pulled(&store, "r", true).unwrap();
    let status = client.status(&store, link()).unwrap();
    assert_eq!((status.state, status.pending), (SyncState::UpToDate, 0));

    // A local edit: marked, its view past the relay's heads.
    held(&store, "r", "a,b,c");
    store
        .kv_put(&["r".into(), "incremental".into(), "c".into()], b"edit")
        .expect("chunk");
    let status = client.status(&store, link()).unwrap();
    assert_eq!((status.state, status.pending), (SyncState::Syncing, 1));
    let uploading = Link {
        uploading: true,
        ..link()
    };
    store
        .set_relay_heads(&[("r".into(), "a,b,c".into())])
        .unwrap();
    assert_eq!(
        client.status(&store, uploading).unwrap().state,
        SyncState::Syncing
    );
    assert_eq!(
        client.status(&store, link()).unwrap().state,
        SyncState::UpToDate
    );
    let offline = Link {
        online: false,
        ..link()
    };
    assert_eq!(
        client.status(&store, offline).unwrap().state,
        SyncState::Offline
    );
}
