//! `larder-server backup FILE`, `backup --verify FILE` and `restore FILE`: progress on stderr,
//! a summary on stdout. A backup is written to `FILE.partial` and renamed once it is complete
//! and checked, so FILE is never a half-written backup.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use larder_sync_server::backup::{self, Manifest, Progress};
use larder_sync_server::clock::{Clock, SystemClock};
use larder_sync_server::config::Config;
use larder_sync_server::data_dir::{DataDir, DataDirError};
use larder_sync_server::server::admin_socket as admin;
use larder_sync_server::store::SledStore;

/// Prints progress to stderr at most every half second (and always the last state).
struct Reporter {
    last: Option<Instant>,
    tty: bool,
}

impl Reporter {
    fn new() -> Self {
        Reporter {
            last: None,
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn say(&mut self, line: &str, force: bool) {
        let due = self
            .last
            .is_none_or(|t| t.elapsed() >= Duration::from_millis(500));
        if !(due || force) {
            return;
        }
        self.last = Some(Instant::now());
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{line}");
            if force {
                let _ = writeln!(err);
            }
        } else {
            let _ = writeln!(err, "{line}");
        }
    }

    fn progress(&mut self, p: &Progress) {
        match p {
            Progress::Snapshot { records } => {
                self.say(&format!("store snapshot: {records} records"), true)
            }
            Progress::Blob { done, total } => {
                self.say(&format!("blobs: {done}/{total}"), done == total)
            }
        }
    }
}

fn summary(m: &Manifest) -> String {
    let collections: Vec<String> = m
        .collections
        .iter()
        .map(|(name, n)| format!("{name}={n}"))
        .collect();
    format!(
        "{} records ({}), {} blobs ({} bytes), checksum {}",
        m.records,
        collections.join(" "),
        m.blobs,
        m.blob_bytes,
        m.content_sha256
    )
}

fn partial_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

pub fn backup(config: &Config, file: &Path) -> anyhow::Result<()> {
    let partial = partial_path(file);
    let result = write_partial(config, &partial).and_then(|()| {
        eprintln!("checking {}", partial.display());
        let manifest = backup::verify_file(&partial).with_context(|| {
            format!("the backup just written ({}) is damaged", partial.display())
        })?;
        std::fs::rename(&partial, file)
            .with_context(|| format!("cannot move the backup to {}", file.display()))?;
        Ok(manifest)
    });
    match result {
        Ok(m) => {
            println!("backup written to {}: {}", file.display(), summary(&m));
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn create_private(path: &Path) -> anyhow::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))
}

/// From the store directly when the relay is stopped, else through its admin socket.
fn write_partial(config: &Config, partial: &Path) -> anyhow::Result<()> {
    let mut reporter = Reporter::new();
    match DataDir::open(&config.data_dir, false) {
        Ok(dir) => {
            eprintln!(
                "the relay is not running: reading {} directly",
                dir.path().display()
            );
            let store = SledStore::open(&dir.db_path())
                .with_context(|| format!("cannot open the database in {}", dir.path().display()))?;
            let out = std::io::BufWriter::new(create_private(partial)?);
            let mut file = out;
            backup::write_backup(
                &store,
                dir.path(),
                dir.path(),
                &mut file,
                SystemClock.now_ms(),
                &mut |p| reporter.progress(&p),
            )?;
            file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            Ok(())
        }
        Err(DataDirError::Locked(path)) => {
            eprintln!(
                "the relay is running: asking it for a backup through {}/{}",
                path.display(),
                admin::ADMIN_SOCKET
            );
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            runtime.block_on(async {
                let mut out = tokio::fs::File::from_std(create_private(partial)?);
                let total = admin::fetch_backup(&path, &mut out, &mut |n| {
                    reporter.say(&format!("received {:.1} MiB", n as f64 / 1048576.0), false)
                })
                .await?;
                out.sync_all().await?;
                reporter.say(&format!("received {total} bytes"), true);
                Ok(())
            })
        }
        Err(e) => Err(e.into()),
    }
}

pub fn verify(file: &Path) -> anyhow::Result<()> {
    let m = backup::verify_file(file)
        .with_context(|| format!("{} is not a sound backup", file.display()))?;
    println!("{} is a sound backup: {}", file.display(), summary(&m));
    Ok(())
}

pub fn restore(file: &Path, data: &Path) -> anyhow::Result<()> {
    let mut reporter = Reporter::new();
    eprintln!("checking {}", file.display());
    let m = backup::restore(file, data, &mut |p| reporter.progress(&p))
        .with_context(|| format!("cannot restore {} into {}", file.display(), data.display()))?;
    println!("restored into {}: {}", data.display(), summary(&m));
    Ok(())
}
