//! A household's shared grocery list through a real relay (in-process on 127.0.0.1:0, managed
//! through its admin socket as operators do) and three `larder` CLI profiles: alice on two
//! devices, bob on one. Each device adopts the household list on its first sync and uses it;
//! alice moves her own list's items into it; alice and bob each add a recipe's ingredients
//! offline and the quantities add up; ticks made offline on two devices all arrive; both plan
//! meals on the household's plan; after `household remove`, bob's next sync takes the
//! household list and plan off his device.

use std::path::Path;

use larder_sync_server::admin_commands::AdminCommand;
use larder_sync_server::server::admin_socket;
use serde_json::Value;

mod common;

use common::{Relay, json, login, ok};

const PW: &str = "correct horse battery";

async fn admin(relay_dir: &Path, command: AdminCommand) {
    admin_socket::run_command(relay_dir, &command)
        .await
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
}

/// The list in use on `data`, as (text, checked) pairs in name order.
async fn items(data: &Path) -> Vec<(String, bool)> {
    let list = json(data, &["grocery", "list", "--json"]).await;
    let mut items: Vec<_> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|i| {
            let text = i["text"].as_str().expect("text").to_string();
            (text, i["checked"].as_bool().expect("checked"))
        })
        .collect();
    items.sort();
    items
}

async fn lists(data: &Path) -> Value {
    json(data, &["grocery", "lists", "--json"]).await
}

fn pairs(expected: &[(&str, bool)]) -> Vec<(String, bool)> {
    expected.iter().map(|(t, c)| (t.to_string(), *c)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn household_members_share_one_grocery_list_across_devices() {
    let relay_dir = tempfile::tempdir().expect("tempdir");
    let relay = Relay::start(relay_dir.path(), 0).await;
    let socket = tokio::spawn(admin_socket::serve(
        relay.state.clone(),
        relay_dir.path().to_owned(),
        std::future::pending(),
    ));
    let sock = relay_dir.path().join(admin_socket::ADMIN_SOCKET);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !sock.exists() {
        assert!(std::time::Instant::now() < deadline, "no admin socket");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    relay.add_user("alice", PW);
    relay.add_user("bob", PW);
    let dir = relay_dir.path();
    admin(
        dir,
        AdminCommand::HouseholdCreate {
            name: "smiths".into(),
        },
    )
    .await;
    for user in ["alice", "bob"] {
        let (name, user) = ("smiths".into(), user.into());
        admin(dir, AdminCommand::HouseholdAdd { name, user }).await;
    }

    let (a1, a2, b1) = (
        tempfile::tempdir().expect("a1"),
        tempfile::tempdir().expect("a2"),
        tempfile::tempdir().expect("b1"),
    );
    let (a1, a2, b1) = (a1.path(), a2.path(), b1.path());
    login(a1, &relay, "alice", PW).await;
    login(a2, &relay, "alice", PW).await;
    login(b1, &relay, "bob", PW).await;

    // Before its first sync, alice's laptop knows no household: the item goes on her own list.
    ok(a1, &["grocery", "add", "2 l milk"]).await;
    for device in [a1, a2, b1] {
        ok(device, &["sync", "--once"]).await;
        let lists = lists(device).await;
        assert_eq!(lists["household_name"], "smiths");
        assert_eq!(lists["chosen"], "household", "the household list is used");
    }
    assert_eq!(lists(a1).await["mine_unchecked"], 1);
    assert!(items(a1).await.is_empty(), "the household list is empty");
    ok(a1, &["grocery", "move-to-household"]).await;
    assert_eq!(items(a1).await, pairs(&[("2 l milk", false)]));
    assert_eq!(lists(a1).await["mine_unchecked"], 0);
    ok(a1, &["grocery", "add", "1 eggs"]).await;
    for device in [a1, b1] {
        ok(device, &["sync", "--once"]).await;
    }

    // The household's meal plan is the one both plan on.
    ok(a1, &["plan", "add", "2026-12-08", "dinner", "Soup night"]).await;
    for device in [a1, b1] {
        ok(device, &["sync", "--once"]).await;
    }
    let week = json(b1, &["plan", "week", "2026-12-07", "--json"]).await;
    assert_eq!(week["household_name"], "smiths");
    assert!(week.to_string().contains("Soup night"), "{week}");

    // Both add a recipe's eggs offline; the amounts add up once both have synced.
    let cake = ok(a1, &["add", "--title", "Cake", "--ingredient", "3 eggs"]).await;
    let flan = ok(b1, &["add", "--title", "Flan", "--ingredient", "2 eggs"]).await;
    ok(a1, &["grocery", "add-recipe", cake.trim()]).await;
    ok(b1, &["grocery", "add-recipe", flan.trim()]).await;
    for device in [a1, b1, a1, a2] {
        ok(device, &["sync", "--once"]).await;
    }
    let expected = pairs(&[("2 l milk", false), ("6 eggs", false)]);
    for device in [a1, a2, b1] {
        assert_eq!(items(device).await, expected);
    }

    // Ticks made offline on two devices all arrive.
    ok(a2, &["grocery", "check", "milk"]).await;
    ok(b1, &["grocery", "check", "eggs"]).await;
    for device in [a2, b1, a2, a1] {
        ok(device, &["sync", "--once"]).await;
    }
    let expected = pairs(&[("2 l milk", true), ("6 eggs", true)]);
    for device in [a1, a2, b1] {
        assert_eq!(items(device).await, expected);
    }

    // Bob leaves: his next sync takes the household list off his device; alice keeps it.
    let (name, user) = ("smiths".into(), "bob".into());
    admin(dir, AdminCommand::HouseholdRemove { name, user }).await;
    ok(b1, &["sync", "--once"]).await;
    let bobs = lists(b1).await;
    assert_eq!(bobs["household_name"], Value::Null);
    assert_eq!(bobs["chosen"], "mine");
    assert!(items(b1).await.is_empty(), "bob sees his own (empty) list");
    let week = json(b1, &["plan", "week", "2026-12-07", "--json"]).await;
    assert_eq!(week["household_name"], Value::Null);
    assert!(!week.to_string().contains("Soup night"), "{week}");
    ok(a1, &["sync", "--once"]).await;
    assert_eq!(items(a1).await, expected);

    socket.abort();
    relay.stop().await;
}
