//! Shared by the end-to-end tests: a real relay (larder-sync-server in-process, on
//! 127.0.0.1) and the `larder` binary run as a process against a profile directory.
#![allow(dead_code)] // each test file uses its own part

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use larder_sync_server::accounts::admin;
use larder_sync_server::clock::{Clock, SystemClock};
use larder_sync_server::config::{Config, HashParams};
use larder_sync_server::data_dir::DataDir;
use larder_sync_server::store::RelayStore;
use larder_sync_server::{AppState, SledStore, serve_on};
use serde_json::Value;
use tokio::sync::oneshot;

pub struct Relay {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), larder_sync_server::ServerError>>>,
    dir: Option<DataDir>,
}

impl Relay {
    pub async fn start(data: &Path, port: u16) -> Relay {
        Self::start_with(data, port, |_| {}).await
    }

    /// Starts a relay with a changed configuration.
    pub async fn start_with(data: &Path, port: u16, change: impl FnOnce(&mut Config)) -> Relay {
        let mut config = Config {
            data_dir: data.to_owned(),
            password_hash: HashParams {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            ..Config::default()
        };
        change(&mut config);
        let dir = open_data_dir(&config.data_dir).await;
        let store: Arc<dyn RelayStore> = Arc::new(SledStore::open(&dir.db_path()).expect("store"));
        let state = AppState::with_clock(config, store, Arc::new(SystemClock)).expect("state");
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_on(listener, state.clone(), async move {
            let _ = rx.await;
        }));
        Relay {
            addr,
            state,
            stop: Some(tx),
            task: Some(task),
            dir: Some(dir),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn add_user(&self, name: &str, password: &str) {
        admin::add_user(
            &*self.state.store,
            &self.state.passwords,
            name,
            password,
            SystemClock.now_ms(),
        )
        .expect("add user");
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("join").expect("relay");
        }
        let Relay { state, dir, .. } = self;
        drop(state);
        drop(dir);
    }
}

/// Opens a relay's data directory, waiting (bounded) while a relay this test just stopped on it
/// still holds its lock (its last tasks let go a moment after `stop` returns).
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

pub async fn larder(data: &Path, args: &[&str], password: Option<&str>) -> std::process::Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_larder"));
    cmd.arg("--data")
        .arg(data)
        .args(args)
        .env_remove("LARDER_DATA");
    match password {
        Some(p) => cmd.env("LARDER_PASSWORD", p),
        None => cmd.env_remove("LARDER_PASSWORD"),
    };
    cmd.output().await.expect("run larder")
}

pub async fn ok(data: &Path, args: &[&str]) -> String {
    let out = larder(data, args, None).await;
    assert!(
        out.status.success(),
        "larder {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

pub async fn json(data: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(data, args).await).expect("json")
}

pub async fn login(data: &Path, relay: &Relay, user: &str, password: &str) {
    let out = larder(
        data,
        &["login", "--server", &relay.url(), "--user", user],
        Some(password),
    )
    .await;
    assert!(
        out.status.success(),
        "login failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
