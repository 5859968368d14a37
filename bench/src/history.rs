//! The history benchmark: one recipe edited N times through `update_recipe` (samod over SQLite
//! on disk, a manual clock moving 5 minutes per edit so every edit is a version of its own: the
//! longest list N edits can make), then the version list (`Larder::recipe_history`) and the view
//! of single versions (`Larder::recipe_version`). Comparators in the same process, on a copy of
//! the same document: the list the naive way (fork the document at each version and at its
//! parent, hydrate both, compare: measured on a sample of versions and scaled to all of them),
//! and a version view by `fork_at` + hydrate.

use std::path::Path;

use crate::stats::ms;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use automerge::{Automerge, ChangeHash};
use larder_core::clock::ManualClock;
use larder_core::docstore::DocumentStore;
use larder_core::model::{RecipeDoc, RecipeDraft};
use larder_core::profile;

use crate::stats::{Summary, summarize};

pub struct HistoryRun {
    pub edits: usize,
    pub versions: usize,
    pub changes: usize,
    pub edit_time: Duration,
    pub list: Summary,
    pub view: Summary,
    /// The naive list, per version (sampled).
    pub naive_list_per_version: Duration,
    pub naive_view: Summary,
    /// The same edits 10 s apart (one burst): how many versions the grouping leaves.
    pub burst_versions: usize,
    /// Where the list's time goes: automerge handing out every change, and decoding their ops.
    pub get_changes: Duration,
    pub decode: Duration,
}

/// The draft of edit `i`: each edit changes one thing, in turn the title, a step, an
/// ingredient's quantity and the notes.
fn edit(draft: &mut RecipeDraft, i: usize) {
    match i % 4 {
        0 => draft.title = format!("Weeknight stew, take {i}"),
        1 => {
            let n = draft.steps.len().max(1);
            draft.steps[i % n] = format!("Simmer for {} minutes, stirring", 10 + i % 50);
        }
        2 => {
            if let Some(row) = draft.ingredients.first_mut() {
                row.quantity = Some(1.0 + (i % 9) as f64);
            }
        }
        _ => draft.notes = format!("{}\nNote {i}", draft.notes),
    }
}

async fn edited_recipe(
    dir: &Path,
    base: &RecipeDraft,
    edits: usize,
    step_ms: i64,
) -> Result<(
    larder_core::Larder<larder_core::docstore::SamodStore>,
    String,
    Duration,
)> {
    let clock = ManualClock::new(1_760_000_000_000);
    let larder = profile::open_with_clock(dir, Arc::new(clock.clone())).await?;
    let recipe = larder.create_recipe(base).await?;
    let mut draft = recipe.to_draft();
    let started = Instant::now();
    for i in 0..edits {
        clock.advance(step_ms);
        edit(&mut draft, i);
        draft = larder.update_recipe(&recipe.id, &draft).await?.to_draft();
    }
    Ok((larder, recipe.id, started.elapsed()))
}

pub async fn run(
    work: &Path,
    base: &RecipeDraft,
    edits: usize,
    reps: usize,
    sample: usize,
) -> Result<HistoryRun> {
    let (larder, id, edit_time) =
        edited_recipe(&work.join("history"), base, edits, 5 * 60_000).await?;

    let mut list_times = Vec::with_capacity(reps);
    let mut versions = Vec::new();
    for _ in 0..=reps {
        let started = Instant::now();
        versions = larder.recipe_history(&id).await?;
        list_times.push(started.elapsed());
    }
    // The first call warmed caches; it is not counted.
    list_times.remove(0);
    ensure!(
        versions.len() == edits + 1,
        "{} versions for {edits} edits 5 minutes apart",
        versions.len()
    );

    let picks: Vec<&str> = (0..reps.max(1))
        .map(|i| versions[(i * 37) % versions.len()].version.as_str())
        .collect();
    let mut view_times = Vec::with_capacity(picks.len());
    for version in &picks {
        let started = Instant::now();
        let recipe = larder.recipe_version(&id, version).await?;
        view_times.push(started.elapsed());
        ensure!(!recipe.title.is_empty(), "a version with a title");
    }

    let doc: Automerge = larder
        .documents()
        .with_doc(&id, |am| am.clone())
        .await?
        .context("the edited document")?;
    let started = Instant::now();
    let all = doc.get_changes(&[]);
    let get_changes = started.elapsed();
    let started = Instant::now();
    let ops: usize = all.iter().map(|c| c.decode().operations.len()).sum();
    let decode = started.elapsed();
    std::hint::black_box(ops);
    let changes = all.len();
    // Naive list: per version, hydrate it and its parent from forks and compare.
    let hashes: Vec<ChangeHash> = doc.get_changes(&[]).iter().map(|c| c.hash()).collect();
    let sampled = sample.min(hashes.len().saturating_sub(1)).max(1);
    let started = Instant::now();
    for pair in hashes.windows(2).take(sampled) {
        let before: RecipeDoc = autosurgeon::hydrate(&doc.fork_at(&pair[..1])?)?;
        let after: RecipeDoc = autosurgeon::hydrate(&doc.fork_at(&pair[1..])?)?;
        std::hint::black_box(before == after);
    }
    let naive_list_per_version = started.elapsed() / sampled as u32;
    let mut naive_view_times = Vec::new();
    for version in picks.iter().take(sample.max(1)) {
        let heads: Vec<ChangeHash> = version
            .split(',')
            .map(|h| h.parse())
            .collect::<std::result::Result<_, _>>()?;
        let started = Instant::now();
        let old: RecipeDoc = autosurgeon::hydrate(&doc.fork_at(&heads)?)?;
        naive_view_times.push(started.elapsed());
        std::hint::black_box(old);
    }
    larder.documents().stop().await;
    drop(larder);

    let (burst, burst_id, _) =
        edited_recipe(&work.join("history-burst"), base, edits, 10_000).await?;
    let burst_versions = burst.recipe_history(&burst_id).await?.len();
    burst.documents().stop().await;

    Ok(HistoryRun {
        edits,
        versions: versions.len(),
        changes,
        edit_time,
        list: summarize(&mut list_times),
        view: summarize(&mut view_times),
        naive_list_per_version,
        naive_view: summarize(&mut naive_view_times),
        burst_versions,
        get_changes,
        decode,
    })
}

pub(crate) fn section(
    r: &mut crate::Report,
    cli: &crate::Cli,
    base: &larder_core::model::RecipeDraft,
    work: &Path,
) -> Result<()> {
    let n = cli.history_edits;
    r.line("");
    r.line(format!(
        "== history of a recipe edited {n} times == (profile::open on a temp dir; update_recipe \
         with the clock 5 minutes on per edit, so each edit is a version; {} timed calls each)",
        cli.history_reps
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let sample = if cli.quick { 20 } else { 50 };
    let run = runtime.block_on(run(work, base, n, cli.history_reps, sample))?;
    drop(runtime);
    for dir in ["history", "history-burst"] {
        std::fs::remove_dir_all(work.join(dir)).ok();
    }
    let naive_list = run.naive_list_per_version * run.versions as u32;
    r.line(format!(
        "{} edits in {:.2} s ({:.2} ms each); {} changes, {} versions; the same edits 10 s apart \
         group into {} version(s)",
        run.edits,
        run.edit_time.as_secs_f64(),
        ms(run.edit_time) / run.edits.max(1) as f64,
        run.changes,
        run.versions,
        run.burst_versions
    ));
    r.line(format!(
        "version list (recipe_history):  median {:>7.2} ms, max {:>7.2} ms | comparator, fork + \
         hydrate per version and its parent: {:.2} ms per version ({sample} sampled) → {:.0} ms \
         for all {} ({:.0}× the median)",
        ms(run.list.median),
        ms(run.list.max),
        ms(run.naive_list_per_version),
        ms(naive_list),
        run.versions,
        ms(naive_list) / ms(run.list.median).max(1e-6)
    ));
    r.line(format!(
        "    of which automerge's get_changes {:.2} ms and decoding their ops {:.2} ms (once each)",
        ms(run.get_changes),
        ms(run.decode)
    ));
    r.line(format!(
        "one version (recipe_version):   median {:>7.2} ms, max {:>7.2} ms | comparator, fork_at + \
         hydrate: median {:.2} ms, max {:.2} ms",
        ms(run.view.median),
        ms(run.view.max),
        ms(run.naive_view.median),
        ms(run.naive_view.max)
    ));
    r.key("history_list_ms", format!("{:.2}", ms(run.list.max)));
    r.key("history_view_ms", format!("{:.2}", ms(run.view.max)));
    r.key("history_naive_list_ms", format!("{:.0}", ms(naive_list)));
    r.key(
        "history_naive_view_ms",
        format!("{:.2}", ms(run.naive_view.median)),
    );
    if ms(run.list.max) > crate::HISTORY_LIST_GOAL_MS {
        r.misses.push(format!(
            "history list {:.1} ms after {n} edits",
            ms(run.list.max)
        ));
    }
    if ms(run.view.max) > crate::HISTORY_VIEW_GOAL_MS {
        r.misses.push(format!(
            "version view {:.1} ms after {n} edits",
            ms(run.view.max)
        ));
    }
    Ok(())
}
