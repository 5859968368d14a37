//! Export all and import it back (`Larder::export_archive`, `Larder::import_archive`): every
//! live recipe with its attachments in Larder's own zip ([`crate::archive`]). Importing it into
//! a fresh profile makes the same recipes with the same attachments (new ids and timestamps);
//! into a profile that already has them (same id, or the same import key) it makes nothing
//! and says how many were there.

use std::collections::HashSet;
use std::io::{Seek, Write};

use super::bulk::NewRecipe;
use super::progress::{ImportProgressEvents, ImportStage};
use super::{Larder, LarderError, Result};
use crate::archive::read::ArchiveReader;
use crate::archive::write::{ArchiveWriter, ExportError};
use crate::archive::{ExportSummary, LARDER_RECIPE_KEY};
use crate::docstore::DocumentStore;
use crate::import::ImportSource;
use crate::import::{ImportReport, Limits, SkippedRecipe, WarningGroups, WarningKind};
use crate::model::validate_draft;

impl From<ExportError> for LarderError {
    fn from(err: ExportError) -> Self {
        LarderError::Export(err.to_string())
    }
}

impl<S: DocumentStore> Larder<S> {
    /// The file name an export made now gets (`larder-export-2026-12-05.zip`).
    pub fn export_file_name(&self) -> String {
        crate::archive::file_name(self.clock.now_ms())
    }

    /// Writes every live recipe and the attachment bytes on this device to `out`; attachments
    /// whose bytes are only on the relay are listed in the export and counted as missing.
    pub fn export_archive<W: Write + Seek>(&self, out: W) -> Result<(W, ExportSummary)> {
        let mut writer = ArchiveWriter::new(out, self.clock.now_ms());
        let mut summary = ExportSummary::default();
        for id in self.store.known_recipe_ids()? {
            let Some(recipe) = self.store.get_recipe(&id)? else {
                continue;
            };
            if recipe.deleted {
                continue;
            }
            let mut json_ld = self.export_json_ld(&id)?;
            if let Some(object) = json_ld.as_object_mut() {
                object.insert(
                    LARDER_RECIPE_KEY.to_owned(),
                    serde_json::to_value(recipe.to_draft()).map_err(ExportError::from)?,
                );
            }
            writer.add_recipe(&id, recipe.import_key.as_deref(), &json_ld)?;
            for attachment in &recipe.attachments {
                let bytes = self.store.blob_get(&attachment.sha256)?;
                match bytes {
                    Some(_) => summary.attachments += 1,
                    None => summary.missing_attachments += 1,
                }
                writer.add_attachment(attachment, bytes.as_deref())?;
            }
            summary.recipes += 1;
        }
        Ok((writer.finish()?, summary))
    }

    /// Imports a Larder export: the recipes not already here, each with its attachments
    /// (checked against their SHA-256). A damaged export creates nothing.
    pub async fn import_archive(&self, source: ImportSource<'_>) -> Result<ImportReport> {
        let mut reader = ArchiveReader::open(source, Limits::DEFAULT)?;
        let (recipes, skipped) = reader.recipes()?;
        let mut report = ImportReport {
            format: "Larder export".to_owned(),
            skipped,
            ..ImportReport::default()
        };
        let mut warnings = WarningGroups::default();
        let present = self
            .store
            .present_import_keys(recipes.iter().map(|r| r.import_key.as_str()))?;
        let mut seen = HashSet::new();
        let mut new = Vec::with_capacity(recipes.len());
        let mut attachments = Vec::with_capacity(recipes.len());
        for recipe in recipes {
            if present.contains(&recipe.import_key)
                || self.get_recipe(&recipe.id).is_ok()
                || !seen.insert(recipe.import_key.clone())
            {
                report.already_present = report.already_present.saturating_add(1);
                continue;
            }
            let mut draft = recipe.draft;
            // Rows get new ids in the new document.
            for row in &mut draft.ingredients {
                row.id = None;
            }
            match validate_draft(&draft) {
                Ok(draft) => {
                    new.push(NewRecipe {
                        draft,
                        import_key: Some(recipe.import_key),
                    });
                    attachments.push(recipe.attachments);
                }
                Err(err) => report.skipped.push(SkippedRecipe {
                    title: draft.title,
                    reason: err.to_string(),
                }),
            }
        }
        let mut progress = ImportProgressEvents::new(self, ImportStage::Recipes, new.len());
        let made = self.create_new_recipes(&new).await?;
        progress.advance(new.len());
        drop(new);
        let mut progress = ImportProgressEvents::new(
            self,
            ImportStage::Photos,
            attachments.iter().map(Vec::len).sum(),
        );
        for (recipe, listed) in made.iter().zip(attachments) {
            for archived in listed {
                progress.advance(1);
                let restored = match reader.attachment_bytes(&archived) {
                    Ok(bytes) => self
                        .attach_file(
                            &recipe.id,
                            &archived.attachment.file_name,
                            &archived.attachment.media_type,
                            &bytes,
                        )
                        .await
                        .map(|_| ())
                        .map_err(|err| match err {
                            LarderError::AttachmentTooLarge { .. }
                            | LarderError::BadFileName(_) => Ok(err.to_string()),
                            other => Err(other),
                        }),
                    Err(reason) => Err(Ok(reason)),
                };
                match restored {
                    Ok(()) => {}
                    Err(Ok(reason)) => warnings.add(
                        WarningKind::Other(format!("an attachment was not restored: {reason}")),
                        &recipe.title,
                    ),
                    Err(Err(err)) => return Err(err),
                }
            }
        }
        report.ids = made.into_iter().map(|r| r.id).collect();
        report.warnings = warnings.into_groups();
        Ok(report)
    }
}
