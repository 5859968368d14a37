//! What one `run` against one server produces (written as JSON, read back by `report`), and
//! the workload sizes of the normal and the quick mode.

use crate::idle::IdleResult;
use crate::latency::LatencyResult;
use crate::reconnect::ReconnectResult;
use crate::target::Kind;
use crate::throughput::ThroughputResult;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Params {
    pub quick: bool,
    pub edits: usize,
    pub warmup: usize,
    /// Workload 2 runs once per entry, with that many users (each a writer and a reader device;
    /// users are not shared between runs): a small relay and a busy one.
    pub writers: Vec<usize>,
    pub docs_per_writer: usize,
    pub secs: f64,
    pub idle: usize,
    pub idle_loaded: usize,
    /// Workload 4 runs once per entry, each with a user of its own holding that many documents
    /// (two sizes show whether the cost per document grows with the library).
    pub docs: Vec<usize>,
    /// Workloads to run (empty: all).
    #[serde(default)]
    pub only: Vec<u8>,
}

impl Params {
    pub fn runs(&self, workload: u8) -> bool {
        self.only.is_empty() || self.only.contains(&workload)
    }

    /// The users of workload 2's runs: run `k` signs in as users `first..first + writers[k]`.
    pub fn throughput_runs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.writers.iter().scan(0, |first, &writers| {
            let run = (*first, writers);
            *first += writers;
            Some(run)
        })
    }
}

impl Params {
    pub fn full() -> Params {
        Params {
            quick: false,
            edits: 1000,
            warmup: 50,
            writers: vec![20, 100],
            docs_per_writer: 5,
            secs: 20.0,
            idle: 10_000,
            idle_loaded: 500,
            docs: vec![1000, 10_000],
            only: Vec::new(),
        }
    }

    pub fn quick() -> Params {
        Params {
            quick: true,
            edits: 100,
            warmup: 10,
            writers: vec![5, 20],
            docs_per_writer: 4,
            secs: 3.0,
            idle: 1000,
            idle_loaded: 100,
            docs: vec![200, 1000],
            only: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome<T> {
    Done(T),
    Failed(String),
    NotRun,
}

impl<T> Outcome<T> {
    pub fn done(&self) -> Option<&T> {
        match self {
            Outcome::Done(v) => Some(v),
            _ => None,
        }
    }

    pub fn failure(&self) -> Option<&str> {
        match self {
            Outcome::Failed(e) => Some(e),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Results {
    pub kind: Kind,
    pub url: String,
    pub params: Params,
    pub notes: Vec<String>,
    pub latency: Outcome<LatencyResult>,
    /// Workload 2, one outcome per entry of [`Params::writers`] (empty: not run).
    pub throughput: Vec<Outcome<ThroughputResult>>,
    pub idle: Outcome<IdleResult>,
    /// Workload 3 again, after workloads 1 and 2 (their documents loaded in the server).
    pub idle_loaded: Outcome<IdleResult>,
    /// Workload 4, one outcome per entry of [`Params::docs`].
    pub reconnect: Vec<Outcome<ReconnectResult>>,
}

impl Results {
    pub fn new(kind: Kind, url: &str, params: Params, notes: Vec<String>) -> Results {
        Results {
            kind,
            url: url.to_owned(),
            params,
            notes,
            latency: Outcome::NotRun,
            throughput: Vec::new(),
            idle: Outcome::NotRun,
            idle_loaded: Outcome::NotRun,
            reconnect: Vec::new(),
        }
    }

    /// Whether any workload failed (or a connection of the idle set failed or dropped).
    pub fn any_failed(&self) -> bool {
        self.latency.failure().is_some()
            || self.throughput.iter().any(|t| t.failure().is_some())
            || self.idle.failure().is_some()
            || self.idle_loaded.failure().is_some()
            || self.reconnect.iter().any(|r| r.failure().is_some())
            || self
                .idle
                .done()
                .is_some_and(|i| i.failed > 0 || i.dropped > 0)
            || self
                .idle_loaded
                .done()
                .is_some_and(|i| i.failed > 0 || i.dropped > 0)
    }
}

/// The soft limit on open files of this process (/proc/self/limits).
pub fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}
