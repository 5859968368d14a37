//! The built `larder-server` as a child process on a data directory, so a test can SIGKILL
//! it mid-stream and start it again on the same directory (as tests/crash.rs does).
//!
//! [`SPAWN_LOCK`]: while a child is being forked it holds copies of this process's open files
//! until it execs, among them the data-directory lock of any relay running in this process;
//! a test that restarts an in-process relay (stop, then start on the same directory) holds the
//! lock for reading meanwhile, so it never meets a copy of its old lock in a half-born child.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::cheap_config_file;

/// A running `larder-server serve` on 127.0.0.1 (a free port).
pub struct RelayProcess {
    child: Child,
    /// `http://127.0.0.1:port`
    pub base: String,
}

/// Held for writing while a child process is spawned (see the module docs).
pub static SPAWN_LOCK: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

impl RelayProcess {
    /// [`Self::spawn`] on the blocking pool (it waits for the child to start listening).
    pub async fn start(data: &Path) -> RelayProcess {
        let data = data.to_owned();
        tokio::task::spawn_blocking(move || Self::spawn(&data))
            .await
            .expect("spawning the relay")
    }

    /// [`Self::spawn_with_config`] on the blocking pool.
    pub async fn start_with_config(data: &Path, config: &Path) -> RelayProcess {
        let (data, config) = (data.to_owned(), config.to_owned());
        tokio::task::spawn_blocking(move || Self::spawn_with_config(&data, &config))
            .await
            .expect("spawning the relay")
    }

    /// Starts the relay on `data` (cheap password hashing) and waits until it reports its
    /// address.
    pub fn spawn(data: &Path) -> RelayProcess {
        Self::spawn_with_config(data, &cheap_config_file(data))
    }

    /// Starts the relay on `data` with the configuration file `config` (nothing from the
    /// environment) and waits until it reports its address.
    pub fn spawn_with_config(data: &Path, config: &Path) -> RelayProcess {
        let forking = SPAWN_LOCK.blocking_write();
        let mut child = Command::new(env!("CARGO_BIN_EXE_larder-server"))
            .arg("--data")
            .arg(data)
            .arg("--config")
            .arg(config)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("LARDER_LOG", "info")
            .env_remove("LARDER_BIND")
            .env_remove("LARDER_DATA")
            .env_remove("LARDER_CONFIG")
            .env_remove("LARDER_WEBHOOK_URL")
            .env_remove("LARDER_WEBHOOK_SECRET")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn larder-server");
        drop(forking);
        let mut logs = BufReader::new(child.stderr.take().unwrap()).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr = loop {
            assert!(
                Instant::now() < deadline,
                "the relay did not report its address"
            );
            let line = logs
                .next()
                .expect("the relay exited before listening")
                .expect("relay log");
            if let Some(rest) = line
                .split("addr=")
                .nth(1)
                .filter(|_| line.contains("listening"))
            {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        // Keep the pipe drained.
        std::thread::spawn(move || for _ in logs {});
        RelayProcess {
            child,
            base: format!("http://{addr}"),
        }
    }

    /// SIGKILL, and wait until the process is gone.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("wait");
    }

    /// The process id (to signal it otherwise).
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
