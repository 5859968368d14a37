//! Reading a Larder export back: the manifest, each recipe (the exact copy under
//! [`LARDER_RECIPE_KEY`](super::LARDER_RECIPE_KEY) when present, else the schema.org fields as any
//! JSON-LD import reads them), and each attachment's bytes on demand, checked against the
//! SHA-256 the manifest names. Zip reading goes through the import's capped reader.

use super::{FORMAT, LARDER_RECIPE_KEY, MANIFEST, Manifest, VERSION};
use crate::blob_transfer::sha256_hex;
use crate::import::ImportSource;
use crate::import::safe_archive::{Entry, Limits, SafeArchive, looks_like_zip};
use crate::import::{ImportFileError, SkippedRecipe};
use crate::model::{Attachment, RecipeDraft};

/// Whether `bytes` are a Larder export (a zip holding the manifest).
pub fn is_larder_export(source: ImportSource<'_>) -> bool {
    !matches!(source, ImportSource::Bytes(bytes) if !looks_like_zip(bytes))
        && SafeArchive::open(source, Limits::DEFAULT)
            .is_ok_and(|zip| zip.entries().iter().any(|e| e.name == MANIFEST))
}

/// An export read into recipes; attachments are read when they are attached.
pub struct ArchiveReader<'a> {
    zip: SafeArchive<'a>,
    pub manifest: Manifest,
}

/// One recipe of the export.
#[derive(Debug, Clone)]
pub struct ArchivedRecipe {
    pub id: String,
    pub import_key: String,
    pub draft: RecipeDraft,
    pub attachments: Vec<ArchivedAttachment>,
}

#[derive(Debug, Clone)]
pub struct ArchivedAttachment {
    pub attachment: Attachment,
    /// `None`: the exporting device did not have the bytes.
    pub entry: Option<Entry>,
}

impl<'a> ArchiveReader<'a> {
    /// Opens the export and checks its manifest.
    pub fn open(source: ImportSource<'a>, limits: Limits) -> Result<Self, ImportFileError> {
        let mut zip = SafeArchive::open(source, limits)?;
        let entry = find(&zip, MANIFEST).ok_or_else(|| {
            ImportFileError::UnknownFormat("a zip without a Larder manifest".into())
        })?;
        let manifest: Manifest = serde_json::from_slice(&zip.read(&entry)?).map_err(|e| {
            ImportFileError::DamagedArchive(format!("the manifest is not readable: {e}"))
        })?;
        if manifest.format != FORMAT || manifest.version > VERSION {
            return Err(ImportFileError::UnknownFormat(format!(
                "a Larder export of format {:?} version {}, newer than this app reads (version {VERSION})",
                manifest.format, manifest.version
            )));
        }
        Ok(ArchiveReader { zip, manifest })
    }

    /// Every recipe the manifest lists; one whose file is missing or unreadable is skipped
    /// with its reason.
    pub fn recipes(
        &mut self,
    ) -> Result<(Vec<ArchivedRecipe>, Vec<SkippedRecipe>), ImportFileError> {
        let mut recipes = Vec::with_capacity(self.manifest.recipes.len());
        let mut skipped = Vec::new();
        for listed in self.manifest.recipes.clone() {
            let draft = match find(&self.zip, &listed.file) {
                Some(entry) => {
                    let bytes = self.zip.read(&entry)?;
                    draft_of(&bytes)
                }
                None => Err(format!("{} is missing from the export", listed.file)),
            };
            let draft = match draft {
                Ok(draft) => draft,
                Err(reason) => {
                    skipped.push(SkippedRecipe {
                        title: listed.id.clone(),
                        reason,
                    });
                    continue;
                }
            };
            let attachments = listed
                .attachments
                .iter()
                .map(|a| ArchivedAttachment {
                    attachment: a.attachment.clone(),
                    entry: a.file.as_deref().and_then(|file| find(&self.zip, file)),
                })
                .collect();
            recipes.push(ArchivedRecipe {
                import_key: listed
                    .import_key
                    .clone()
                    .unwrap_or_else(|| format!("larder:{}", listed.id)),
                id: listed.id,
                draft,
                attachments,
            });
        }
        Ok((recipes, skipped))
    }

    /// An attachment's bytes, or why they cannot be had (missing, damaged, not the bytes the
    /// manifest names).
    pub fn attachment_bytes(&mut self, attachment: &ArchivedAttachment) -> Result<Vec<u8>, String> {
        let entry = attachment
            .entry
            .as_ref()
            .ok_or("its bytes were not on the device it was exported from")?;
        let bytes = self.zip.read(entry).map_err(|e| e.to_string())?;
        let digest = sha256_hex(&bytes);
        if digest != attachment.attachment.sha256 {
            return Err("its bytes do not match their SHA-256".into());
        }
        Ok(bytes)
    }
}

fn find(zip: &SafeArchive<'_>, name: &str) -> Option<Entry> {
    zip.entries().iter().find(|e| e.name == name).cloned()
}

/// The recipe of one JSON-LD file: Larder's exact copy when present, else schema.org's fields.
fn draft_of(bytes: &[u8]) -> Result<RecipeDraft, String> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    if let Some(exact) = value.get(LARDER_RECIPE_KEY) {
        return serde_json::from_value(exact.clone())
            .map_err(|e| format!("Larder's copy of the recipe is not readable: {e}"));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    let imported = crate::schema_org::import_json(text).map_err(|e| e.to_string())?;
    let first = imported
        .into_iter()
        .next()
        .ok_or("no schema.org Recipe in it")?;
    let mut draft = first.draft;
    draft.ingredients = first
        .ingredient_lines
        .iter()
        .map(|line| crate::api::ingredient_input(line))
        .filter(|row| !row.name.is_empty())
        .collect();
    Ok(draft)
}
