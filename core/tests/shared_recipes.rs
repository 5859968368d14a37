//! Recipes shared with this user, on their device: the relay's list marks them (owner, mode),
//! "shared with me" finds only them, a read-only one refuses every kind of edit with the
//! owner's name, an editable one takes edits, and a revoked one leaves the view for good.

mod common;

use common::{block_on, device, draft, sync};
use larder_core::LarderError;
use larder_core::store::{IncomingShare, ShareOwner, SharedFrom};

fn incoming(doc: &str, mode: &str) -> IncomingShare {
    IncomingShare {
        doc_id: doc.into(),
        owner: ShareOwner {
            id: "a".repeat(32),
            name: "alice".into(),
        },
        mode: mode.into(),
    }
}

#[test]
fn shared_recipes_are_marked_guarded_and_leave_on_revocation() {
    let (alice, bob) = (device(), device());
    let soup = block_on(alice.larder.create_recipe(&draft("Soup", &["2 leeks"]))).expect("soup");
    let cake = block_on(alice.larder.create_recipe(&draft("Cake", &["3 eggs"]))).expect("cake");
    block_on(bob.larder.create_recipe(&draft("Bob's bread", &["flour"]))).expect("bread");
    sync(&alice, &bob, &soup.id);
    sync(&alice, &bob, &cake.id);

    bob.larder
        .adopt_incoming_shares(&[incoming(&soup.id, "read"), incoming(&cake.id, "edit")])
        .expect("adopt");
    let read_only = SharedFrom {
        owner_name: "alice".into(),
        read_only: true,
    };
    assert_eq!(
        bob.larder.get_recipe(&soup.id).expect("soup").shared,
        Some(read_only)
    );
    let shared = bob.larder.search_shared("", 50, 0).expect("shared");
    let mut titles: Vec<_> = shared.iter().map(|s| s.title.as_str()).collect();
    titles.sort();
    assert_eq!(titles, ["Cake", "Soup"]);
    assert!(shared.iter().all(|s| s.shared.is_some()));
    let all = bob.larder.search("", 50, 0).expect("all");
    assert_eq!(all.len(), 3);
    assert!(
        all.iter()
            .any(|s| s.title == "Bob's bread" && s.shared.is_none())
    );

    // Read-only: every edit refused, naming the owner; nothing changes.
    let refused = |r: Result<_, LarderError>| match r {
        Err(LarderError::ReadOnly { owner, .. }) => owner == "alice",
        _ => false,
    };
    assert!(refused(
        block_on(bob.larder.update_recipe(&soup.id, &draft("Mine now", &[]))).map(|_| ())
    ));
    assert!(refused(block_on(bob.larder.delete_recipe(&soup.id))));
    assert!(refused(
        block_on(
            bob.larder
                .attach_file(&soup.id, "a.txt", "text/plain", b"hi")
        )
        .map(|_| ())
    ));
    assert_eq!(bob.larder.get_recipe(&soup.id).expect("soup").title, "Soup");
    // Editable: the edit goes through.
    block_on(
        bob.larder
            .update_recipe(&cake.id, &draft("Lemon cake", &["3 eggs"])),
    )
    .expect("edit");

    // Revoked: the soup leaves the view and a later sync does not bring it back.
    bob.larder
        .adopt_incoming_shares(&[incoming(&cake.id, "edit")])
        .expect("adopt");
    assert!(matches!(
        bob.larder.get_recipe(&soup.id),
        Err(LarderError::RecipeNotFound(_))
    ));
    assert!(
        bob.larder
            .search("leeks", 50, 0)
            .expect("search")
            .is_empty()
    );
    block_on(
        alice
            .larder
            .update_recipe(&soup.id, &draft("Leek soup", &["3 leeks"])),
    )
    .expect("edit");
    sync(&alice, &bob, &soup.id);
    assert!(bob.larder.get_recipe(&soup.id).is_err());
    assert_eq!(bob.larder.search("", 50, 0).expect("all").len(), 2);
    // Shared again: back.
    bob.larder
        .adopt_incoming_shares(&[incoming(&cake.id, "edit"), incoming(&soup.id, "edit")])
        .expect("adopt");
    block_on(bob.larder.rematerialize(&soup.id)).expect("refresh");
    assert_eq!(
        bob.larder.get_recipe(&soup.id).expect("soup").title,
        "Leek soup"
    );
}
