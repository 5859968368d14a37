//! Tests of the sled store: users, sessions, chunks, ownership, the change feed, export.

use super::*;

/// The store's tests and its neighbours' (hook, calendar) make users the same way.
pub(crate) fn user(name: &str) -> User {
    User {
        id: UserId::random(),
        name: name.to_owned(),
        password_hash: "$argon2id$fake".to_owned(),
        disabled: false,
        created_at: 1,
        grocery_list_id: None,
        meal_plan_id: None,
    }
}

/// A user made in `store`, by id.
pub(crate) fn stored_user(store: &SledStore, name: &str) -> UserId {
    let u = user(name);
    store.create_user(&u).unwrap();
    u.id
}

fn session(user: &User, expires_at: UnixMs) -> Session {
    Session {
        user_id: user.id.clone(),
        created_at: 0,
        expires_at,
        last_seen: 0,
    }
}

#[test]
fn names_are_unique_case_insensitively() {
    let store = SledStore::temporary().unwrap();
    store.create_user(&user("Alice")).unwrap();
    let err = store.create_user(&user("alice")).unwrap_err();
    assert!(matches!(err, StoreError::NameTaken(n) if n == "alice"));
    assert_eq!(store.user_by_name("ALICE").unwrap().unwrap().name, "Alice");
    assert_eq!(store.list_users().unwrap().len(), 1);
}

#[test]
fn disabling_and_removing_revoke_sessions() {
    let store = SledStore::temporary().unwrap();
    let alice = user("alice");
    let bob = user("bob");
    store.create_user(&alice).unwrap();
    store.create_user(&bob).unwrap();
    for i in 0..3u8 {
        store
            .create_session(&TokenHash([i; 32]), &session(&alice, 100))
            .unwrap();
    }
    store
        .create_session(&TokenHash([9; 32]), &session(&bob, 100))
        .unwrap();

    assert_eq!(store.set_disabled(&alice.id, true).unwrap(), 3);
    assert!(store.session(&TokenHash([0; 32])).unwrap().is_none());
    assert!(matches!(
        store.create_session(&TokenHash([5; 32]), &session(&alice, 100)),
        Err(StoreError::UserDisabled(_))
    ));
    assert_eq!(store.set_disabled(&alice.id, false).unwrap(), 0);
    store
        .create_session(&TokenHash([5; 32]), &session(&alice, 100))
        .unwrap();

    assert_eq!(store.remove_user(&alice.id).unwrap(), 1);
    assert!(store.user_by_name("alice").unwrap().is_none());
    assert!(store.user(&alice.id).unwrap().is_none());
    // The name is free again, bob is untouched.
    store.create_user(&user("alice")).unwrap();
    assert!(store.session(&TokenHash([9; 32])).unwrap().is_some());
    assert!(matches!(
        store.remove_user(&alice.id),
        Err(StoreError::NoSuchUser(_))
    ));
}

#[test]
fn sessions_touch_delete_and_purge() {
    let store = SledStore::temporary().unwrap();
    let alice = user("alice");
    store.create_user(&alice).unwrap();
    let h1 = TokenHash([1; 32]);
    let h2 = TokenHash([2; 32]);
    store.create_session(&h1, &session(&alice, 100)).unwrap();
    store.create_session(&h2, &session(&alice, 200)).unwrap();

    assert!(store.touch_session(&h1, 50, 150).unwrap());
    assert_eq!(store.session(&h1).unwrap().unwrap().expires_at, 150);
    assert!(!store.touch_session(&TokenHash([3; 32]), 50, 150).unwrap());

    assert_eq!(store.purge_expired_sessions(150).unwrap(), 1);
    assert!(store.session(&h1).unwrap().is_none());
    assert!(store.delete_session(&h2).unwrap());
    assert!(!store.delete_session(&h2).unwrap());
    assert_eq!(store.revoke_user_sessions(&alice.id).unwrap(), 0);
    assert_eq!(store.user_sessions.len(), 0);
}

#[test]
fn meal_plan_updates_and_records_from_before_the_meal_plan_load() {
    let store = SledStore::temporary().unwrap();
    let alice = user("alice");
    store.create_user(&alice).unwrap();
    store.set_meal_plan_id(&alice.id, Some("plan1")).unwrap();
    let got = store.user(&alice.id).unwrap().unwrap();
    assert_eq!(got.meal_plan_id.as_deref(), Some("plan1"));
    assert!(matches!(
        store.set_meal_plan_id(&UserId::random(), None),
        Err(StoreError::NoSuchUser(_))
    ));
    // A record written before users had a meal plan (nor a grocery list).
    let old = format!(
        r#"{{"id":"{}","name":"bob","password_hash":"x","disabled":false,"created_at":1}}"#,
        UserId::random()
    );
    let bob: User = serde_json::from_str(&old).unwrap();
    assert_eq!((bob.grocery_list_id, bob.meal_plan_id), (None, None));
}

#[test]
fn grocery_list_and_password_updates() {
    let store = SledStore::temporary().unwrap();
    let alice = user("alice");
    store.create_user(&alice).unwrap();
    store.set_grocery_list_id(&alice.id, Some("doc1")).unwrap();
    store.set_password_hash(&alice.id, "$argon2id$new").unwrap();
    let got = store.user(&alice.id).unwrap().unwrap();
    assert_eq!(got.grocery_list_id.as_deref(), Some("doc1"));
    assert_eq!(got.password_hash, "$argon2id$new");
    assert!(matches!(
        store.set_grocery_list_id(&UserId::random(), None),
        Err(StoreError::NoSuchUser(_))
    ));
}

#[test]
fn chunks_by_key_and_prefix() {
    let store = SledStore::temporary().unwrap();
    assert_eq!(
        store.put_chunk("storage-adapter-id", b"id", None).unwrap(),
        None
    );
    let m1 = store
        .put_chunk("doc1/incremental/aa", b"1", Some("doc1"))
        .unwrap();
    let m2 = store
        .put_chunk("doc1/snapshot/bb", b"2", Some("doc1"))
        .unwrap();
    store
        .put_chunk("doc10/incremental/cc", b"3", Some("doc10"))
        .unwrap();
    assert!(m2 > m1, "marks grow");
    assert_eq!(
        store.chunk("doc1/snapshot/bb").unwrap().as_deref(),
        Some(&b"2"[..])
    );
    let mut under: Vec<String> = store
        .chunks_under("doc1")
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    under.sort();
    // Not doc10: prefixes are whole key parts.
    assert_eq!(under, ["doc1/incremental/aa", "doc1/snapshot/bb"]);
    assert_eq!(store.chunks_under("doc1/incremental").unwrap().len(), 1);
    assert_eq!(store.chunks_under("storage-adapter-id").unwrap().len(), 1);
    store.delete_chunk("doc1/incremental/aa").unwrap();
    assert_eq!(store.chunks_under("doc1").unwrap().len(), 1);
    assert_eq!(store.feed_mark("doc1").unwrap(), m2);
    assert_eq!(store.feed_marks().unwrap().len(), 2);
}

#[test]
fn racing_claims_have_one_winner() {
    let store = std::sync::Arc::new(SledStore::temporary().unwrap());
    let users: Vec<UserId> = (0..8).map(|_| UserId::random()).collect();
    let winners: Vec<Principal> = std::thread::scope(|s| {
        let handles: Vec<_> = users
            .iter()
            .map(|u| {
                let store = &store;
                s.spawn(move || store.claim_doc("doc", &Principal::User(u.clone())).unwrap())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let owner = store.doc_owner("doc").unwrap().unwrap();
    assert!(users.contains(&owner));
    assert!(
        winners.iter().all(|w| *w == Principal::User(owner.clone())),
        "everyone sees one owner"
    );
    assert_eq!(
        store
            .claim_doc("doc", &Principal::User(users[0].clone()))
            .unwrap(),
        Principal::User(owner)
    );
    assert_eq!(store.doc_owner("other").unwrap(), None);
}

/// Records one document's heads; its entry, if one was written.
fn record(
    store: &SledStore,
    user: &UserId,
    doc: &str,
    heads: &str,
    mark: Option<u64>,
) -> Option<FeedEntry> {
    let update = FeedUpdate {
        owner: Principal::User(user.clone()),
        doc: doc.to_owned(),
        heads: vec![heads.to_owned()],
        mark,
        kind: None,
    };
    let mut written = store.feed_record(&[update]).unwrap();
    assert_eq!(written.len(), 1);
    let mut entries = written.pop().unwrap();
    assert!(entries.len() <= 1, "one reader: {entries:?}");
    entries.pop().map(|(reader, entry)| {
        assert_eq!(reader, *user);
        entry
    })
}

#[test]
fn feed_keeps_one_entry_per_document() {
    let store = SledStore::temporary().unwrap();
    let alice = UserId::random();
    let bob = UserId::random();

    let mark = store
        .put_chunk("d1/incremental/x", b"", Some("d1"))
        .unwrap();
    let e1 = record(&store, &alice, "d1", "a", mark).unwrap();
    assert_eq!(store.feed_mark("d1").unwrap(), None, "mark cleared");
    let e2 = record(&store, &alice, "d2", "b", None).unwrap();
    record(&store, &bob, "d3", "c", None).unwrap();
    assert!(e1.seq > 0 && e2.seq > e1.seq);

    // Same heads again: nothing new.
    assert_eq!(record(&store, &alice, "d1", "a", None), None);
    // New heads: d1's entry moves to the end.
    let e3 = record(&store, &alice, "d1", "a2", None).unwrap();
    let all = store.feed_since(&alice, 0, 100).unwrap();
    assert_eq!(all, vec![e2.clone(), e3.clone()]);
    assert_eq!(
        store.feed_since(&alice, e2.seq, 100).unwrap(),
        vec![e3.clone()]
    );
    assert_eq!(store.feed_since(&alice, 0, 1).unwrap(), vec![e2]);
    assert_eq!(store.feed_since(&alice, e3.seq, 100).unwrap(), vec![]);
    assert_eq!(store.feed_since(&bob, 0, 100).unwrap().len(), 1);

    // A mark newer than the one recorded stays, for the next round.
    let old = store
        .put_chunk("d1/incremental/y", b"", Some("d1"))
        .unwrap();
    let newer = store
        .put_chunk("d1/incremental/z", b"", Some("d1"))
        .unwrap();
    record(&store, &alice, "d1", "a3", old);
    assert_eq!(store.feed_mark("d1").unwrap(), newer);
}

#[test]
fn one_feed_record_writes_many_documents_in_order() {
    let store = SledStore::temporary().unwrap();
    let alice = UserId::random();
    let bob = UserId::random();
    let d1 = record(&store, &alice, "d1", "a", None).unwrap();
    let marks: Vec<Option<u64>> = ["d2", "d3"]
        .iter()
        .map(|d| {
            store
                .put_chunk(&format!("{d}/incremental/x"), b"", Some(d))
                .unwrap()
        })
        .collect();
    let update = |user: &UserId, doc: &str, heads: &str, mark: Option<u64>| FeedUpdate {
        owner: Principal::User(user.clone()),
        doc: doc.to_owned(),
        heads: vec![heads.to_owned()],
        mark,
        kind: None,
    };
    let written = store
        .feed_record(&[
            update(&alice, "d1", "a", None), // unchanged
            update(&alice, "d2", "b", marks[0]),
            update(&bob, "d3", "c", marks[1]),
        ])
        .unwrap();
    assert_eq!(written.len(), 3);
    assert_eq!(written[0], vec![]);
    let (e2, e3) = (written[1][0].1.clone(), written[2][0].1.clone());
    assert_eq!((&written[1][0].0, &written[2][0].0), (&alice, &bob));
    assert!(
        d1.seq < e2.seq && e2.seq < e3.seq,
        "sequence in the updates' order"
    );
    assert_eq!(store.feed_since(&alice, 0, 10).unwrap(), vec![d1, e2]);
    assert_eq!(store.feed_since(&bob, 0, 10).unwrap(), vec![e3]);
    assert!(store.feed_marks().unwrap().is_empty(), "both marks cleared");
    assert_eq!(
        store.feed_record(&[]).unwrap(),
        Vec::<Vec<(UserId, FeedEntry)>>::new()
    );
}

#[test]
fn an_export_sees_every_tree_at_one_point_in_time() {
    let store = std::sync::Arc::new(SledStore::temporary().unwrap());
    let writer = {
        let store = std::sync::Arc::clone(&store);
        std::thread::spawn(move || {
            for n in 0..2000 {
                store.create_user(&user(&format!("u{n}"))).unwrap();
            }
        })
    };
    let mut overlapping = 0;
    while !writer.is_finished() {
        let (mut users, mut names) = (Vec::new(), Vec::new());
        store
            .export(&mut |tree, _k, v| {
                match tree {
                    b"users" => {
                        if users.is_empty() {
                            // Widens the window in which a writer could slip in between
                            // the two trees (it can't: the gate holds it off).
                            std::thread::sleep(std::time::Duration::from_millis(5));
                        }
                        users.push(decode::<User>(v, "user").unwrap().id);
                    }
                    b"user_names" => {
                        names.push(UserId::parse(std::str::from_utf8(v).unwrap()).unwrap());
                    }
                    _ => {}
                }
                Ok(())
            })
            .unwrap();
        // A user and its name are written in one transaction, so a consistent snapshot has
        // both or neither. "user_names" is read before "users": without the gate, users
        // created in between show up without their names.
        users.sort();
        names.sort();
        assert!(
            users == names,
            "{} users but {} names in one snapshot",
            users.len(),
            names.len()
        );
        if !users.is_empty() && users.len() < 2000 {
            overlapping += 1;
        }
    }
    writer.join().unwrap();
    assert!(
        overlapping >= 2,
        "only {overlapping} exports overlapped the writes"
    );
    let watermark = store.export(&mut |_, _, _| Ok(())).unwrap();
    assert!(store.db.generate_id().unwrap() > watermark);
}
