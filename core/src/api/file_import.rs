//! Importing a file (`Larder::import_file`, `Larder::import_from` for a file or folder on disk
//! or a folder's files): any format `crate::import` reads, by content.
//! Recipes an earlier import made (same import key, on any device: the key is in the synced
//! document and indexed in the view) are counted, not made again; the rest are created in
//! bulk, then each one's photo is read from the file and attached, one at a time.

use std::collections::HashSet;

use super::bulk::NewRecipe;
use super::progress::{ImportProgressEvents, ImportStage};
use super::{Larder, LarderError, Result};
use crate::docstore::DocumentStore;
use crate::import::{self, ImportReport, ImportSource, PhotoReader, SkippedRecipe, WarningKind};
use crate::model::validate_draft;
use crate::page_import::image_media_type;

impl<S: DocumentStore> Larder<S> {
    /// Imports a file's recipes. The format is read from the bytes, not the name (kept for
    /// the shells' sake). A file that cannot be read as a whole creates nothing.
    pub async fn import_file(&self, _file_name: &str, bytes: &[u8]) -> Result<ImportReport> {
        self.import_from(ImportSource::Bytes(bytes)).await
    }

    /// Imports from any [`ImportSource`]: a file's bytes, a file or folder on disk (read entry
    /// by entry, never whole), a folder's files. While it runs, [`ChangeEvent::ImportProgress`]
    /// says how far it got.
    pub async fn import_from(&self, source: ImportSource<'_>) -> Result<ImportReport> {
        if crate::archive::read::is_larder_export(source) {
            return self.import_archive(source).await;
        }
        let parsed = import::read_source(source, import::Limits::DEFAULT)?;
        let mut warnings = parsed.warnings;
        let mut report = ImportReport {
            format: parsed.format.label().to_owned(),
            skipped: parsed.skipped,
            ..ImportReport::default()
        };
        let keys: Vec<String> = parsed.recipes.iter().map(|r| r.import_key()).collect();
        let present = self
            .store
            .present_import_keys(keys.iter().map(String::as_str))?;
        let mut seen = HashSet::with_capacity(keys.len());
        let mut new = Vec::with_capacity(parsed.recipes.len());
        let mut photos = Vec::with_capacity(parsed.recipes.len());
        for (recipe, key) in parsed.recipes.into_iter().zip(keys) {
            if present.contains(&key) || !seen.insert(key.clone()) {
                report.already_present = report.already_present.saturating_add(1);
                continue;
            }
            match validate_draft(&recipe.draft) {
                Ok(draft) => {
                    for kind in recipe.warnings {
                        warnings.add(kind, &draft.title);
                    }
                    new.push(NewRecipe {
                        draft,
                        import_key: Some(key),
                    });
                    photos.push(recipe.photo);
                }
                Err(err) => report.skipped.push(SkippedRecipe {
                    title: recipe.draft.title,
                    reason: err.to_string(),
                }),
            }
        }
        let mut progress = ImportProgressEvents::new(self, ImportStage::Recipes, new.len());
        let made = self.create_new_recipes(&new).await?;
        progress.advance(new.len());
        drop(new);
        let mut reader = PhotoReader::new(source);
        let mut progress = ImportProgressEvents::new(
            self,
            ImportStage::Photos,
            photos.iter().filter(|p| p.is_some()).count(),
        );
        for (recipe, photo) in made.iter().zip(photos) {
            let Some(photo) = photo else { continue };
            progress.advance(1);
            let (file_name, photo_bytes) = match reader.read(&photo) {
                Ok(read) => read,
                Err(_) => {
                    warnings.add(WarningKind::PhotoNotAttached, &recipe.title);
                    continue;
                }
            };
            let Some(media_type) = image_media_type(&photo_bytes) else {
                warnings.add(WarningKind::PhotoNotImage, &recipe.title);
                continue;
            };
            match self
                .attach_file(&recipe.id, &file_name, media_type, &photo_bytes)
                .await
            {
                Ok(_) => {}
                Err(LarderError::AttachmentTooLarge { .. } | LarderError::BadFileName(_)) => {
                    warnings.add(WarningKind::PhotoNotAttached, &recipe.title);
                }
                Err(err) => return Err(err),
            }
        }
        report.ids = made.into_iter().map(|r| r.id).collect();
        report.warnings = warnings.into_groups();
        Ok(report)
    }
}
