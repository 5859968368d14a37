//! `larder import` (files and folders: every format core reads, a big export read entry by
//! entry from disk, never whole) with progress bars — one over the files when there are
//! several, one over a file's recipes and photos while a long one runs — and `larder
//! import-url`. Reports go to stderr, new ids to stdout.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use futures_util::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use larder_core::api::{ChangeEvent, ImportStage};
use larder_core::docstore::SamodStore;
use larder_core::import::ImportSource;
use larder_core::{ImportReport, Larder};

use crate::output::outln;

/// Files at or above this count get a progress bar.
const PROGRESS_THRESHOLD: usize = 5;

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

pub async fn import(larder: &Larder<SamodStore>, files: &[PathBuf]) -> Result<()> {
    let bars = MultiProgress::new();
    let files_bar = if files.len() >= PROGRESS_THRESHOLD {
        let bar = bars.add(ProgressBar::new(files.len() as u64));
        bar.set_style(style(
            "{bar:40} {pos}/{len} files {msg} ({per_sec}, eta {eta})",
        ));
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut failures = 0usize;
    for file in files {
        files_bar.set_message(file.display().to_string());
        match import_one(larder, file, &bars).await {
            Ok(report) => {
                let lines =
                    crate::import_report::report_lines(&file.display().to_string(), &report);
                bars.suspend(|| {
                    for line in &lines {
                        eprintln!("{line}");
                    }
                });
                bars.suspend(|| -> Result<()> {
                    for id in &report.ids {
                        outln!("{id}")?;
                    }
                    Ok(())
                })?;
            }
            Err(err) => {
                failures += 1;
                bars.suspend(|| eprintln!("error: {}: {err:#}", file.display()));
            }
        }
        files_bar.inc(1);
    }
    files_bar.finish_and_clear();
    if failures > 0 {
        return Err(anyhow!(
            "{failures} of {} files could not be imported",
            files.len()
        ));
    }
    Ok(())
}

/// One file or folder, with a bar over its recipes and photos while core says how far it got.
async fn import_one(
    larder: &Larder<SamodStore>,
    path: &Path,
    bars: &MultiProgress,
) -> Result<ImportReport> {
    let mut events = larder.subscribe();
    let import = larder.import_from(ImportSource::Path(path));
    tokio::pin!(import);
    let mut bar: Option<(ImportStage, ProgressBar)> = None;
    let result = loop {
        tokio::select! {
            result = &mut import => break result,
            Some(event) = events.next() => {
                let ChangeEvent::ImportProgress { stage, done, total } = event else { continue };
                if bar.as_ref().map(|(s, _)| *s) != Some(stage) {
                    if let Some((_, old)) = bar.take() {
                        old.finish_and_clear();
                    }
                    let new = bars.add(ProgressBar::new(u64::from(total)));
                    new.set_style(style(match stage {
                        ImportStage::Recipes => "{bar:40} {pos}/{len} recipes",
                        ImportStage::Photos => "{bar:40} {pos}/{len} photos ({per_sec}, eta {eta})",
                    }));
                    bar = Some((stage, new));
                }
                if let Some((_, b)) = &bar {
                    b.set_position(u64::from(done));
                }
            }
        }
    };
    if let Some((_, b)) = bar {
        b.finish_and_clear();
    }
    Ok(result?)
}

pub async fn import_url(larder: &Larder<SamodStore>, url: &str, link_only: bool) -> Result<()> {
    if link_only {
        let recipe = larder.save_link(url).await?;
        eprintln!(
            "Kept the address as \"{}\"; import it from its address when online.",
            recipe.title
        );
        outln!("{}", recipe.id)?;
        return Ok(());
    }
    let report = match larder_core::sync::import_url(larder, url).await {
        Ok(report) => report,
        Err(err) if err.is_offline() => {
            return Err(anyhow!(
                "{err}\nimporting from an address needs the relay; to keep the address as a recipe for now, run: larder import-url --link-only {url}"
            ));
        }
        Err(err) => return Err(err.into()),
    };
    for line in crate::import_report::report_lines(url, &report) {
        eprintln!("{line}");
    }
    for id in &report.ids {
        outln!("{id}")?;
    }
    Ok(())
}
