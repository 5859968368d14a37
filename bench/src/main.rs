//! larder-bench: Larder's benchmark binary (not a timed test). It generates seeded recipe
//! collections, times search for each query shape against a naive comparator, the bulk import
//! rate through the real API against one-recipe-per-call creates (with a breakdown of what
//! building an Automerge document costs), and how long a fresh process takes to open a profile
//! and return its first result, and a recipe's history after 1,000 edits (the version list and
//! one version's view). It prints a table and one machine-readable `BENCH` line.
//!
//! Usage: `cargo run --release -p larder-bench [-- --recipes 10000,100000 --queries 300]`;
//! `--quick` is the CI smoke run. The hidden `open-first-result` subcommand is the child process
//! the fresh-open figure is measured on.

mod corpus;
mod history;
mod import;
mod paprika;
mod queries;
mod stats;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use corpus::{Corpus, words_of};
use stats::{ms, summarize};

/// Per-query goal at every size, for every shape.
const QUERY_P99_GOAL_MS: f64 = 10.0;
/// Fresh process, open a 10k profile, first result.
const OPEN_GOAL_MS: f64 = 100.0;
/// Bulk import through the API.
const IMPORT_GOAL_PER_S: f64 = 1_000.0;
/// A Paprika export without photos, through `import_file`.
const PAPRIKA_GOAL_PER_S: f64 = 1_000.0;
/// A recipe's version list, and one version's view, after `--history-edits` edits.
const HISTORY_LIST_GOAL_MS: f64 = 50.0;
const HISTORY_VIEW_GOAL_MS: f64 = 20.0;

#[derive(Parser, Debug)]
#[command(
    name = "larder-bench",
    about = "Larder's search, import and open benchmark"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// Collection sizes for the query benchmark.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    recipes: Vec<usize>,
    /// Timed queries per shape and size.
    #[arg(long, default_value_t = 300)]
    queries: usize,
    /// Comparator queries per shape and size (the naive join is slow at 100k).
    #[arg(long, default_value_t = 40)]
    naive_queries: usize,
    /// Recipes imported through the API (the profile the fresh-open benchmark opens is twice
    /// this: a second import of the same size follows in the same session).
    #[arg(long, default_value_t = 5_000)]
    import: usize,
    /// Recipes created one `create_recipe` call at a time (the import comparator).
    #[arg(long, default_value_t = 1_000)]
    one_by_one: usize,
    /// Recipes in the generated Paprika export (imported without photos, then with).
    #[arg(long, default_value_t = 5_000)]
    paprika: usize,
    /// Bytes of each recipe's photo in the Paprika export with photos.
    #[arg(long, default_value_t = 60_000)]
    photo_bytes: usize,
    /// Edits of the recipe whose history is measured.
    #[arg(long, default_value_t = 1_000)]
    history_edits: usize,
    /// Timed history list calls (and version views).
    #[arg(long, default_value_t = 30)]
    history_reps: usize,
    /// Fresh processes started per open measurement.
    #[arg(long, default_value_t = 10)]
    opens: usize,
    /// Seed of the generated corpus.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// CI smoke run: 2,000 recipes, few queries, a small import.
    #[arg(long)]
    quick: bool,
    /// Only the history section (its goals still count).
    #[arg(long)]
    only_history: bool,
    /// Only the Paprika import section (its goals still count).
    #[arg(long, conflicts_with = "only_history")]
    only_paprika: bool,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Opens the profile in DATA, runs one search and prints the time since this process
    /// started (used by the benchmark to time a fresh process).
    #[command(hide = true)]
    OpenFirstResult {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value = "")]
        query: String,
    },
}

fn main() -> Result<()> {
    let started = Instant::now();
    let mut cli = Cli::parse();
    if let Some(Cmd::OpenFirstResult { data, query }) = &cli.command {
        return open_first_result(started, data, query);
    }
    if cli.quick {
        cli.recipes = vec![2_000];
        cli.queries = 60;
        cli.naive_queries = 15;
        cli.import = 750;
        cli.one_by_one = 200;
        cli.opens = 5;
        cli.paprika = 300;
        cli.photo_bytes = 20_000;
        cli.history_reps = 10;
    }
    run(&cli)
}

/// The child process: open, search once, report.
fn open_first_result(started: Instant, data: &Path, query: &str) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let runtime_ready = started.elapsed();
    let (hits, title, opened) = runtime.block_on(async {
        let larder = larder_core::profile::open(data).await?;
        let opened = started.elapsed();
        let hits = larder.search(query, queries::PAGE, 0)?;
        anyhow::Ok((hits.len(), hits.first().map(|h| h.title.clone()), opened))
    })?;
    let elapsed = started.elapsed();
    println!(
        "first-result us={} runtime_us={} open_us={} hits={hits} first={:?}",
        elapsed.as_micros(),
        runtime_ready.as_micros(),
        (opened - runtime_ready).as_micros(),
        title.unwrap_or_default()
    );
    // Nothing was written; leave without tearing the runtime down.
    std::process::exit(0);
}

struct Report {
    text: String,
    machine: Vec<(String, String)>,
    misses: Vec<String>,
}

impl Report {
    fn line(&mut self, s: impl AsRef<str>) {
        println!("{}", s.as_ref());
        self.text.push_str(s.as_ref());
        self.text.push('\n');
    }

    fn key(&mut self, k: impl Into<String>, v: impl ToString) {
        self.machine.push((k.into(), v.to_string()));
    }
}

fn run(cli: &Cli) -> Result<()> {
    let mut r = Report {
        text: String::new(),
        machine: Vec::new(),
        misses: Vec::new(),
    };
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    r.line(format!(
        "larder-bench ({profile} build) on {} cores, {}, {} RAM",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        mem_total()
    ));
    if cfg!(debug_assertions) {
        r.line("note: a debug build; figures are only meaningful from `cargo run --release`");
    }
    r.key("build", profile);

    let corpus = Corpus::new();
    let largest = if cli.only_history {
        1
    } else if cli.only_paprika {
        cli.paprika
    } else {
        cli.recipes
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
            .max(cli.import * 2)
            .max(cli.paprika)
    };
    let started = Instant::now();
    let drafts = corpus.drafts(cli.seed, largest);
    let used: BTreeSet<String> = drafts
        .iter()
        .flat_map(|d| d.ingredients.iter().flat_map(|i| words_of(&i.name)))
        .collect();
    let lines: usize = drafts.iter().map(|d| d.ingredients.len()).sum();
    r.line(format!(
        "corpus: seed {}, {} recipes generated in {:.1} s; ingredient vocabulary {} distinct words \
         ({} occur in the corpus), {:.1} ingredient lines per recipe",
        cli.seed,
        drafts.len(),
        started.elapsed().as_secs_f64(),
        corpus.ingredient_vocabulary().len(),
        used.len(),
        lines as f64 / drafts.len().max(1) as f64
    ));
    r.key("vocabulary_words", used.len());

    let work = tempfile::tempdir().context("temp dir")?;
    if cli.only_paprika {
        paprika::section(&mut r, cli, &drafts, work.path())?;
    } else {
        if !cli.only_history {
            for &size in cli.recipes.iter().filter(|&&n| n > 0) {
                query_section(&mut r, cli, &drafts[..size], work.path(), size)?;
            }
            let (profile_dir, left_dirty) = import_section(&mut r, cli, &drafts, work.path())?;
            open_section(&mut r, cli, &profile_dir, left_dirty)?;
            paprika::section(&mut r, cli, &drafts, work.path())?;
        }
        history::section(&mut r, cli, &drafts[0], work.path())?;
    }

    let mut line = String::from("BENCH");
    for (k, v) in &r.machine {
        let _ = write!(line, " {k}={v}");
    }
    let _ = write!(
        line,
        " goals={}",
        if r.misses.is_empty() { "met" } else { "missed" }
    );
    r.line("");
    if r.misses.is_empty() {
        r.line("every goal met");
    } else {
        r.line(format!("goals missed: {}", r.misses.join("; ")));
    }
    r.line(line);
    Ok(())
}

fn query_section(
    r: &mut Report,
    cli: &Cli,
    drafts: &[larder_core::model::RecipeDraft],
    work: &Path,
    size: usize,
) -> Result<()> {
    let path = work.join(format!("query-{size}.db"));
    let (store, took) = queries::populate(&path, drafts)?;
    let bytes = file_size(&path) + file_size(&path.with_extension("db-wal"));
    r.line("");
    r.line(format!(
        "== search, {size} recipes == (view rows written straight with Store::write_recipe_views, \
         5,000 per transaction, in {:.1} s; database {:.0} MB; queries read only the view)",
        took.as_secs_f64(),
        bytes as f64 / 1e6
    ));
    r.line(format!(
        "page of {} results; {} queries per shape (each run once before timing); comparator: the \
         naive bm25-ranked FTS5 join over every match, or a full sort for the blank list, on {} \
         of the same queries",
        queries::PAGE,
        cli.queries,
        cli.naive_queries.min(cli.queries)
    ));
    let naive = queries::Naive::open(&path)?;
    let results = queries::run(
        &store,
        &naive,
        drafts,
        cli.queries,
        cli.naive_queries.min(cli.queries),
        cli.seed,
    )?;
    r.line(format!(
        "{:<24} {:>9} {:>9} {:>9} | {:>11} {:>11} {:>8} | {:>6}  {}",
        "shape", "median", "p99", "max", "naive med", "naive p99", "p99 ×", "hits", "example"
    ));
    for res in &results {
        let ratio = ms(res.naive.p99) / ms(res.ours.p99).max(1e-6);
        let goal = ms(res.ours.p99) <= QUERY_P99_GOAL_MS;
        r.line(format!(
            "{:<24} {:>6.3} ms {:>6.3} ms {:>6.3} ms | {:>8.2} ms {:>8.2} ms {:>7.0}× | {:>6.1}  {:?}{}",
            res.shape.label(),
            ms(res.ours.median),
            ms(res.ours.p99),
            ms(res.ours.max),
            ms(res.naive.median),
            ms(res.naive.p99),
            ratio,
            res.mean_hits,
            res.example,
            if goal { "" } else { "  ← over the 10 ms goal" }
        ));
        r.key(
            format!("q{size}_{}_p99_ms", res.shape.key()),
            format!("{:.3}", ms(res.ours.p99)),
        );
        r.key(
            format!("q{size}_{}_naive_p99_ms", res.shape.key()),
            format!("{:.2}", ms(res.naive.p99)),
        );
        if !goal {
            r.misses.push(format!(
                "{} p99 {:.2} ms at {size}",
                res.shape.label(),
                ms(res.ours.p99)
            ));
        }
    }
    drop(store);
    drop(naive);
    std::fs::remove_file(&path).ok();
    Ok(())
}

fn import_section(
    r: &mut Report,
    cli: &Cli,
    drafts: &[larder_core::model::RecipeDraft],
    work: &Path,
) -> Result<(PathBuf, i64)> {
    r.line("");
    r.line(format!(
        "== import through the API == (profile::open on a temp dir: samod over SQLite on disk; \
         Larder::create_recipes, {} drafts per call)",
        import::BATCH
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let dir = work.join("profile");
    let n = cli.import;
    let runs = runtime.block_on(import::import_batched(
        &dir,
        &[&drafts[..n], &drafts[n..2 * n]],
    ))?;
    let (first, second) = (&runs[0], &runs[1]);
    let one_dir = work.join("one-by-one");
    let m = cli.one_by_one.min(n);
    let one = runtime.block_on(import::import_one_by_one(&one_dir, &drafts[..m]))?;
    drop(runtime);
    std::fs::remove_dir_all(&one_dir).ok();
    // Documents still marked for repair after close: the next open re-reads each of them.
    let left_dirty: i64 = rusqlite::Connection::open_with_flags(
        larder_core::profile::database_path(&dir),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?
    .query_row("SELECT count(*) FROM dirty_docs", [], |row| row.get(0))?;
    let breakdown = import::automerge_breakdown(&drafts[..n.min(2_000)])?;

    r.line(format!(
        "batched, first {n} into an empty profile:     {:>7.0} recipes/s ({:.2} ms each)",
        first.rate(),
        1e3 / first.rate()
    ));
    r.line(format!(
        "batched, next {n} in the same session:        {:>7.0} recipes/s (into a profile that \
         already holds the first {n})",
        second.rate()
    ));
    r.line(format!(
        "close after the {} (settle: every document re-read to check its view): {:.2} s; \
         {:.0} recipes/s counting it",
        2 * n,
        second.close.as_secs_f64(),
        (2 * n) as f64 / (first.create + second.create + second.close).as_secs_f64()
    ));
    r.line(format!(
        "documents still marked for repair after close (the next open re-reads each): {left_dirty}"
    ));
    r.key("dirty_after_close", left_dirty);
    r.line(format!(
        "comparator, one create_recipe call per recipe ({m}): {:>7.0} recipes/s → batched is {:.1}× faster",
        one.rate(),
        first.rate() / one.rate()
    ));
    r.line(format!(
        "automerge, per document ({} documents, {:.0} ops and a {:.0}-byte change each; \
         building is {:.0}% of a batched import's time per recipe):",
        breakdown.docs,
        breakdown.ops,
        breakdown.change_bytes,
        100.0 * breakdown.total_create_us() / (1e6 / first.rate())
    ));
    for (stage, us) in &breakdown.stages {
        r.line(format!("    {stage:<58} {us:>8.1} µs"));
    }
    r.line(format!(
        "    {:<58} {:>8.1} µs",
        "= Automerge work per created recipe (+ lines)",
        breakdown.total_create_us()
    ));
    r.key("import_per_s", format!("{:.0}", first.rate()));
    r.key("import_second_per_s", format!("{:.0}", second.rate()));
    r.key("import_one_by_one_per_s", format!("{:.0}", one.rate()));
    r.key(
        "automerge_doc_us",
        format!("{:.0}", breakdown.total_create_us()),
    );
    if first.rate() < IMPORT_GOAL_PER_S {
        r.misses.push(format!("import {:.0}/s", first.rate()));
    }
    Ok((dir, left_dirty))
}

/// One fresh process: spawn → first result line, as the parent sees it, and the child's line.
fn spawn_child(exe: &Path, profile: &Path, query: &str) -> Result<(Duration, Duration, String)> {
    let started = Instant::now();
    let mut child = Command::new(exe)
        .args(["open-first-result", "--data"])
        .arg(profile)
        .args(["--query", query])
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the child")?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("child stdout")?).read_line(&mut line)?;
    let spawn = started.elapsed();
    let status = child.wait()?;
    if !status.success() || !line.starts_with("first-result") {
        bail!("the child failed ({status}): {line}");
    }
    let us: u64 = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("us="))
        .context("child figure")?
        .parse()?;
    Ok((spawn, Duration::from_micros(us), line.trim().to_string()))
}

fn open_section(r: &mut Report, cli: &Cli, profile: &Path, left_dirty: i64) -> Result<()> {
    let exe = std::env::current_exe()?;
    r.line("");
    r.line(format!(
        "== fresh process: open the {}-recipe profile and return the first result == (page cache \
         warm; spawn-to-first-result measured by the parent; in-process figure from the child's \
         main; then {} runs per query)",
        cli.import * 2,
        cli.opens
    ));
    let (spawn, inside, line) = spawn_child(&exe, profile, "")?;
    r.line(format!(
        "first open after the import (repairs the {left_dirty} marked documents): {:.1} ms \
         (in-process {:.1} ms) | {line}",
        ms(spawn),
        ms(inside)
    ));
    r.key("open_after_import_ms", format!("{:.1}", ms(spawn)));
    if ms(spawn) > OPEN_GOAL_MS {
        r.misses.push(format!(
            "first open after the import {:.1} ms ({left_dirty} documents left marked by close)",
            ms(spawn)
        ));
    }
    for (label, query) in [("blank list", ""), ("one word", "garlic")] {
        let mut spawn = Vec::new();
        let mut inside = Vec::new();
        let mut slowest = (Duration::ZERO, String::new());
        for _ in 0..cli.opens {
            let (s, i, line) = spawn_child(&exe, profile, query)?;
            if s > slowest.0 {
                slowest = (s, line);
            }
            spawn.push(s);
            inside.push(i);
        }
        let spawn = summarize(&mut spawn);
        let inside = summarize(&mut inside);
        r.line(format!(
            "{label:<11} spawn→first result median {:>6.1} ms, max {:>6.1} ms | in-process median \
             {:>6.1} ms, max {:>6.1} ms | slowest: {}",
            ms(spawn.median),
            ms(spawn.max),
            ms(inside.median),
            ms(inside.max),
            slowest.1
        ));
        let key = if query.is_empty() { "blank" } else { "word" };
        r.key(format!("open_{key}_ms"), format!("{:.1}", ms(spawn.max)));
        if ms(spawn.max) > OPEN_GOAL_MS {
            r.misses
                .push(format!("fresh open ({label}) {:.1} ms", ms(spawn.max)));
        }
    }
    Ok(())
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

fn mem_total() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map(|kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0))
        })
        .unwrap_or_else(|| "unknown".to_string())
}
