//! A household's own grocery webhook, against real receivers on 127.0.0.1 that each check the
//! signature with their own secret: items added to the household's list (by a member's device
//! over sync, or by the grocery API with `?list=ID`) reach the household's receiver once,
//! naming the household, while an item on a user's own list reaches only the global one;
//! `household webhook --off` stops deliveries and drops what was queued; bad input is refused
//! with a clear message and changes nothing (on the command line and through the admin
//! socket), and no listing shows the secret; a household receiver that is down does not hold
//! up the global one.

mod common;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::receiver::{Inbox, Received, reserve_port, start_receiver};
use common::sync_client::Device;
use common::{AdminSocket, SignedIn, TestServer, cheap_config_file, config, stderr, stdout};
use larder_core::grocery::{addition_from_parts, merge_addition};
use larder_core::model::GroceryDoc;
use larder_sync_server::admin_commands::AdminCommand;
use larder_sync_server::config::{Config, Secret, WebhookConfig};
use larder_sync_server::store::{HouseholdStore, HouseholdWebhook, RelayStore};
use serde_json::{Value, json};

const PW: &str = "correct horse";
const GLOBAL_SECRET: &str = "the global webhook secret";
const HOME_SECRET: &str = "the household's own secret";

fn url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/hook")
}

/// A relay whose global webhook posts to `port`, retrying quickly.
fn hook_config(data: &std::path::Path, port: u16) -> Config {
    Config {
        webhook: WebhookConfig {
            url: Some(url(port)),
            secret: Some(Secret::new(GLOBAL_SECRET)),
            timeout: Duration::from_secs(2),
            retry_min: Duration::from_millis(50),
            retry_max: Duration::from_millis(400),
            give_up: Duration::from_secs(3600),
        },
        ..config(data)
    }
}

fn set_webhook(port: u16, secret: &str) -> AdminCommand {
    AdminCommand::HouseholdWebhook {
        name: "home".into(),
        webhook: Some(HouseholdWebhook {
            url: url(port),
            secret: Secret::new(secret),
        }),
    }
}

/// A relay with alice and bob in household "home" (set up through the admin socket), and the
/// household's list id.
async fn household(
    tmp: &std::path::Path,
    global_port: u16,
) -> (TestServer, AdminSocket, [SignedIn; 2], String) {
    household_on(hook_config(tmp, global_port), tmp).await
}

/// [`household`] on a relay configured with `cfg` (its data directory `tmp`).
async fn household_on(
    cfg: Config,
    tmp: &std::path::Path,
) -> (TestServer, AdminSocket, [SignedIn; 2], String) {
    let server = TestServer::start(cfg).await;
    let admin = server.admin_socket(tmp).await;
    let alice = server.signed_in("alice", PW).await;
    let bob = server.signed_in("bob", PW).await;
    admin
        .run(AdminCommand::HouseholdCreate {
            name: "home".into(),
        })
        .await
        .expect("household create");
    for user in ["alice", "bob"] {
        admin
            .run(AdminCommand::HouseholdAdd {
                name: "home".into(),
                user: user.into(),
            })
            .await
            .expect("household add");
    }
    let me: Value = server.me(&alice.token).await.json().await.unwrap();
    let list = me["household"]["grocery_list_id"]
        .as_str()
        .expect("a household list")
        .to_owned();
    (server, admin, [alice, bob], list)
}

/// `POST /api/v1/grocery/items`, on `list` if given (else the user's own); the new item's id.
async fn rest_add(server: &TestServer, user: &SignedIn, list: Option<&str>, name: &str) -> String {
    let path = match list {
        Some(list) => format!("/api/v1/grocery/items?list={list}"),
        None => "/api/v1/grocery/items".to_owned(),
    };
    let res = server
        .client
        .post(server.url(&path))
        .bearer_auth(&user.token)
        .json(&json!({ "name": name }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let item: Value = res.json().await.unwrap();
    item["id"].as_str().unwrap().to_owned()
}

/// Polls `cond` until it holds (10 s at most).
async fn until(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn names(got: &[Received]) -> Vec<String> {
    let mut names: Vec<String> = got
        .iter()
        .map(|r| {
            r.body["item"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    names.sort();
    names
}

/// Whether `item` of `list` has been seen by the grocery hook (recorded, queued or not).
fn seen(store: &dyn RelayStore, list: &str, item: &str) -> bool {
    store
        .grocery_seen(list)
        .unwrap()
        .is_some_and(|seen| seen.contains(item))
}

async fn household_list_json(admin: &AdminSocket) -> Value {
    let out = admin
        .run(AdminCommand::HouseholdList { json: true })
        .await
        .expect("household list");
    serde_json::from_str(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn household_items_reach_the_households_webhook_and_own_items_only_the_global_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (global_socket, global_port) = reserve_port();
    let (home_socket, home_port) = reserve_port();
    let global = Inbox::new(GLOBAL_SECRET);
    let home = Inbox::new(HOME_SECRET);
    let global_receiver = start_receiver(global_socket, global.clone());
    let home_receiver = start_receiver(home_socket, home.clone());
    let (server, admin, [alice, bob], list) = household(tmp.path(), global_port).await;
    let out = admin
        .run(set_webhook(home_port, HOME_SECRET))
        .await
        .expect("household webhook");
    assert!(
        out.stdout.starts_with("webhook of household home set"),
        "{out:?}"
    );
    let household_id = household_list_json(&admin).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Alice's device adds an item to the household list through sync.
    let device = Device::connect(&server.base(), &alice.token, &alice.id).await;
    let on_device = device.find(&list).await.expect("the household list");
    on_device.with_document(|am| {
        let mut list: GroceryDoc = autosurgeon::hydrate(am).unwrap();
        merge_addition(
            &mut list,
            addition_from_parts("eggs", Some(6.0), None).unwrap(),
            1,
        );
        am.transact(|tx| autosurgeon::reconcile(tx, &list)).unwrap();
    });
    device.pushed(&on_device).await;
    device.stop().await;
    // Bob adds one through the grocery API; alice adds one to her own list.
    rest_add(&server, &bob, Some(&list), "milk").await;
    rest_add(&server, &alice, None, "tea").await;

    let got_home = home
        .wait_for("the household's two items", |got| {
            names(got) == ["eggs", "milk"]
        })
        .await;
    global
        .wait_for("alice's own item", |got| names(got) == ["tea"])
        .await;
    until("the outbox to drain", || {
        server.store().outbox_len().unwrap() == 0
    })
    .await;
    // Nothing more arrived meanwhile: each item once, at its own receiver only.
    assert_eq!(names(&home.all()), ["eggs", "milk"]);
    assert_eq!(names(&global.all()), ["tea"]);
    for r in &got_home {
        assert!(r.signature_ok, "signed with the household's secret: {r:?}");
        assert_eq!(r.body["delivery_id"], r.header_id.as_str());
        assert_eq!(r.body["event"], "grocery.item_added");
        assert_eq!(r.body["household"]["name"], "home");
        assert_eq!(r.body["household"]["id"], household_id.as_str());
        assert_eq!(r.body["user"], Value::Null);
        assert_eq!(r.body["list_id"], list.as_str());
    }
    let tea = &global.all()[0];
    assert!(tea.signature_ok, "{tea:?}");
    assert_eq!(tea.body["user"]["name"], "alice");
    assert_eq!(tea.body["household"], Value::Null);
    assert_ne!(tea.body["list_id"], list.as_str());

    global_receiver.abort();
    home_receiver.abort();
    admin.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_stops_deliveries_and_bad_input_is_refused_without_changing_anything() {
    let tmp = tempfile::tempdir().unwrap();
    let (_global_socket, global_port) = reserve_port();
    let (home_socket, home_port) = reserve_port();
    let (server, admin, [_alice, bob], list) = household(tmp.path(), global_port).await;

    // Refusals through the admin socket, as the running relay answers them.
    for (command, message) in [
        (
            AdminCommand::HouseholdWebhook {
                name: "home".into(),
                webhook: Some(HouseholdWebhook {
                    url: "ftp://127.0.0.1/hook".into(),
                    secret: Secret::new(HOME_SECRET),
                }),
            },
            "must be an http:// or https:// URL",
        ),
        (
            set_webhook(home_port, "too short"),
            "webhook secret too short",
        ),
        (
            AdminCommand::HouseholdWebhook {
                name: "cabin".into(),
                webhook: Some(HouseholdWebhook {
                    url: url(home_port),
                    secret: Secret::new(HOME_SECRET),
                }),
            },
            "household cabin does not exist",
        ),
    ] {
        let err = admin.run(command).await.unwrap_err();
        assert!(err.to_string().contains(message), "{err}");
    }
    assert_eq!(household_list_json(&admin).await[0]["webhook"], false);

    // Set (its receiver down for now): an addition is queued and tried.
    admin
        .run(set_webhook(home_port, HOME_SECRET))
        .await
        .expect("household webhook");
    let listed = admin
        .run(AdminCommand::HouseholdList { json: false })
        .await
        .unwrap();
    let listed_json = admin
        .run(AdminCommand::HouseholdList { json: true })
        .await
        .unwrap();
    for out in [&listed, &listed_json] {
        assert!(!out.stdout.contains(HOME_SECRET), "{out:?}");
        assert!(!out.stderr.contains(HOME_SECRET), "{out:?}");
    }
    assert!(listed.stdout.contains("WEBHOOK"), "{listed:?}");
    assert!(
        listed.stdout.lines().nth(1).unwrap().contains(" yes "),
        "{listed:?}"
    );
    assert_eq!(household_list_json(&admin).await[0]["webhook"], true);
    rest_add(&server, &bob, Some(&list), "bread").await;
    until("the household delivery to be tried", || {
        server
            .store()
            .outbox()
            .unwrap()
            .iter()
            .any(|d| d.item.name == "bread" && d.attempts >= 1)
    })
    .await;

    // Off: what was queued is dropped, and later additions are only recorded as seen.
    let out = admin
        .run(AdminCommand::HouseholdWebhook {
            name: "home".into(),
            webhook: None,
        })
        .await
        .expect("household webhook --off");
    assert!(out.stdout.contains("removed"), "{out:?}");
    assert_eq!(household_list_json(&admin).await[0]["webhook"], false);
    until("the queued delivery to be dropped", || {
        server.store().outbox_len().unwrap() == 0
    })
    .await;
    let home = Inbox::new(HOME_SECRET);
    let receiver = start_receiver(home_socket, home.clone());
    let later = rest_add(&server, &bob, Some(&list), "butter").await;
    until("the later addition to be seen", || {
        seen(server.store(), &list, &later)
    })
    .await;
    assert_eq!(server.store().outbox_len().unwrap(), 0);
    assert!(home.all().is_empty(), "{:?}", home.all());

    receiver.abort();
    admin.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_household_receiver_that_is_down_does_not_hold_up_the_global_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (global_socket, global_port) = reserve_port();
    let (_home_socket, home_port) = reserve_port();
    let global = Inbox::new(GLOBAL_SECRET);
    let global_receiver = start_receiver(global_socket, global.clone());
    // A failed attempt waits at least 30 s: far longer than the waits below, so what arrives
    // meanwhile was not held back until the household's retry.
    let mut cfg = hook_config(tmp.path(), global_port);
    cfg.webhook.retry_min = Duration::from_secs(60);
    cfg.webhook.retry_max = Duration::from_secs(60);
    let (server, admin, [alice, bob], list) = household_on(cfg, tmp.path()).await;
    admin
        .run(set_webhook(home_port, HOME_SECRET))
        .await
        .expect("household webhook");

    // The household's delivery is queued first and found down...
    rest_add(&server, &bob, Some(&list), "flour").await;
    until("the household receiver to be tried", || {
        server
            .store()
            .outbox()
            .unwrap()
            .iter()
            .any(|d| d.item.name == "flour" && d.attempts >= 1)
    })
    .await;
    // ...and alice's own items still go straight through, while it waits for its retry.
    rest_add(&server, &alice, None, "sugar").await;
    rest_add(&server, &alice, None, "salt").await;
    let got = global
        .wait_for("alice's items", |got| names(got) == ["salt", "sugar"])
        .await;
    assert!(got.iter().all(|r| r.signature_ok));
    until("alice's deliveries to leave the outbox", || {
        server.store().outbox_len().unwrap() == 1
    })
    .await;
    let queued = server.store().outbox().unwrap();
    assert_eq!(queued[0].item.name, "flour");
    assert_eq!(queued[0].attempts, 1, "not tried again before its retry");

    global_receiver.abort();
    admin.stop().await;
    server.stop().await;
}

/// `larder-server --data DATA ARGS…` with `LARDER_WEBHOOK_SECRET` set to `env_secret` (or unset).
fn cli(data: &std::path::Path, args: &[&str], env_secret: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_larder-server"));
    command
        .arg("--data")
        .arg(data)
        .arg("--config")
        .arg(cheap_config_file(data))
        .args(args)
        .env_remove("LARDER_DATA")
        .env_remove("LARDER_CONFIG")
        .env_remove("LARDER_WEBHOOK_SECRET")
        .stdin(Stdio::null());
    if let Some(secret) = env_secret {
        command.env("LARDER_WEBHOOK_SECRET", secret);
    }
    command.output().expect("run larder-server")
}

fn refused(out: &Output, message: &str) {
    assert!(!out.status.success(), "{}", stdout(out));
    assert!(stderr(out).contains(message), "{}", stderr(out));
}

#[test]
fn the_command_line_reads_the_secret_from_a_file_or_the_environment_and_refuses_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // A data directory with household "home" in it (the relay stopped).
    let store = common::open_store(
        &larder_sync_server::data_dir::DataDir::open(&data, true)
            .unwrap()
            .db_path(),
    );
    larder_sync_server::accounts::admin::create_household(&store, "home", 1).unwrap();
    drop(store);
    let short_file = tmp.path().join("short.secret");
    std::fs::write(&short_file, "fifteen bytes!!\n").unwrap();
    let good_file = tmp.path().join("good.secret");
    std::fs::write(&good_file, format!("{HOME_SECRET}\n")).unwrap();
    let short = short_file.to_str().unwrap();
    let good = good_file.to_str().unwrap();
    let target = "https://hook.example/home";

    refused(
        &cli(
            &data,
            &["household", "webhook", "home", "--url", target],
            None,
        ),
        "needs a secret",
    );
    refused(
        &cli(
            &data,
            &[
                "household",
                "webhook",
                "home",
                "--url",
                target,
                "--secret-file",
                short,
            ],
            None,
        ),
        "webhook secret too short: use at least 16 bytes",
    );
    refused(
        &cli(
            &data,
            &["household", "webhook", "home", "--url", target],
            Some("short"),
        ),
        "webhook secret too short",
    );
    refused(
        &cli(
            &data,
            &[
                "household",
                "webhook",
                "home",
                "--url",
                "file:///etc/passwd",
                "--secret-file",
                good,
            ],
            None,
        ),
        "must be an http:// or https:// URL",
    );
    refused(
        &cli(
            &data,
            &[
                "household",
                "webhook",
                "cabin",
                "--url",
                target,
                "--secret-file",
                good,
            ],
            None,
        ),
        "household cabin does not exist",
    );
    refused(
        &cli(
            &data,
            &["household", "webhook", "home", "--url", target, "--off"],
            None,
        ),
        "cannot be used with",
    );
    let listed = cli(&data, &["household", "list", "--json"], None);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let rows: Value = serde_json::from_str(&stdout(&listed)).unwrap();
    assert_eq!(rows[0]["webhook"], false, "refusals change nothing");

    // From the file (its trailing newline is not part of the secret).
    let out = cli(
        &data,
        &[
            "household",
            "webhook",
            "home",
            "--url",
            target,
            "--secret-file",
            good,
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains(HOME_SECRET) && !stderr(&out).contains(HOME_SECRET));
    for args in [
        &["household", "list"][..],
        &["household", "list", "--json"][..],
    ] {
        let out = cli(&data, args, None);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(!stdout(&out).contains(HOME_SECRET), "{}", stdout(&out));
        assert!(!stdout(&out).contains("own secret"), "{}", stdout(&out));
    }
    let stored = |data: &std::path::Path| {
        let dir = larder_sync_server::data_dir::DataDir::open(data, false).unwrap();
        let store = common::open_store(&dir.db_path());
        store.household_by_name("home").unwrap().unwrap().webhook
    };
    assert_eq!(
        stored(&data),
        Some(HouseholdWebhook {
            url: target.into(),
            secret: Secret::new(HOME_SECRET),
        })
    );

    // From the environment, replacing it; then off.
    let env_secret = "another secret from the environment";
    let out = cli(
        &data,
        &["household", "webhook", "home", "--url", target],
        Some(env_secret),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("replaced"), "{}", stdout(&out));
    assert_eq!(
        stored(&data).map(|w| w.secret),
        Some(Secret::new(env_secret))
    );
    let out = cli(&data, &["household", "webhook", "home", "--off"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("removed"), "{}", stdout(&out));
    assert_eq!(stored(&data), None);
}
