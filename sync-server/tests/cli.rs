//! The `larder-server` binary as operators use it: `user add/list/passwd/disable/enable/remove`
//! with passwords on stdin (never argv), clear errors, the same commands against a running
//! relay (through its admin socket), config errors, and `serve` starting, answering and
//! shutting down cleanly on SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestServer, cli, config, expect_error, stderr, stdout};
use serde_json::Value;

fn add(data: &std::path::Path, name: &str, password: &str) {
    let out = cli(
        data,
        &["user", "add", name],
        &format!("{password}\n{password}\n"),
    );
    assert!(out.status.success(), "user add {name}: {}", stderr(&out));
    assert!(stdout(&out).contains(&format!("created user {name}")));
}

#[tokio::test]
async fn user_added_on_the_command_line_can_log_in() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    add(&data, "Alice", "correct horse");

    let server = TestServer::start(config(&data)).await;
    let token = server.token("alice", "correct horse").await;
    let me: Value = server.me(&token).await.json().await.unwrap();
    assert_eq!(me["name"], "Alice");
    assert_eq!(me["id"].as_str().unwrap().len(), 32);
    // Created on first use.
    assert!(
        me["grocery_list_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    server.stop().await;
}

#[test]
fn user_add_rejects_bad_input_with_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    add(&data, "alice", "correct horse");

    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["user", "add", "ALICE"],
            "correct horse\ncorrect horse\n",
            "user ALICE already exists",
        ),
        (
            &["user", "add", "bad name"],
            "correct horse\ncorrect horse\n",
            "invalid user name",
        ),
        (
            &["user", "add", "bob"],
            "short\nshort\n",
            "at least 8 characters",
        ),
        (
            &["user", "add", "bob"],
            "correct horse\ncorrect horsf\n",
            "do not match",
        ),
        (
            &["user", "add", "bob"],
            "correct horse\n",
            "expected the password twice",
        ),
        (&["user", "add", "bob"], "", "expected the password twice"),
    ];
    for (args, input, expected) in cases {
        let out = cli(&data, args, input);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // None of those created bob.
    let out = cli(&data, &["user", "list", "--json"], "");
    let users: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(users.as_array().unwrap().len(), 1);
}

#[test]
fn passwords_are_never_taken_from_arguments() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    for args in [
        &["user", "add", "bob", "--password", "correct horse"][..],
        &["user", "add", "bob", "correct horse"][..],
        &["user", "add", "bob", "-p", "correct horse"][..],
        &["user", "passwd", "bob", "correct horse"][..],
    ] {
        let out = cli(&data, args, "correct horse\ncorrect horse\n");
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(
            stderr(&out).contains("unexpected argument"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let out = cli(&data, &["user", "add", "--help"], "");
    assert!(!stdout(&out).to_lowercase().contains("--password"));
}

#[tokio::test]
async fn list_passwd_disable_enable_remove() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    add(&data, "alice", "correct horse");
    add(&data, "Bob", "battery staple");

    let out = cli(&data, &["user", "list"], "");
    assert!(out.status.success());
    let table = stdout(&out);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("NAME") && lines[0].contains("DISABLED"),
        "{table}"
    );
    assert!(
        lines[1].starts_with("alice") && lines[2].starts_with("Bob"),
        "{table}"
    );

    let out = cli(&data, &["user", "list", "--json"], "");
    let users: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(users[0]["name"], "alice");
    assert_eq!(users[0]["disabled"], false);
    assert_eq!(users[0]["id"].as_str().unwrap().len(), 32);
    assert!(users[0]["created_at"].as_i64().unwrap() > 0);

    // Sessions, then a password change: old password and old sessions are dead.
    let server = TestServer::start(config(&data)).await;
    let alice_token = server.token("alice", "correct horse").await;
    let bob_token = server.token("bob", "battery staple").await;
    server.stop().await;

    let out = cli(
        &data,
        &["user", "passwd", "alice"],
        "new password\nnew password\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 session(s) signed out"),
        "{}",
        stdout(&out)
    );
    let out = cli(
        &data,
        &["user", "passwd", "carol"],
        "new password\nnew password\n",
    );
    assert!(
        stderr(&out).contains("user carol does not exist"),
        "{}",
        stderr(&out)
    );

    let out = cli(&data, &["user", "disable", "BOB"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 session(s) signed out"),
        "{}",
        stdout(&out)
    );
    let out = cli(&data, &["user", "list", "--json"], "");
    let users: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(users[1]["disabled"], true);

    let server = TestServer::start(config(&data)).await;
    expect_error(server.me(&alice_token).await, 401, "unauthorized").await;
    expect_error(
        server.login("alice", "correct horse").await,
        401,
        "invalid_credentials",
    )
    .await;
    let alice_token = server.token("alice", "new password").await;
    expect_error(server.me(&bob_token).await, 401, "unauthorized").await;
    expect_error(
        server.login("bob", "battery staple").await,
        401,
        "invalid_credentials",
    )
    .await;
    server.stop().await;

    let out = cli(&data, &["user", "enable", "bob"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli(&data, &["user", "remove", "alice"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("removed with 0 document(s) and 0 attached file(s); 1 session(s)"),
        "{}",
        stdout(&out)
    );
    let out = cli(&data, &["user", "remove", "alice"], "");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("user alice does not exist"),
        "{}",
        stderr(&out)
    );

    let server = TestServer::start(config(&data)).await;
    expect_error(server.me(&alice_token).await, 401, "unauthorized").await;
    expect_error(
        server.login("alice", "new password").await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(server.login("bob", "battery staple").await.status(), 200);
    server.stop().await;

    // The name is free again.
    add(&data, "alice", "another one");
}

/// The real relay binary on `data` (cheap hashing), and the address it listens on.
fn spawn_relay(data: &std::path::Path) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_larder-server"))
        .arg("--data")
        .arg(data)
        .arg("--config")
        .arg(common::cheap_config_file(data))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("LARDER_LOG", "info")
        .env_remove("LARDER_BIND")
        .env_remove("LARDER_DATA")
        .env_remove("LARDER_CONFIG")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut logs = BufReader::new(child.stderr.take().unwrap()).lines();
    let (mut addr, mut admin) = (None, false);
    while addr.is_none() || !admin {
        let line = logs.next().expect("the relay exited early").unwrap();
        if line.contains("admin socket listening") {
            admin = true;
        }
        if let Some(rest) = line
            .split("addr=")
            .nth(1)
            .filter(|_| line.contains("listening"))
        {
            addr = rest.split_whitespace().next().map(str::to_owned);
        }
    }
    // Keep draining the log so the relay never blocks on a full pipe.
    std::thread::spawn(move || for _ in logs {});
    (child, addr.unwrap())
}

async fn login_status(addr: &str, name: &str, password: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/session"))
        .json(&serde_json::json!({"username": name, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// While the relay serves (and holds the store's lock), user and token commands go through its
/// admin socket: they take effect at once, refusals read as they do offline, and the changes
/// are on disk once the command returns.
#[tokio::test]
async fn user_and_token_commands_reach_a_running_relay() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    add(&data, "alice", "correct horse");
    let (mut relay, addr) = spawn_relay(&data);

    let out = cli(
        &data,
        &["user", "add", "bob"],
        "battery staple\nbattery staple\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("created user bob"),
        "{}",
        stdout(&out)
    );
    assert_eq!(login_status(&addr, "bob", "battery staple").await, 200);

    let out = cli(
        &data,
        &["user", "add", "bob"],
        "battery staple\nbattery staple\n",
    );
    assert!(!out.status.success());
    assert_eq!(stderr(&out).trim(), "error: user bob already exists");
    let out = cli(&data, &["user", "add", "bad name"], "");
    assert!(
        stderr(&out).contains("invalid user name"),
        "{}",
        stderr(&out)
    );

    let out = cli(&data, &["user", "list", "--json"], "");
    let users: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"]);

    let out = cli(
        &data,
        &["token", "create", "bob", "--label", "shopping app"],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("lgt_"), "{}", stdout(&out));
    assert!(stderr(&out).contains("shown only once"), "{}", stderr(&out));

    let out = cli(
        &data,
        &["user", "passwd", "bob"],
        "new password!\nnew password!\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(login_status(&addr, "bob", "battery staple").await, 401);
    assert_eq!(login_status(&addr, "bob", "new password!").await, 200);
    let out = cli(&data, &["user", "disable", "bob"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(login_status(&addr, "bob", "new password!").await, 401);

    // SAFETY: signalling our own child process.
    unsafe { libc::kill(relay.id() as libc::pid_t, libc::SIGTERM) };
    assert!(relay.wait().unwrap().success());
    // Everything the commands did is in the store the stopped relay left behind.
    let out = cli(&data, &["user", "list", "--json"], "");
    let users: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(users[1]["name"], "bob");
    assert_eq!(users[1]["disabled"], true);
    let out = cli(&data, &["token", "list", "bob", "--json"], "");
    assert!(stdout(&out).contains("shopping app"), "{}", stdout(&out));
}

#[tokio::test]
async fn user_commands_explain_a_locked_data_dir_without_an_admin_socket() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    add(&data, "alice", "correct horse");
    // The in-process server locks the directory but serves no admin socket.
    let server = TestServer::start(config(&data)).await;
    let out = cli(&data, &["user", "list"], "");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cannot reach the running relay")
            && stderr(&out).contains("admin.sock"),
        "{}",
        stderr(&out)
    );
    server.stop().await;

    let out = cli(&tmp.path().join("missing"), &["user", "list"], "");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
}

#[test]
fn config_errors_are_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("larder-server.toml"),
        "bind = \"127.0.0.1:0\"\nbnid = 1\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_larder-server"))
        .arg("--data")
        .arg(&data)
        .args(["serve"])
        .env_remove("LARDER_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("larder-server.toml") && err.contains("unknown field `bnid`"),
        "{err}"
    );
}

/// The real binary: `serve --bind 127.0.0.1:0`, log in with the real (default) argon2 cost,
/// then SIGTERM: exit 0 after flushing.
#[tokio::test]
async fn serve_runs_and_stops_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // Default hashing cost here, as in production.
    let out = Command::new(env!("CARGO_BIN_EXE_larder-server"))
        .arg("--data")
        .arg(&data)
        .args(["user", "add", "alice"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"correct horse\ncorrect horse\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    let mut child = Command::new(env!("CARGO_BIN_EXE_larder-server"))
        .arg("--data")
        .arg(&data)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("LARDER_LOG", "info")
        .env_remove("LARDER_BIND")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut logs = BufReader::new(child.stderr.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = loop {
        assert!(
            Instant::now() < deadline,
            "server did not report its address"
        );
        let line = logs.next().expect("server exited early").unwrap();
        if let Some(rest) = line
            .split("addr=")
            .nth(1)
            .filter(|_| line.contains("listening"))
        {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };

    let client = reqwest::Client::new();
    let res = client
        .get(format!("http://{addr}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = common::login_with(
        &client,
        &format!("http://{addr}/api/v1/session"),
        "alice",
        "correct horse",
    )
    .await;
    assert_eq!(res.status(), 200);

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let rest: Vec<String> = logs.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "exit {status:?}; logs: {rest:?}");
    assert!(
        rest.iter().any(|l| l.contains("storage flushed")),
        "{rest:?}"
    );
}

/// `household create/add/remove/list`, with the relay stopped (on the store itself) and while
/// it runs (through its admin socket), with clear refusals and a non-zero exit for each
/// impossible request; what a running relay did is on disk once it stops.
#[tokio::test]
async fn household_commands_offline_and_on_a_running_relay() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    add(&data, "alice", "correct horse");
    add(&data, "bob", "battery staple");
    let refused = |args: &[&str], message: &str| refused_in(&data, args, message);

    // Stopped.
    let out = cli(&data, &["household", "list"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("no households"), "{}", stdout(&out));
    let out = cli(&data, &["household", "create", "Home"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("created household Home ("),
        "{}",
        stdout(&out)
    );
    refused(
        &["household", "create", "home"],
        "household home already exists",
    );
    let out = cli(&data, &["household", "create", "bad name"], "");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("invalid household name"),
        "{}",
        stderr(&out)
    );
    let out = cli(&data, &["household", "add", "home", "alice"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "user alice added to household Home");
    refused(
        &["household", "add", "home", "alice"],
        "user alice is already a member of household Home",
    );
    refused(
        &["household", "add", "cabin", "alice"],
        "household cabin does not exist",
    );
    refused(
        &["household", "add", "home", "nobody"],
        "user nobody does not exist",
    );
    refused(
        &["household", "remove", "home", "bob"],
        "user bob is not a member of household Home",
    );

    // Running: the same commands through the admin socket.
    let (mut relay, addr) = spawn_relay(&data);
    let out = cli(&data, &["household", "add", "home", "bob"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli(&data, &["household", "create", "cabin"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    refused(
        &["household", "add", "cabin", "bob"],
        "user bob is already in another household (Home); a user is in at most one",
    );
    refused(
        &["household", "remove", "shed", "bob"],
        "household shed does not exist",
    );
    refused(
        &["household", "add", "home", "bob"],
        "user bob is already a member of household Home",
    );
    // Bob's /me names the household at once.
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("http://{addr}/api/v1/session"))
        .json(&serde_json::json!({"username": "bob", "password": "battery staple"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let me: Value = client
        .get(format!("http://{addr}/api/v1/me"))
        .bearer_auth(login["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["household"]["name"], "Home", "{me}");
    let out = cli(&data, &["household", "remove", "home", "alice"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "user alice removed from household Home"
    );
    let out = cli(&data, &["household", "list"], "");
    let table = stdout(&out);
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows.len(), 3, "{table}");
    assert!(rows[0].starts_with("NAME"), "{table}");
    assert!(
        rows[1].starts_with("cabin") && rows[1].ends_with('-'),
        "{table}"
    );
    assert!(
        rows[2].starts_with("Home") && rows[2].ends_with("bob"),
        "{table}"
    );

    // SAFETY: signalling our own child process.
    unsafe { libc::kill(relay.id() as libc::pid_t, libc::SIGTERM) };
    assert!(relay.wait().unwrap().success());
    let out = cli(&data, &["household", "list", "--json"], "");
    let list: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(list[1]["name"], "Home");
    assert_eq!(list[1]["members"], serde_json::json!(["bob"]));
    assert!(
        list[1]["grocery_list_id"].as_str().is_some(),
        "made by bob's /me: {list}"
    );
    assert_eq!(list[0]["members"], serde_json::json!([]));

    // A backup carries households, memberships and the household list's ownership.
    let file = tmp.path().join("backup.larder");
    let out = cli(&data, &["backup", file.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let restored = tmp.path().join("restored");
    let out = cli(&restored, &["restore", file.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli(&restored, &["household", "list", "--json"], "");
    assert_eq!(serde_json::from_str::<Value>(&stdout(&out)).unwrap(), list);
    refused_in(
        &restored,
        &["household", "add", "cabin", "bob"],
        "user bob is already in another household (Home); a user is in at most one",
    );
}

fn refused_in(data: &std::path::Path, args: &[&str], message: &str) {
    let out = cli(data, args, "");
    assert!(
        !out.status.success(),
        "{args:?} succeeded: {}",
        stdout(&out)
    );
    assert_eq!(stderr(&out).trim(), format!("error: {message}"), "{args:?}");
}
