//! The Paprika import benchmark: a seeded `.paprikarecipes` export (a zip of gzip'd JSON
//! recipes, as Paprika writes it) built from the corpus, imported through the real API
//! (`Larder::import_from` on a profile on disk: detection, reading, dedupe, bulk create, photos
//! attached one recipe at a time). Figures: recipes/s without photos against the comparator of
//! creating the same drafts with `create_recipes` directly (what reading the format costs on
//! top), a re-import of the same file (every recipe found already there), and an export with a
//! photo per recipe read from disk entry by entry, with the process's peak memory beside the
//! file's size (neither the file nor its photos are ever held whole). `section` prints it.

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use base64::Engine as _;
use larder_core::import::ImportSource;
use larder_core::ingredient::format_line;
use larder_core::model::RecipeDraft;
use larder_core::profile;
use rand::{Rng, SeedableRng};

/// The figures of one Paprika run.
pub struct PaprikaRun {
    pub recipes: usize,
    pub file_bytes: usize,
    pub import: Duration,
    pub reimport: Duration,
    pub already_present: u32,
    /// Peak resident memory during the import, above what the process held before it.
    pub peak_rss_growth: Option<u64>,
    pub attached: usize,
}

impl PaprikaRun {
    pub fn rate(&self) -> f64 {
        self.recipes as f64 / self.import.as_secs_f64().max(1e-9)
    }

    pub fn reimport_rate(&self) -> f64 {
        self.recipes as f64 / self.reimport.as_secs_f64().max(1e-9)
    }
}

/// A Paprika export of `drafts`; with `photo_bytes`, every recipe carries a (synthetic, JPEG-
/// signed) photo of that size.
pub fn export(drafts: &[RecipeDraft], photo_bytes: Option<usize>, seed: u64) -> Result<Vec<u8>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // The members are gzip'd already; Paprika stores them as they are.
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (i, draft) in drafts.iter().enumerate() {
        let photo = photo_bytes.map(|size| {
            let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
            bytes.extend((4..size).map(|_| rng.random::<u8>()));
            base64::engine::general_purpose::STANDARD.encode(bytes)
        });
        let ingredients: Vec<String> = draft
            .ingredients
            .iter()
            .map(|row| {
                format_line(
                    row.quantity,
                    row.quantity_max,
                    &row.unit,
                    &row.name,
                    &row.note,
                )
            })
            .collect();
        let recipe = serde_json::json!({
            "uid": format!("BENCH-{seed}-{i:06}"),
            "name": draft.title,
            "ingredients": ingredients.join("\n"),
            "directions": draft.steps.join("\n"),
            "description": draft.description,
            "notes": draft.notes,
            "servings": draft.servings.map(|s| s.to_string()).unwrap_or_default(),
            "prep_time": draft.prep_minutes.map(|m| format!("{m} mins")).unwrap_or_default(),
            "cook_time": draft.cook_minutes.map(|m| format!("{} hr {} min", m / 60, m % 60)).unwrap_or_default(),
            "categories": draft.tags,
            "source_url": draft.source_url,
            "rating": i % 6,
            "photo_data": photo,
        });
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(serde_json::to_string(&recipe)?.as_bytes())?;
        zip.start_file(format!("{:06} {}.paprikarecipe", i, draft.title), options)?;
        zip.write_all(&gz.finish()?)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// Imports `file` into a fresh profile in `dir`, then again (nothing new), and closes it.
pub async fn import(dir: &Path, file: ImportSource<'_>, recipes: usize) -> Result<PaprikaRun> {
    let file_bytes = match file {
        ImportSource::Bytes(bytes) => bytes.len(),
        ImportSource::Path(path) => usize::try_from(std::fs::metadata(path)?.len())?,
        ImportSource::Files(files) => files.iter().map(|f| f.bytes.len()).sum(),
    };
    let larder = profile::open(dir).await.context("opening the profile")?;
    let before = peak_rss_reset();
    let started = Instant::now();
    let report = larder.import_from(file).await?;
    let import = started.elapsed();
    let peak = peak_rss()
        .zip(before)
        .map(|(peak, before)| peak.saturating_sub(before));
    ensure!(
        report.ids.len() == recipes,
        "imported {} of {recipes} recipes (skipped: {:?})",
        report.ids.len(),
        report.skipped.first()
    );
    let started = Instant::now();
    let again = larder.import_from(file).await?;
    let reimport = started.elapsed();
    ensure!(
        again.ids.is_empty(),
        "the re-import made {} recipes",
        again.ids.len()
    );
    let mut attached = 0;
    for id in &report.ids {
        attached += larder.get_recipe(id)?.attachments.len();
    }
    larder.close().await?;
    Ok(PaprikaRun {
        recipes,
        file_bytes,
        import,
        reimport,
        already_present: again.already_present,
        peak_rss_growth: peak,
        attached,
    })
}

/// The process's resident memory now, after resetting its peak to it (Linux: `clear_refs`).
fn peak_rss_reset() -> Option<u64> {
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    status_kib("VmRSS:")
}

/// The process's peak resident memory since the last reset.
fn peak_rss() -> Option<u64> {
    status_kib("VmHWM:")
}

fn status_kib(field: &str) -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse::<u64>()
        .ok()
        .map(|kib| kib * 1024)
}

pub(crate) fn section(
    r: &mut crate::Report,
    cli: &crate::Cli,
    drafts: &[larder_core::model::RecipeDraft],
    work: &Path,
) -> Result<()> {
    let n = cli.paprika.min(drafts.len());
    let drafts = &drafts[..n];
    r.line("");
    r.line(format!(
        "== Paprika export, {n} recipes, through Larder::import_file == (a seeded .paprikarecipes: \
         zip of gzip'd JSON; detection, reading, dedupe, bulk create, photos attached one by one; \
         a fresh profile on disk each)"
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let plain = export(drafts, None, cli.seed)?;
    let run = runtime.block_on(import(
        &work.join("paprika"),
        ImportSource::Bytes(&plain),
        n,
    ))?;
    drop(plain);
    let direct = runtime.block_on(crate::import::import_batched(
        &work.join("paprika-direct"),
        &[drafts],
    ))?;
    // The export with photos is read from disk, entry by entry, as `larder import FILE` does.
    let with_photos = work.join("with-photos.paprikarecipes");
    std::fs::write(
        &with_photos,
        export(drafts, Some(cli.photo_bytes), cli.seed)?,
    )?;
    let photos = runtime.block_on(import(
        &work.join("paprika-photos"),
        ImportSource::Path(&with_photos),
        n,
    ))?;
    std::fs::remove_file(&with_photos).ok();
    drop(runtime);
    for dir in ["paprika", "paprika-direct", "paprika-photos"] {
        std::fs::remove_dir_all(work.join(dir)).ok();
    }
    let mb = |bytes: u64| bytes as f64 / 1e6;
    r.line(format!(
        "without photos ({:.1} MB file):  {:>7.0} recipes/s; comparator, create_recipes of the same \
         drafts: {:>7.0} recipes/s (reading the format costs {:.0}% on top)",
        mb(run.file_bytes as u64),
        run.rate(),
        direct[0].rate(),
        100.0 * (direct[0].rate() / run.rate() - 1.0)
    ));
    r.line(format!(
        "re-import of the same file:          {:>7.0} recipes/s, {} found already there, none made",
        run.reimport_rate(),
        run.already_present
    ));
    r.line(format!(
        "with a {:.0} kB photo each ({:.0} MB file): {:>7.0} recipes/s, {:.1} MB/s, {} photos \
         attached; peak memory above the start: {}",
        cli.photo_bytes as f64 / 1e3,
        mb(photos.file_bytes as u64),
        photos.rate(),
        mb(photos.file_bytes as u64) / photos.import.as_secs_f64(),
        photos.attached,
        photos
            .peak_rss_growth
            .map_or("not measured".into(), |b| format!(
                "{:.0} MB ({:.2}× the file: read from disk entry by entry, photos one at a time)",
                mb(b),
                b as f64 / photos.file_bytes as f64
            ))
    ));
    r.key("paprika_per_s", format!("{:.0}", run.rate()));
    r.key("paprika_direct_per_s", format!("{:.0}", direct[0].rate()));
    r.key(
        "paprika_reimport_per_s",
        format!("{:.0}", run.reimport_rate()),
    );
    r.key("paprika_photos_per_s", format!("{:.0}", photos.rate()));
    if let Some(b) = photos.peak_rss_growth {
        r.key("paprika_photos_peak_mb", format!("{:.0}", mb(b)));
    }
    if run.rate() < crate::PAPRIKA_GOAL_PER_S {
        r.misses.push(format!("Paprika import {:.0}/s", run.rate()));
    }
    anyhow::ensure!(
        photos.attached == n,
        "{} of {n} photos attached",
        photos.attached
    );
    Ok(())
}
