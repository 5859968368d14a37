//! The command layer on Tauri's mock runtime (no display): requests go through the real IPC
//! path (`rpc` invoked with a JSON body, as `@tauri-apps/api` sends it) against a real relay on
//! 127.0.0.1, and events are observed as the UI would receive them.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use larder_shell::{CHANGE_EVENT, SYNC_STATUS_EVENT};
use larder_sync_server::accounts::admin;
use larder_sync_server::clock::{Clock, SystemClock};
use larder_sync_server::config::{Config, HashParams};
use larder_sync_server::data_dir::DataDir;
use larder_sync_server::store::RelayStore;
use larder_sync_server::{AppState, SledStore, serve_on};
use serde_json::{Value, json};
use tauri::Listener;
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;

const PASSWORD: &str = "correct horse battery";

/// A relay on its own runtime (the app has Tauri's), with one user.
struct Relay {
    runtime: tokio::runtime::Runtime,
    url: String,
    _data: tempfile::TempDir,
}

impl Relay {
    fn start(user: &str) -> Relay {
        Self::start_with(user, |_| {})
    }

    /// A relay with a changed configuration.
    fn start_with(user: &str, change: impl FnOnce(&mut Config)) -> Relay {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let data = tempfile::tempdir().expect("tempdir");
        let config = Config {
            data_dir: data.path().to_owned(),
            password_hash: HashParams {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            ..Config::default()
        };
        let mut config = config;
        change(&mut config);
        let url = runtime.block_on(async {
            let dir = DataDir::open(&config.data_dir, true).expect("data dir");
            let store: Arc<dyn RelayStore> =
                Arc::new(SledStore::open(&dir.db_path()).expect("store"));
            let state = AppState::with_clock(config, store, Arc::new(SystemClock)).expect("state");
            admin::add_user(
                &*state.store,
                &state.passwords,
                user,
                PASSWORD,
                SystemClock.now_ms(),
            )
            .expect("add user");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let url = format!("http://{}", listener.local_addr().expect("addr"));
            tokio::spawn(async move {
                let _dir = dir;
                let _ = serve_on(listener, state, std::future::pending()).await;
            });
            url
        });
        Relay {
            runtime,
            url,
            _data: data,
        }
    }
}

/// One app (mock runtime) on a profile directory, with a webview to call through and every
/// event it sent.
struct App {
    app: tauri::App<MockRuntime>,
    webview: tauri::WebviewWindow<MockRuntime>,
    events: Arc<Mutex<Vec<(String, Value)>>>,
}

impl App {
    fn open(dir: &Path) -> App {
        let app = larder_shell::builder(mock_builder())
            .build(mock_context(noop_assets()))
            .expect("build app");
        larder_shell::open_profile(app.handle(), dir.to_owned()).expect("open profile");
        let events = Arc::new(Mutex::new(Vec::new()));
        for name in [CHANGE_EVENT, SYNC_STATUS_EVENT] {
            let events = events.clone();
            app.listen_any(name, move |event| {
                let payload = serde_json::from_str(event.payload()).expect("json payload");
                events.lock().unwrap().push((name.to_string(), payload));
            });
        }
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("webview");
        App {
            app,
            webview,
            events,
        }
    }

    /// Sends a request through IPC; `Ok(response)` or `Err(rpc error)` as JSON.
    fn rpc(&self, request: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.webview,
            InvokeRequest {
                cmd: "rpc".into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                // The app's own origin on Linux and macOS (`http://tauri.localhost` on Windows).
                url: "tauri://localhost".parse().unwrap(),
                body: tauri::ipc::InvokeBody::Json(json!({ "request": request })),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().expect("json response"))
    }

    fn ok(&self, request: Value) -> Value {
        match self.rpc(request.clone()) {
            Ok(response) => response,
            Err(err) => panic!("{request} failed: {err}"),
        }
    }

    fn events_named(&self, name: &str) -> Vec<Value> {
        let events = self.events.lock().unwrap();
        events
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Closes the profile as the app does on exit.
    fn close(self) {
        let shell = tauri::Manager::state::<larder_shell::Shell>(&self.app);
        tauri::async_runtime::block_on(shell.close());
    }
}

/// Polls `check` until it yields a value or the deadline passes.
fn wait_for<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn sign_in(app: &App, relay: &Relay, user: &str) -> Value {
    app.ok(json!({"op": "sign_in", "server": relay.url, "username": user, "password": PASSWORD}))
}

fn search(app: &App, query: &str) -> Vec<Value> {
    let found = app.ok(json!({"op": "search", "query": query}));
    assert_eq!(found["type"], "summaries", "{found}");
    found["value"].as_array().expect("summaries").clone()
}

#[test]
fn signed_out_app_works_locally_and_shell_ops_answer() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path());
    assert_eq!(
        app.ok(json!({"op": "session"})),
        json!({"type": "session", "value": null})
    );
    let status = app.ok(json!({"op": "sync_status"}));
    assert_eq!(status["value"]["state"], "signed_out", "{status}");

    let created = app.ok(json!({"op": "create_recipe", "draft": {
        "title": "Shakshuka",
        "ingredients": [{"quantity": 4, "unit": "", "name": "eggs"}, {"name": "harissa"}]
    }}));
    let id = created["value"]["id"].as_str().unwrap().to_string();
    let hits = search(&app, "harissa");
    assert_eq!(hits[0]["id"], id.as_str());

    // The change event reached the UI side, typed as core's ChangeEvent.
    wait_for("the change event", Duration::from_secs(5), || {
        app.events_named(CHANGE_EVENT)
            .into_iter()
            .find(|e| e == &json!({"kind": "recipe_changed", "id": id}))
    });

    // Engine errors cross the bridge typed and readable.
    let err = app
        .rpc(json!({"op": "create_recipe", "draft": {"title": "  "}}))
        .unwrap_err();
    assert_eq!(err["code"], "invalid", "{err}");
    assert_eq!(err["message"], "invalid input: the title is empty");
    let err = app
        .rpc(json!({"op": "get_recipe", "id": "nope"}))
        .unwrap_err();
    assert_eq!(err["code"], "not_found", "{err}");
    // Not on the device and not signed in: a readable not-found.
    let err = app
        .rpc(json!({"op": "attachment_bytes", "sha256": "00"}))
        .unwrap_err();
    assert_eq!(err["code"], "not_found", "{err}");
    // A request the engine cannot read.
    assert!(app.rpc(json!({"op": "launch_rockets"})).is_err());
    app.close();
}

/// History, a version, restore and recently deleted are engine requests the shell passes on.
#[test]
fn history_restore_and_recently_deleted_pass_through() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path());
    let created = app.ok(json!({"op": "create_recipe", "draft": {"title": "Dal"}}));
    let id = created["value"]["id"].as_str().unwrap().to_string();
    app.ok(json!({"op": "update_recipe", "id": id, "draft": {"title": "Tadka dal"}}));

    let history = app.ok(json!({"op": "recipe_history", "id": id}));
    assert_eq!(history["type"], "history", "{history}");
    let versions = history["value"].as_array().expect("versions");
    assert_eq!(versions.len(), 2, "{history}");
    assert_eq!(versions[0]["summary"], "Title changed");
    assert_eq!(versions[0]["device"]["label"], "This device");
    let first = versions[1]["version"].as_str().unwrap();
    let old = app.ok(json!({"op": "recipe_version", "id": id, "version": first}));
    assert_eq!(old["value"]["recipe"]["title"], "Dal", "{old}");

    let restored = app.ok(json!({"op": "restore_version", "id": id, "version": first}));
    assert_eq!(restored["type"], "restored", "{restored}");
    assert_eq!(restored["value"]["recipe"]["title"], "Dal");
    let undone = app.ok(json!({"op": "undo_restore", "id": id,
        "previous": restored["value"]["previous"], "restored": restored["value"]["restored"]}));
    assert_eq!(undone["value"]["title"], "Tadka dal", "{undone}");

    app.ok(json!({"op": "delete_recipe", "id": id}));
    let deleted = app.ok(json!({"op": "recently_deleted"}));
    assert_eq!(deleted["type"], "deleted", "{deleted}");
    assert_eq!(deleted["value"][0]["summary"]["title"], "Tadka dal");
    app.close();
}

#[test]
fn wrong_password_and_bad_server_are_typed_errors() {
    let relay = Relay::start("ada");
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path());
    let err = app
        .rpc(json!({"op": "sign_in", "server": relay.url, "username": "ada", "password": "wrong password"}))
        .unwrap_err();
    assert_eq!(
        err,
        json!({"code": "unauthorized", "message": "wrong user name or password"})
    );
    let err = app
        .rpc(json!({"op": "sign_in", "server": "not a url", "username": "ada", "password": PASSWORD}))
        .unwrap_err();
    assert_eq!(err["code"], "invalid", "{err}");
    // Nothing listens on port 9 of loopback.
    let err = app
        .rpc(json!({"op": "sign_in", "server": "http://127.0.0.1:9", "username": "ada", "password": PASSWORD}))
        .unwrap_err();
    assert_eq!(err["code"], "unreachable", "{err}");
    assert_eq!(app.ok(json!({"op": "session"}))["value"], Value::Null);
    app.close();
    drop(relay.runtime);
}

#[test]
fn two_devices_sync_through_the_relay_in_the_background() {
    let relay = Relay::start("grace");
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = App::open(dir_a.path());
    let session = sign_in(&a, &relay, "grace");
    assert_eq!(session["type"], "session");
    assert_eq!(session["value"]["user_name"], "grace");
    assert_eq!(session["value"]["server"], relay.url.as_str());

    let created = a.ok(json!({"op": "create_recipe", "draft": {
        "title": "Lemon drizzle cake",
        "ingredients": [{"quantity": 2, "unit": "", "name": "lemons"}, {"quantity": 200, "unit": "g", "name": "caster sugar"}]
    }}));
    let id = created["value"]["id"].as_str().unwrap().to_string();
    let attached = a.ok(
        json!({"op": "attach_file", "recipe_id": id, "file_name": "card.txt",
        "media_type": "text/plain", "bytes_base64": "bGVtb24gY2FyZA=="}),
    );
    let sha = attached["value"]["sha256"].as_str().unwrap().to_string();

    // Background sync reports its state to the UI and gets up to date.
    wait_for("device A up to date", Duration::from_secs(30), || {
        let status = a.ok(json!({"op": "sync_status"}));
        (status["value"]["state"] == "up_to_date" && status["value"]["pending"] == 0).then_some(())
    });
    assert!(
        a.events_named(SYNC_STATUS_EVENT)
            .iter()
            .any(|s| s["state"] == "up_to_date"),
        "sync-status events were sent"
    );

    // A second device of the same user receives the recipe without any request to sync…
    let b = App::open(dir_b.path());
    sign_in(&b, &relay, "grace");
    let hits = wait_for("the recipe on device B", Duration::from_secs(30), || {
        let hits = search(&b, "lemons");
        (!hits.is_empty()).then_some(hits)
    });
    assert_eq!(hits[0]["id"], id.as_str());
    wait_for("B's change event", Duration::from_secs(5), || {
        b.events_named(CHANGE_EVENT)
            .into_iter()
            .find(|e| e["id"] == id.as_str())
    });
    // …and fetches the attachment from the relay, since its bytes are not on B.
    let bytes = wait_for(
        "the attachment from the relay",
        Duration::from_secs(30),
        || b.rpc(json!({"op": "attachment_bytes", "sha256": sha})).ok(),
    );
    assert_eq!(bytes["value"]["bytes_base64"], "bGVtb24gY2FyZA==");

    // An edit on B comes back to A.
    let mut draft = b.ok(json!({"op": "get_recipe", "id": id}))["value"].clone();
    draft["title"] = json!("Lemon drizzle loaf");
    b.ok(json!({"op": "update_recipe", "id": id, "draft": draft}));
    wait_for("B's edit on A", Duration::from_secs(30), || {
        let recipe = a.ok(json!({"op": "get_recipe", "id": id}));
        (recipe["value"]["title"] == "Lemon drizzle loaf").then_some(())
    });

    // Restarted, A keeps its session and its recipes; signing out stops sync.
    a.close();
    let a = App::open(dir_a.path());
    assert_eq!(
        a.ok(json!({"op": "session"}))["value"]["user_name"],
        "grace"
    );
    assert_eq!(search(&a, "lemons").len(), 1);
    assert_eq!(a.ok(json!({"op": "sign_out"})), json!({"type": "done"}));
    assert_eq!(a.ok(json!({"op": "session"}))["value"], Value::Null);
    assert_eq!(
        a.ok(json!({"op": "sync_status"}))["value"]["state"],
        "signed_out"
    );
    assert_eq!(
        search(&a, "lemons").len(),
        1,
        "local recipes stay after sign-out"
    );
    // The sign-in form will start with the relay and name used before.
    assert_eq!(
        a.ok(json!({"op": "last_sign_in"})),
        json!({"type": "last_sign_in", "value": {"server": relay.url.as_str(), "user_name": "grace"}})
    );
    a.ok(json!({"op": "sign_out", "remove_data": true}));
    assert!(search(&a, "lemons").is_empty(), "remove_data deletes them");
    assert_eq!(a.ok(json!({"op": "last_sign_in"}))["value"], Value::Null);
    a.close();
    b.close();
    drop(relay.runtime);
}

#[test]
fn import_by_address_goes_through_the_relay_and_offline_is_unreachable() {
    // The relay serves the recipe page itself (as its web app directory) and may fetch from
    // loopback, so the page is on 127.0.0.1 like everything in the tests.
    let site = tempfile::tempdir().unwrap();
    std::fs::write(
        site.path().join("stew.html"),
        r#"<html><head><script type="application/ld+json">{"@type":"Recipe","name":"Barley stew",
        "recipeIngredient":["100 g pearl barley"],"recipeInstructions":"Simmer."}</script></head></html>"#,
    )
    .unwrap();
    let relay = Relay::start_with("iris", |config| {
        config.web_dir = Some(site.path().to_owned());
        config.import_url.allow_private_networks = vec!["127.0.0.1/32".parse().unwrap()];
    });
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path());
    let page = format!("{}/stew.html", relay.url);

    let err = app
        .rpc(json!({"op": "import_url", "url": page}))
        .unwrap_err();
    assert_eq!(err["code"], "unauthorized", "{err}");

    sign_in(&app, &relay, "iris");
    let imported = app.ok(json!({"op": "import_url", "url": page}));
    assert_eq!(imported["type"], "import", "{imported}");
    let id = imported["value"]["ids"][0].as_str().unwrap().to_owned();
    let recipe = app.ok(json!({"op": "get_recipe", "id": id}));
    assert_eq!(recipe["value"]["title"], "Barley stew");
    assert_eq!(recipe["value"]["source_url"], page.as_str());

    // Refusals by the relay are invalid input with the relay's reason; a bad address is
    // refused on the device.
    let err = app
        .rpc(json!({"op": "import_url", "url": "http://10.1.2.3/stew"}))
        .unwrap_err();
    assert_eq!(err["code"], "invalid", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("non-public"),
        "{err}"
    );
    let err = app
        .rpc(json!({"op": "import_url", "url": "ftp://example.org/stew"}))
        .unwrap_err();
    assert_eq!(err["code"], "invalid", "{err}");

    // The relay gone: unreachable, so the UI offers to keep the link.
    drop(relay.runtime);
    let err = app
        .rpc(json!({"op": "import_url", "url": page}))
        .unwrap_err();
    assert_eq!(err["code"], "unreachable", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("needs the relay"),
        "{err}"
    );
    let kept =
        app.ok(json!({"op": "save_link", "url": "https://example.org/recipes/barley-stew/"}));
    assert_eq!(kept["value"]["title"], "Barley stew (example.org)");
    app.close();
}

/// `GET url` over a plain socket (HTTP/1.1, no session): the status code and the body.
fn http_get(url: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http address");
    let (host, path) = rest.split_at(rest.find('/').expect("a path"));
    let mut socket = std::net::TcpStream::connect(host).expect("connect");
    write!(
        socket,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    socket.read_to_string(&mut answer).expect("read");
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn the_plans_calendar_feed_is_asked_of_the_relay() {
    let relay = Relay::start("jo");
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path());

    let err = app
        .rpc(json!({"op": "plan_calendar", "action": "status"}))
        .unwrap_err();
    assert_eq!(err["code"], "unauthorized", "{err}");
    assert_eq!(
        err["message"],
        "sign in to a relay to subscribe to your plan in a calendar"
    );

    sign_in(&app, &relay, "jo");
    assert_eq!(
        app.ok(json!({"op": "plan_calendar", "action": "status"})),
        json!({"type": "calendar_link", "value": {"active": false, "url": null, "created_at": null}})
    );
    let made = app.ok(json!({"op": "plan_calendar", "action": "create"}));
    assert_eq!(made["type"], "calendar_link", "{made}");
    assert_eq!(made["value"]["active"], true);
    let url = made["value"]["url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("{}/api/v1/plan/calendar/", relay.url)) && url.ends_with(".ics"),
        "{url}"
    );
    let created_at = made["value"]["created_at"].as_i64().unwrap();
    let (status, body) = http_get(&url);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("BEGIN:VCALENDAR"), "{body}");

    // The address is shown once; the state says only that it works.
    assert_eq!(
        app.ok(json!({"op": "plan_calendar", "action": "status"}))["value"],
        json!({"active": true, "url": null, "created_at": created_at})
    );
    assert_eq!(
        app.ok(json!({"op": "plan_calendar", "action": "revoke"}))["value"],
        json!({"active": false, "url": null, "created_at": null})
    );
    assert_eq!(http_get(&url).0, 404);
    assert_eq!(
        app.ok(json!({"op": "plan_calendar", "action": "status"}))["value"]["active"],
        false
    );

    drop(relay.runtime);
    let err = app
        .rpc(json!({"op": "plan_calendar", "action": "status"}))
        .unwrap_err();
    assert_eq!(err["code"], "unreachable", "{err}");
    app.close();
}
