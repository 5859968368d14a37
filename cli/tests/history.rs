//! `larder history`, `deleted` and `undelete` as real processes, on two profiles of one user
//! syncing through a real relay: the versions each device made (numbered, newest first, "This
//! device" / "Another device"), one read back as it was, restored as a new change that reaches
//! the other device; a deleted recipe listed and brought back; bad version names refused.

mod common;

use common::{Relay, json, larder, login, ok};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_from_two_devices_read_back_and_restore_across_the_relay() {
    let relay_dir = tempfile::tempdir().expect("tempdir");
    let relay = Relay::start(relay_dir.path(), 0).await;
    relay.add_user("ruth", "correct horse battery");
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (a, b) = (a.path(), b.path());
    login(a, &relay, "ruth", "correct horse battery").await;
    login(b, &relay, "ruth", "correct horse battery").await;

    let id = ok(
        a,
        &["add", "--title", "Plum cake", "--ingredient", "500 g plums"],
    )
    .await;
    let id = id.trim().to_string();
    ok(a, &["sync", "--once"]).await;
    ok(b, &["sync", "--once"]).await;
    ok(b, &["edit", &id, "--title", "Plum crumble"]).await;
    ok(b, &["sync", "--once"]).await;
    ok(a, &["sync", "--once"]).await;

    let list = ok(a, &["history", &id]).await;
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(
        lines[0].starts_with("  1  ") && lines[0].contains("Another device ("),
        "{list}"
    );
    assert!(lines[0].contains("Title"), "{list}");
    assert!(
        lines[1].starts_with("  2  ") && lines[1].contains("This device"),
        "{list}"
    );
    let versions = json(a, &["history", &id, "--json"]).await;
    assert_eq!(versions.as_array().map(Vec::len), Some(2));

    // The first version, as it was; then restored on A, which B then has.
    let old = json(a, &["history", &id, "--show", "2", "--json"]).await;
    assert_eq!(old["title"], "Plum cake");
    let by_id = versions[1]["version"]
        .as_str()
        .expect("version id")
        .to_string();
    assert_eq!(
        json(a, &["history", &id, "--show", &by_id, "--json"]).await["title"],
        "Plum cake"
    );
    ok(a, &["history", &id, "--restore", "2"]).await;
    assert_eq!(
        json(a, &["show", &id, "--json"]).await["title"],
        "Plum cake"
    );
    ok(a, &["sync", "--once"]).await;
    ok(b, &["sync", "--once"]).await;
    assert_eq!(
        json(b, &["show", &id, "--json"]).await["title"],
        "Plum cake"
    );
    assert_eq!(
        json(b, &["history", &id, "--json"])
            .await
            .as_array()
            .map(Vec::len),
        Some(3),
        "the restore is a version of its own"
    );

    for bad in ["0", "9", "nope"] {
        let out = larder(a, &["history", &id, "--show", bad], None).await;
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("give a number from 1 to 3"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // Deleted, listed, brought back; on the other device too.
    ok(a, &["rm", &id]).await;
    let deleted = json(a, &["deleted", "--json"]).await;
    assert_eq!(deleted[0]["summary"]["title"], "Plum cake");
    assert!(ok(a, &["deleted"]).await.contains(&format!("{id}  ")));
    ok(a, &["undelete", &id]).await;
    assert_eq!(
        json(a, &["deleted", "--json"])
            .await
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    ok(a, &["sync", "--once"]).await;
    ok(b, &["sync", "--once"]).await;
    assert_eq!(
        json(b, &["show", &id, "--json"]).await["title"],
        "Plum cake"
    );
    relay.stop().await;
}
