//! Sharing recipes between two `larder` CLI profiles through a real relay (in-process on
//! 127.0.0.1:0): alice shares one recipe read-only and one editable with bob; bob's next sync
//! brings both, marked, and `--shared` lists them (with alice's attachment, downloaded through
//! the shared recipe); editing the read-only one is refused on his
//! device with a clear message and changes nothing anywhere, editing the other reaches alice;
//! once alice revokes the read-only share, bob's next sync takes it off his device and a later
//! edit of alice's never reaches him.

use std::path::Path;

use serde_json::Value;

mod common;

use common::{Relay, json, larder, login, ok};

const PW: &str = "correct horse battery";

async fn shared_titles(data: &Path) -> Vec<(String, String, bool)> {
    let hits = json(data, &["search", "--shared", "--json"]).await;
    let mut out: Vec<_> = hits
        .as_array()
        .expect("array")
        .iter()
        .map(|h| {
            let shared = &h["shared"];
            (
                h["title"].as_str().expect("title").to_string(),
                shared["owner_name"].as_str().expect("owner").to_string(),
                shared["read_only"].as_bool().expect("read_only"),
            )
        })
        .collect();
    out.sort();
    out
}

fn title_of(recipe: &Value) -> &str {
    recipe["title"].as_str().expect("title")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shares_reach_the_grantee_marked_read_only_refuses_edits_and_revocation_removes() {
    let relay_dir = tempfile::tempdir().expect("tempdir");
    let relay = Relay::start(relay_dir.path(), 0).await;
    relay.add_user("alice", PW);
    relay.add_user("bob", PW);
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (a, b) = (a.path(), b.path());
    login(a, &relay, "alice", PW).await;
    login(b, &relay, "bob", PW).await;

    let soup = ok(a, &["add", "--title", "Soup", "--ingredient", "2 leeks"]).await;
    let cake = ok(a, &["add", "--title", "Cake", "--ingredient", "3 eggs"]).await;
    let secret = ok(a, &["add", "--title", "Secret stew"]).await;
    let (soup, cake, secret) = (soup.trim(), cake.trim(), secret.trim());
    let card = a.join("card.txt");
    std::fs::write(&card, b"two leeks, one pot").expect("write");
    ok(a, &["attach", soup, card.to_str().expect("path")]).await;
    ok(a, &["sync", "--once"]).await;
    let out = ok(a, &["share", soup, "--with", "bob"]).await;
    assert!(
        out.contains("Shared 1 recipe with user bob to read"),
        "{out}"
    );
    ok(a, &["share", cake, "--with", "bob", "--edit"]).await;
    let shares = json(a, &["shares", "--json"]).await;
    assert_eq!(shares.as_array().expect("shares").len(), 2);
    // Sharing what is not yours is refused.
    let out = larder(b, &["share", soup, "--with", "alice"], None).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("you have no recipe"));

    ok(b, &["sync", "--once"]).await;
    assert_eq!(
        shared_titles(b).await,
        [
            ("Cake".to_string(), "alice".to_string(), false),
            ("Soup".to_string(), "alice".to_string(), true),
        ]
    );
    assert!(
        larder(b, &["show", secret], None).await.status.code() != Some(0),
        "not shared"
    );
    let shown = ok(b, &["show", soup]).await;
    assert!(shown.contains("shared by alice, read-only"), "{shown}");
    // Alice's file comes to bob through the shared recipe.
    let got = ok(b, &["attachment", "get", soup, "card.txt", "-o", "-"]).await;
    assert_eq!(got, "two leeks, one pot");

    // Read-only: refused on bob's device, with the reason; nothing changes anywhere.
    let out = larder(b, &["edit", soup, "--title", "Bob's soup"], None).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("alice shares this recipe with you read-only"),
        "{err}"
    );
    assert_eq!(title_of(&json(b, &["show", soup, "--json"]).await), "Soup");
    let out = larder(b, &["rm", soup], None).await;
    assert!(!out.status.success(), "deleting is an edit too");
    // Editable: bob's change reaches alice.
    ok(b, &["edit", cake, "--title", "Lemon cake"]).await;
    ok(b, &["sync", "--once"]).await;
    ok(a, &["sync", "--once"]).await;
    assert_eq!(
        title_of(&json(a, &["show", cake, "--json"]).await),
        "Lemon cake"
    );
    assert_eq!(title_of(&json(a, &["show", soup, "--json"]).await), "Soup");

    // Revoked: bob's next sync takes the soup off his device; alice's later edit stays hers.
    let to_bob = shares
        .as_array()
        .expect("shares")
        .iter()
        .find(|s| s["recipes"][0] == soup)
        .expect("the soup's share");
    ok(a, &["unshare", to_bob["id"].as_str().expect("id")]).await;
    ok(a, &["edit", soup, "--title", "Leek soup"]).await;
    ok(a, &["sync", "--once"]).await;
    ok(b, &["sync", "--once"]).await;
    assert_eq!(
        shared_titles(b).await,
        [("Lemon cake".to_string(), "alice".to_string(), false)]
    );
    assert!(larder(b, &["show", soup], None).await.status.code() != Some(0));
    let everything = json(b, &["search", "--json"]).await;
    assert!(
        !everything.to_string().contains("Leek soup") && !everything.to_string().contains("Soup\""),
        "{everything}"
    );
    // Another sync does not bring it back.
    ok(b, &["sync", "--once"]).await;
    assert!(larder(b, &["show", soup], None).await.status.code() != Some(0));

    relay.stop().await;
}
