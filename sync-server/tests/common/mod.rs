//! Test harness shared by the integration tests: a real relay on 127.0.0.1:0 in this process
//! (temp data dir, sled store, manual clock), cheap argon2 parameters so hashing doesn't
//! dominate debug-build test time, and a runner for the built `larder-server` binary.
#![allow(dead_code)]

pub mod cbor;
pub mod docs;
pub mod frame_gen;
pub mod js_client;
pub mod raw_device;
pub mod raw_peer;
pub mod receiver;
pub mod relay_proc;
pub mod scene;
pub mod switched;
pub mod sync_client;

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use larder_sync_server::accounts::admin;
use larder_sync_server::clock::{Clock, ManualClock};
use larder_sync_server::config::{Config, HashParams};
use larder_sync_server::data_dir::DataDir;
use larder_sync_server::store::{RelayStore, SledStore, User};
use larder_sync_server::{AppState, ServerError, serve_on};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const CHEAP_HASH: HashParams = HashParams {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};

/// The cheap-hash config as a TOML file, for the binary.
pub const CHEAP_TOML: &str = "[password_hash]\nmemory_kib = 64\niterations = 1\nparallelism = 1\n";

pub fn config(data: &Path) -> Config {
    Config {
        data_dir: data.to_owned(),
        password_hash: CHEAP_HASH,
        ..Config::default()
    }
}

/// Opens the store, waiting (bounded) while a relay this process just stopped on the same
/// directory still holds sled's file lock (sled's background threads let go a moment after the
/// last handle is dropped).
pub fn open_store(db: &std::path::Path) -> SledStore {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match SledStore::open(db) {
            Ok(store) => return store,
            Err(e) if std::time::Instant::now() < deadline && e.to_string().contains("lock") => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("open store: {e:?}"),
        }
    }
}

/// A user added to a test relay, and their session token.
#[derive(Clone)]
pub struct SignedIn {
    pub id: String,
    pub token: String,
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    pub clock: ManualClock,
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServerError>>>,
    dir: Option<DataDir>,
}

/// Opens a relay's data directory, waiting (bounded) while its lock is still held a moment
/// after whoever had it let go (a relay this test stopped, a restore that just returned: once
/// seen as `Locked` right after a restore under load).
async fn open_data_dir(path: &Path) -> DataDir {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match DataDir::open(path, true) {
            Ok(dir) => return dir,
            Err(larder_sync_server::data_dir::DataDirError::Locked(_))
                if std::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(e) => panic!("data dir: {e}"),
        }
    }
}

impl TestServer {
    /// Starts a relay on 127.0.0.1:0 over `config.data_dir`.
    pub async fn start(config: Config) -> TestServer {
        Self::start_with_clock(config, ManualClock::starting_now()).await
    }

    pub async fn start_with_clock(mut config: Config, clock: ManualClock) -> TestServer {
        config.validate().expect("valid config");
        let dir = open_data_dir(&config.data_dir).await;
        let store: Arc<dyn RelayStore> = Arc::new(open_store(&dir.db_path()));
        let state = AppState::with_clock(config, store, Arc::new(clock.clone())).expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_on(listener, Arc::clone(&state), async move {
            let _ = rx.await;
        }));
        TestServer {
            addr,
            state,
            clock,
            client: reqwest::Client::new(),
            shutdown: Some(tx),
            task: Some(task),
            dir: Some(dir),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// `http://127.0.0.1:port`
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The running sync hub.
    pub fn hub(&self) -> &Arc<larder_sync_server::SyncHub> {
        self.state.sync_hub().expect("sync started")
    }

    /// `POST /api/v1/sync/ticket` for `peer_id`.
    pub async fn ticket(&self, token: &str, peer_id: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/sync/ticket"))
            .bearer_auth(token)
            .json(&serde_json::json!({ "peer_id": peer_id }))
            .send()
            .await
            .expect("request")
    }

    /// `GET /api/v1/changes?since=…` as JSON; panics unless 200.
    pub async fn changes(&self, token: &str, since: u64) -> Value {
        let res = self
            .client
            .get(self.url(&format!("/api/v1/changes?since={since}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 200, "changes");
        res.json().await.expect("json")
    }

    pub fn clock_now(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn store(&self) -> &dyn RelayStore {
        self.state.store.as_ref()
    }

    /// `larder-server user remove NAME` as the running relay does it (its admin socket's way).
    pub async fn remove_user(&self, name: &str) -> admin::Removed {
        let state = Arc::clone(&self.state);
        let name = name.to_owned();
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            admin::remove_user(state.store.as_ref(), &state.blobs.files, &name, &|user| {
                state.let_go_blocking(&runtime, user)
            })
        })
        .await
        .expect("remove task")
        .expect("remove user")
    }

    /// Creates a user directly in the store.
    pub fn add_user(&self, name: &str, password: &str) -> User {
        admin::add_user(
            self.store(),
            &self.state.passwords,
            name,
            password,
            self.clock.now_ms(),
        )
        .expect("add user")
    }

    /// Stops the server (graceful, flushing) and releases the data directory.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server result");
        }
        // Drop the store (the last Arc) before the lock.
        let TestServer { state, dir, .. } = self;
        drop(state);
        drop(dir);
    }

    pub async fn login(&self, user: &str, password: &str) -> reqwest::Response {
        login_with(&self.client, &self.url("/api/v1/session"), user, password).await
    }

    /// Adds user `name` and signs in as them.
    pub async fn signed_in(&self, name: &str, password: &str) -> SignedIn {
        let u = self.add_user(name, password);
        SignedIn {
            id: u.id.to_string(),
            token: self.token(name, password).await,
        }
    }

    /// Logs in and returns the token; panics unless 200.
    pub async fn token(&self, user: &str, password: &str) -> String {
        let res = self.login(user, password).await;
        assert_eq!(res.status(), 200, "login of {user}");
        let body: Value = res.json().await.expect("json");
        body["token"].as_str().expect("token").to_owned()
    }

    pub async fn me(&self, token: &str) -> reqwest::Response {
        self.client
            .get(self.url("/api/v1/me"))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// `PUT /api/v1/blobs/{hash}` with `body` as `media`.
    pub async fn put_blob(
        &self,
        token: &str,
        hash: &str,
        body: Vec<u8>,
        media: &str,
    ) -> reqwest::Response {
        self.client
            .put(self.url(&format!("/api/v1/blobs/{hash}")))
            .bearer_auth(token)
            .header("content-type", media)
            .body(body)
            .send()
            .await
            .expect("request")
    }

    /// Serves the relay's admin socket in `data_dir` (as `larder-server serve` does), ready
    /// when this returns.
    pub async fn admin_socket(&self, data_dir: &Path) -> AdminSocket {
        let (stop, mut stop_rx) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(larder_sync_server::server::admin_socket::serve(
            Arc::clone(&self.state),
            data_dir.to_owned(),
            async move {
                let _ = stop_rx.wait_for(|s| *s).await;
            },
        ));
        let sock = data_dir.join(larder_sync_server::server::admin_socket::ADMIN_SOCKET);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !sock.exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "the admin socket did not appear"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        AdminSocket {
            data_dir: data_dir.to_owned(),
            stop,
            task,
        }
    }
}

/// A test relay's admin socket (see [`TestServer::admin_socket`]).
pub struct AdminSocket {
    data_dir: PathBuf,
    stop: tokio::sync::watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

impl AdminSocket {
    /// Runs a `larder-server user …` / `token …` command through the socket, as the CLI does
    /// while the relay runs.
    pub async fn run(
        &self,
        command: larder_sync_server::admin_commands::AdminCommand,
    ) -> Result<
        larder_sync_server::admin_commands::CommandOutput,
        larder_sync_server::server::admin_socket::AdminError,
    > {
        larder_sync_server::server::admin_socket::run_command(&self.data_dir, &command).await
    }

    pub async fn stop(self) {
        self.stop.send_replace(true);
        self.task
            .await
            .expect("admin socket task")
            .expect("admin socket");
    }
}

pub async fn login_with(
    client: &reqwest::Client,
    url: &str,
    user: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(url)
        .json(&serde_json::json!({"username": user, "password": password}))
        .send()
        .await
        .expect("request")
}

/// Asserts a JSON error response and returns its body.
pub async fn expect_error(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status(), status, "status");
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "content type"
    );
    let body: Value = res.json().await.expect("json error body");
    assert_eq!(body["error"], code, "error code in {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message in {body}"
    );
    body
}

/// Runs the built `larder-server` with `args` (after `--data DIR --config CHEAP`), feeding
/// `stdin`.
pub fn cli(data: &Path, args: &[&str], stdin: &str) -> Output {
    let cfg = cheap_config_file(data);
    let mut child = Command::new(env!("CARGO_BIN_EXE_larder-server"))
        .arg("--data")
        .arg(data)
        .arg("--config")
        .arg(&cfg)
        .args(args)
        .env_remove("LARDER_DATA")
        .env_remove("LARDER_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn larder-server");
    if let Some(mut input) = child.stdin.take() {
        // The process may exit before reading (e.g. on an argument error).
        let _ = input.write_all(stdin.as_bytes());
    }
    child.wait_with_output().expect("wait")
}

/// The cheap-hash config, written beside (not inside) the data dir.
pub fn cheap_config_file(data: &Path) -> PathBuf {
    let path = data.with_extension("cheap.toml");
    if !path.exists() {
        std::fs::write(&path, CHEAP_TOML).expect("write config");
    }
    path
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
