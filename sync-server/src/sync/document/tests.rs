//! A document against automerge peers driven by hand: what it sends, when, and what it stores.

use std::sync::Arc;

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{Automerge, ROOT, ReadDoc};
use tokio::sync::mpsc;

use super::*;
use crate::store::SledStore;
use crate::sync::outbox::Outbound;

struct Client {
    am: Automerge,
    state: sync::State,
    out: Arc<Outbox>,
    rx: mpsc::UnboundedReceiver<Outbound>,
}

impl Client {
    fn new(id: u64, user: &UserId) -> Self {
        let (out, rx) = Outbox::new(id, user.clone(), format!("{user}.{id:032x}"), usize::MAX);
        Client {
            am: Automerge::new(),
            state: sync::State::new(),
            out: Arc::new(out),
            rx,
        }
    }

    fn set(&mut self, key: &str, value: &str) {
        self.am
            .transact::<_, _, AutomergeError>(|tx| {
                tx.put(ROOT, key, value)?;
                Ok(())
            })
            .unwrap();
    }

    fn get(&self, key: &str) -> Option<String> {
        self.am
            .get(ROOT, key)
            .unwrap()
            .map(|(v, _)| v.into_string().unwrap())
    }

    /// The client's next sync message to the relay, if it has one.
    fn next(&mut self) -> Option<sync::Message> {
        self.am.generate_sync_message(&mut self.state)
    }

    /// Takes every frame queued for this client: applies sync messages, returns the rest's
    /// types and the highest ticket seen.
    fn take(&mut self) -> (Vec<String>, u64) {
        let mut kinds = Vec::new();
        let mut highest = 0;
        while let Ok(item) = self.rx.try_recv() {
            let Outbound::Frame { bytes, after } = item else {
                kinds.push("close".into());
                continue;
            };
            highest = highest.max(after);
            match wire::decode(&bytes).unwrap() {
                wire::WireMessage::Sync { data, target, .. } => {
                    assert_eq!(target, self.out.peer);
                    let msg = sync::Message::decode(&data).unwrap();
                    self.am.receive_sync_message(&mut self.state, msg).unwrap();
                    kinds.push("sync".into());
                }
                other => kinds.push(format!("{other:?}").split(' ').next().unwrap().to_owned()),
            }
        }
        (kinds, highest)
    }
}

fn store() -> (tempfile::TempDir, SledStore) {
    let tmp = tempfile::tempdir().unwrap();
    let store = SledStore::open(tmp.path()).unwrap();
    (tmp, store)
}

/// Settles `doc` (deleting folded chunks at once) and lets the clients answer until nobody
/// has anything to say.
fn converge(doc: &mut Document, store: &SledStore, clients: &mut [&mut Client], tickets: &mut u64) {
    for _ in 0..20 {
        let mut said = false;
        for c in clients.iter_mut() {
            if let Some(msg) = c.next() {
                doc.receive(&c.out, msg, false).unwrap();
                said = true;
            }
        }
        let (_, folded) = doc
            .settle(store, || {
                *tickets += 1;
                *tickets
            })
            .unwrap();
        // As the shard does once the snapshot is durable.
        for key in folded.keys {
            store.delete_chunk(&key).unwrap();
        }
        for c in clients.iter_mut() {
            if !c.take().0.is_empty() {
                said = true;
            }
        }
        if !said {
            return;
        }
    }
    panic!("the peers did not converge");
}

#[test]
fn an_edit_reaches_the_other_peer_and_every_frame_waits_for_its_save() {
    let (_tmp, store) = store();
    let user = UserId::random();
    let id = DocId::random();
    let mut doc = Document::load(id, Principal::User(user.clone()), &store).unwrap();
    let mut laptop = Client::new(1, &user);
    let mut phone = Client::new(2, &user);
    laptop.set("title", "soup");
    let mut tickets = 0;
    converge(
        &mut doc,
        &store,
        &mut [&mut laptop, &mut phone],
        &mut tickets,
    );
    assert_eq!(phone.get("title").as_deref(), Some("soup"));
    assert_eq!(doc.heads(), laptop.am.get_heads());

    // One edit: the relay's answer to the laptop and its message to the phone both name the
    // ticket of the save that holds it.
    laptop.set("title", "leek soup");
    let msg = laptop.next().unwrap();
    doc.receive(&laptop.out, msg, false).unwrap();
    assert!(doc.is_due());
    let (saved, _) = doc
        .settle(&store, || {
            tickets += 1;
            tickets
        })
        .unwrap();
    let saved = saved.expect("the edit was saved");
    assert_eq!(saved.ticket, tickets);
    assert_eq!(saved.heads, sorted_hex(&laptop.am.get_heads()));
    assert_eq!(saved.owner, Principal::User(user));
    let (to_laptop, laptop_ticket) = laptop.take();
    let (to_phone, phone_ticket) = phone.take();
    assert_eq!(
        (to_laptop, laptop_ticket),
        (vec!["sync".to_string()], tickets)
    );
    assert_eq!(
        (to_phone, phone_ticket),
        (vec!["sync".to_string()], tickets)
    );
    assert_eq!(phone.get("title").as_deref(), Some("leek soup"));
    assert_eq!(
        store.feed_mark(&doc.key).unwrap(),
        Some(saved.mark),
        "the save marked the document for the feed"
    );
}

#[test]
fn what_is_saved_loads_back_incremental_and_compacted() {
    let (_tmp, store) = store();
    let user = UserId::random();
    let id = DocId::random();
    let mut doc = Document::load(id, Principal::User(user.clone()), &store).unwrap();
    let mut laptop = Client::new(1, &user);
    let mut tickets = 0;
    for i in 0..(FEWEST_FOLDED_CHUNKS * 3) {
        laptop.set("n", &i.to_string());
        converge(&mut doc, &store, &mut [&mut laptop], &mut tickets);
        let back = Document::load(id, Principal::User(user.clone()), &store).unwrap();
        assert_eq!(back.heads(), laptop.am.get_heads(), "after edit {i}");
    }
    let chunks = store.chunks_under(&doc.key).unwrap();
    assert!(
        chunks.iter().any(|(k, _)| is_snapshot(k)),
        "the incremental chunks were folded into a snapshot: {:?}",
        chunks.iter().map(|(k, _)| k).collect::<Vec<_>>()
    );
    // One big save is a snapshot at once, and the chunks it folds are named for deletion.
    for i in 0..(SNAPSHOT_ABOVE_CHANGES + 1) {
        laptop.set(&format!("k{i}"), "v");
    }
    let mut deletions = Deletions::default();
    let mut saves = 0;
    while let Some(msg) = laptop.next() {
        doc.receive(&laptop.out, msg, false).unwrap();
        let (saved, folded) = doc.settle(&store, || 99).unwrap();
        saves += usize::from(saved.is_some());
        if !folded.keys.is_empty() {
            deletions = folded;
        }
        laptop.take();
    }
    assert_eq!(
        saves, 1,
        "the changes arrived in one message and were saved once"
    );
    assert_eq!(deletions.after, 99);
    let before: Vec<String> = store
        .chunks_under(&doc.key)
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(!deletions.keys.is_empty());
    for key in &deletions.keys {
        assert!(before.contains(key), "{key} is a chunk of the document");
        store.delete_chunk(key).unwrap();
    }
    let back = Document::load(id, Principal::User(user), &store).unwrap();
    assert_eq!(back.heads(), laptop.am.get_heads());
    let left: Vec<String> = store
        .chunks_under(&doc.key)
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        left.len(),
        1,
        "{left:?} after deleting {:?}",
        deletions.keys
    );
}

#[test]
fn a_request_for_nothing_is_unavailable_until_the_document_has_content() {
    let (_tmp, store) = store();
    let user = UserId::random();
    let id = DocId::random();
    let mut doc = Document::load(id, Principal::User(user.clone()), &store).unwrap();
    let mut phone = Client::new(2, &user);
    let request = phone.next().unwrap();
    doc.receive(&phone.out, request, true).unwrap();
    let (kinds, ticket) = phone.take();
    assert_eq!(kinds, vec!["DocUnavailable".to_string()]);
    assert_eq!(ticket, 0);
    // Nothing more is sent to it while there is nothing to send…
    let _ = doc.settle(&store, || 1).unwrap();
    assert!(phone.take().0.is_empty());
    // …and the document once a laptop brings it.
    let mut laptop = Client::new(1, &user);
    laptop.set("title", "bread");
    let mut tickets = 0;
    converge(&mut doc, &store, &mut [&mut laptop], &mut tickets);
    let _ = doc.settle(&store, || 7).unwrap();
    phone.take();
    assert_eq!(phone.get("title").as_deref(), Some("bread"));
}

#[test]
fn a_closed_peer_is_forgotten_and_ephemeral_messages_go_to_the_others_once() {
    let (_tmp, store) = store();
    let user = UserId::random();
    let mut doc = Document::load(DocId::random(), Principal::User(user.clone()), &store).unwrap();
    let mut a = Client::new(1, &user);
    let mut b = Client::new(2, &user);
    a.set("x", "1");
    let mut tickets = 0;
    converge(&mut doc, &store, &mut [&mut a, &mut b], &mut tickets);
    doc.relay_ephemeral(1, "session", 5, b"cursor");
    doc.relay_ephemeral(1, "session", 5, b"cursor");
    assert_eq!(b.take().0, vec!["Ephemeral".to_string()]);
    assert!(a.take().0.is_empty(), "not echoed to its sender");
    doc.forget(2);
    a.set("x", "2");
    converge(&mut doc, &store, &mut [&mut a], &mut tickets);
    assert!(b.take().0.is_empty());
    assert!(doc.has_peers());
    doc.forget(1);
    assert!(!doc.has_peers());
}

#[test]
fn a_new_document_is_saved_whole_at_its_first_settle() {
    let (_tmp, store) = store();
    let user = UserId::random();
    let id = DocId::random();
    let mut am = Automerge::new();
    am.transact::<_, _, AutomergeError>(|tx| {
        tx.put(ROOT, "kind", "list")?;
        Ok(())
    })
    .unwrap();
    let heads = am.get_heads();
    let mut doc = Document::new(id, Principal::User(user.clone()), am);
    let (saved, _) = doc.settle(&store, || 3).unwrap();
    assert_eq!(saved.unwrap().ticket, 3);
    assert_eq!(
        Document::load(id, Principal::User(user), &store)
            .unwrap()
            .heads(),
        heads
    );
}

/// A message whose only change depends on one the relay lacks: it waits in automerge's queue,
/// and once the missing change arrives both are saved (the queued one is not lost because it
/// came in an earlier message).
#[test]
fn changes_that_arrive_before_their_dependencies_are_all_saved() {
    let (_tmp, store) = store();
    let user = UserId::random();
    let id = DocId::random();
    let mut doc = Document::load(id, Principal::User(user.clone()), &store).unwrap();
    let mut laptop = Client::new(1, &user);
    laptop.set("a", "1");
    laptop.set("b", "2");
    let changes = laptop.am.get_changes(&[]);
    let (first, second) = (&changes[0], &changes[1]);
    let message = |change: &automerge::Change| sync::Message {
        heads: laptop.am.get_heads(),
        need: vec![],
        have: vec![],
        changes: vec![change.raw_bytes().to_vec()].into(),
        flags: None,
        version: sync::MessageVersion::V1,
    };
    doc.receive(&laptop.out, message(second), false).unwrap();
    assert!(
        doc.heads().is_empty(),
        "the second change waits for the first"
    );
    let _ = doc.settle(&store, || 1).unwrap();
    doc.receive(&laptop.out, message(first), false).unwrap();
    assert_eq!(doc.heads(), laptop.am.get_heads());
    let (saved, _) = doc.settle(&store, || 2).unwrap();
    assert!(saved.is_some());
    let back = Document::load(id, Principal::User(user), &store).unwrap();
    assert_eq!(
        back.heads(),
        laptop.am.get_heads(),
        "both changes are in the store"
    );
}

#[test]
fn two_messages_from_one_peer_in_a_batch_are_answered_as_if_one_at_a_time() {
    // A peer's edit and its reply to an older announcement arrive in one batch: the reply (no
    // changes, heads equal to the relay's) makes automerge think the relay already announced
    // those heads. The relay must announce them anyway, or the peer never learns its edit is
    // stored (samod's "they have our changes" would wait forever).
    let (_tmp, store) = store();
    let user = UserId::random();
    let mut doc = Document::load(DocId::random(), Principal::User(user.clone()), &store).unwrap();
    let mut laptop = Client::new(1, &user);
    let mut tickets = 0;
    let mut settle = |doc: &mut Document| {
        doc.settle(&store, || {
            tickets += 1;
            tickets
        })
        .unwrap();
    };
    laptop.set("title", "soup");
    // Sync until the relay has the laptop's change, its announcement not yet delivered.
    loop {
        let msg = laptop.next().expect("the laptop has more to say");
        doc.receive(&laptop.out, msg, false).unwrap();
        settle(&mut doc);
        if doc.heads() == laptop.am.get_heads() {
            break;
        }
        laptop.take();
    }
    // The relay's announcement is on its way while the laptop edits again.
    laptop.set("title", "leek soup");
    let edit = laptop.next().expect("the laptop sends its edit");
    assert_eq!(laptop.take().0, vec!["sync".to_string()]);
    let reply = laptop.next().expect("the laptop answers the announcement");
    assert!(reply.changes.is_empty());
    doc.receive(&laptop.out, edit, false).unwrap();
    doc.receive(&laptop.out, reply, false).unwrap();
    settle(&mut doc);
    laptop.take();
    assert_eq!(doc.heads(), laptop.am.get_heads());
    assert_eq!(
        laptop.state.their_heads.as_deref(),
        Some(laptop.am.get_heads().as_slice()),
        "the relay announced the heads that hold the edit"
    );
}
