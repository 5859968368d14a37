//! `larder-sync-bench`: the load generator run by `sync-bench/run.sh` against larder-server and
//! the reference JS automerge-repo server. Owns the command line and the order of workloads:
//!
//! ```text
//! larder-sync-bench run --kind larder|js --url http://127.0.0.1:PORT --pid PID --out FILE [--quick] [counts]
//! larder-sync-bench report LARDER.json JS.json      # side-by-side table with ratios and goals
//! larder-sync-bench users [--quick] [--writers K,…] # the larder users `run` signs in as
//! larder-sync-bench free-port                       # a free loopback port
//! larder-sync-bench wait-port 127.0.0.1:PORT [--timeout-secs S]
//! ```

mod idle;
mod latency;
mod peer;
mod raw;
mod reconnect;
mod report;
mod results;
mod stats;
mod target;
mod throughput;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use results::{Outcome, Params, Results};
use target::{Kind, Target};

#[derive(Debug, Parser)]
#[command(
    name = "larder-sync-bench",
    about = "Sync benchmark: larder-server vs the JS automerge-repo server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every workload against one server and write the results as JSON.
    Run {
        #[arg(long, value_enum)]
        kind: Kind,
        /// `http://127.0.0.1:PORT` (loopback only).
        #[arg(long)]
        url: String,
        /// The server's process id (its memory and CPU are read from /proc).
        #[arg(long)]
        pid: u32,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        counts: Counts,
    },
    /// Print the side-by-side table of two result files; exits 1 if a larder workload failed
    /// (a failure of the JS server is printed but does not fail the run).
    Report { larder: PathBuf, js: PathBuf },
    /// The larder user names `run` signs in as (one a line), for run.sh to create.
    Users {
        #[command(flatten)]
        counts: Counts,
    },
    /// Print a free TCP port on 127.0.0.1.
    FreePort,
    /// Wait until ADDR accepts TCP connections (polling, bounded by the timeout).
    WaitPort {
        addr: SocketAddr,
        /// Fail as soon as this process (the server being waited for) has exited.
        #[arg(long)]
        pid: Option<u32>,
        #[arg(long, default_value_t = 60)]
        timeout_secs: u64,
    },
}

/// Workload sizes: `--quick` picks the short CI mode; each count can be set on its own.
#[derive(Debug, Args)]
struct Counts {
    /// Short mode for CI.
    #[arg(long)]
    quick: bool,
    /// Workload 1: measured edits.
    #[arg(long)]
    edits: Option<usize>,
    /// Workload 2: users (each a writer and a reader device), one run per count: `20,200`.
    #[arg(long, value_delimiter = ',')]
    writers: Vec<usize>,
    /// Workload 2: documents per writer, each its own closed edit loop.
    #[arg(long)]
    docs_per_writer: Option<usize>,
    /// Workload 2: seconds of sustained editing.
    #[arg(long)]
    secs: Option<f64>,
    /// Workload 3: idle connections (on the fresh server).
    #[arg(long)]
    idle: Option<usize>,
    /// Workload 3 again after workloads 1 and 2, with their documents loaded (0: skip).
    #[arg(long)]
    idle_loaded: Option<usize>,
    /// Workload 4: documents of the reconnecting user, one run per count: `1000,10000`.
    #[arg(long, value_delimiter = ',')]
    docs: Vec<usize>,
    /// Run only these workloads (1 latency, 2 throughput, 3 idle, 4 reconnect).
    #[arg(long, value_delimiter = ',')]
    only: Vec<u8>,
}

impl Counts {
    fn params(&self) -> Params {
        let mut p = if self.quick {
            Params::quick()
        } else {
            Params::full()
        };
        if let Some(v) = self.edits {
            p.edits = v;
        }
        if !self.writers.is_empty() {
            p.writers = self.writers.clone();
        }
        if let Some(v) = self.docs_per_writer {
            p.docs_per_writer = v;
        }
        if let Some(v) = self.secs {
            p.secs = v;
        }
        if let Some(v) = self.idle {
            p.idle = v;
        }
        if let Some(v) = self.idle_loaded {
            p.idle_loaded = v;
        }
        if !self.docs.is_empty() {
            p.docs = self.docs.clone();
        }
        if !self.only.is_empty() {
            p.only = self.only.clone();
        }
        p
    }
}

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Run {
            kind,
            url,
            pid,
            out,
            counts,
        } => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let results = runtime.block_on(run_all(kind, &url, pid, counts.params()))?;
            let json = serde_json::to_string_pretty(&results)?;
            std::fs::write(&out, json).with_context(|| format!("writing {}", out.display()))?;
            // Samod's tasks may linger on the runtime; don't wait for them.
            runtime.shutdown_timeout(Duration::from_secs(5));
            Ok(0)
        }
        Command::Report { larder, js } => {
            let read = |p: &PathBuf| -> anyhow::Result<Results> {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?;
                serde_json::from_str(&text).with_context(|| format!("parsing {}", p.display()))
            };
            let (l, j) = (read(&larder)?, read(&js)?);
            print!("{}", report::render(&l, &j));
            Ok(if l.any_failed() { 1 } else { 0 })
        }
        Command::Users { counts } => {
            let p = counts.params();
            println!("{}", latency::USER);
            for i in 0..p.writers.iter().sum() {
                println!("{}", throughput::user(i));
            }
            println!("{}", idle::USER);
            for &docs in &p.docs {
                println!("{}", reconnect::user(docs));
            }
            Ok(0)
        }
        Command::FreePort => {
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            println!("{}", l.local_addr()?.port());
            Ok(0)
        }
        Command::WaitPort {
            addr,
            pid,
            timeout_secs,
        } => {
            if !addr.ip().is_loopback() {
                bail!("only loopback addresses");
            }
            let deadline = Instant::now() + Duration::from_secs(timeout_secs);
            loop {
                if let Some(pid) = pid
                    && !std::path::Path::new(&format!("/proc/{pid}")).exists()
                {
                    bail!("the server (pid {pid}) exited before listening on {addr}");
                }
                if std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
                    return Ok(0);
                }
                if Instant::now() >= deadline {
                    bail!("{addr} did not accept connections within {timeout_secs} s");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

async fn run_all(kind: Kind, url: &str, pid: u32, mut params: Params) -> anyhow::Result<Results> {
    let target = Arc::new(Target::new(kind, url, pid)?);
    stats::memory(pid).context("the server process")?;
    let mut notes = Vec::new();
    // Each idle connection is a file descriptor here (and one on the server).
    if let Some(limit) = results::open_files_limit()
        && params.idle + 512 > limit
    {
        let scaled = limit.saturating_sub(512);
        notes.push(format!(
            "open-files limit {limit}: idle connections scaled from {} to {scaled}",
            params.idle
        ));
        params.idle = scaled;
    }
    let name = kind.name();
    let mut results = Results::new(kind, url, params.clone(), notes);

    // Idle connections first, on the freshly started server: larder-server's cost per
    // connection grows with the documents it has loaded (see `idle_loaded` below).
    if params.runs(3) {
        eprintln!("[{name}] 3/4 idle connections: {}", params.idle);
        let limit = Duration::from_secs(60 + params.idle as u64 / 20);
        results.idle = outcome(
            limit + idle::RELEASE_LIMIT + Duration::from_secs(60),
            idle::run(&target, params.idle, limit),
        )
        .await;
    }
    if params.runs(1) {
        eprintln!(
            "[{name}] 1/4 edit-to-other-device latency: {} edits",
            params.edits
        );
        results.latency = outcome(
            Duration::from_secs(120 + params.edits as u64 / 5),
            latency::run(&target, params.edits, params.warmup),
        )
        .await;
    }
    if params.runs(2) {
        for (first, writers) in params.throughput_runs() {
            eprintln!(
                "[{name}] 2/4 sustained throughput: {writers} users x {} docs for {} s",
                params.docs_per_writer, params.secs
            );
            let run = throughput::run(
                &target,
                first..first + writers,
                params.docs_per_writer,
                params.secs,
            );
            let limit =
                Duration::from_secs(240 + writers as u64) + Duration::from_secs_f64(params.secs);
            results.throughput.push(outcome(limit, run).await);
        }
    }
    if params.runs(3) && params.idle_loaded > 0 {
        eprintln!(
            "[{name}] 3/4 (again) idle connections with documents loaded: {}",
            params.idle_loaded
        );
        let limit = Duration::from_secs(300);
        results.idle_loaded = outcome(
            limit + idle::RELEASE_LIMIT + Duration::from_secs(60),
            idle::run(&target, params.idle_loaded, limit),
        )
        .await;
    }
    if params.runs(4) {
        for &docs in &params.docs {
            eprintln!("[{name}] 4/4 reconnect with nothing changed: {docs} documents");
            let limit = Duration::from_secs(120 + docs as u64 / 10);
            results.reconnect.push(
                outcome(
                    limit + Duration::from_secs(60),
                    reconnect::run(&target, docs, limit),
                )
                .await,
            );
        }
    }
    Ok(results)
}

/// Runs one workload within `limit`, turning an error into a recorded failure.
async fn outcome<T>(limit: Duration, fut: impl Future<Output = anyhow::Result<T>>) -> Outcome<T> {
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(v)) => Outcome::Done(v),
        Ok(Err(e)) => {
            eprintln!("  failed: {e:#}");
            Outcome::Failed(format!("{e:#}"))
        }
        Err(_) => {
            eprintln!("  failed: timed out after {limit:?}");
            Outcome::Failed(format!("timed out after {limit:?}"))
        }
    }
}
