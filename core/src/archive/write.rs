//! Writing a Larder export: recipes' JSON-LD and attachments entry by entry into a zip on any
//! `Write + Seek` (a file natively, memory in the browser), the manifest last. Attachments are
//! stored as they are (photos and PDFs do not compress), text is deflated.

use std::collections::HashSet;
use std::io::{Seek, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::{FORMAT, MANIFEST, Manifest, ManifestAttachment, ManifestRecipe, VERSION};
use crate::model::Attachment;

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing the export: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("writing the export: {0}")]
    Json(#[from] serde_json::Error),
}

/// An export being written.
pub struct ArchiveWriter<W: Write + Seek> {
    zip: ZipWriter<W>,
    manifest: Manifest,
    written_blobs: HashSet<String>,
}

impl<W: Write + Seek> ArchiveWriter<W> {
    pub fn new(out: W, exported_at: i64) -> Self {
        ArchiveWriter {
            zip: ZipWriter::new(out),
            manifest: Manifest {
                format: FORMAT.to_owned(),
                version: VERSION,
                exported_at,
                recipes: Vec::new(),
            },
            written_blobs: HashSet::new(),
        }
    }

    /// Adds one recipe's JSON-LD document.
    pub fn add_recipe(
        &mut self,
        id: &str,
        import_key: Option<&str>,
        json_ld: &serde_json::Value,
    ) -> Result<(), ExportError> {
        let file = format!("recipes/{id}.jsonld");
        self.zip.start_file(&file, text_options())?;
        serde_json::to_writer_pretty(&mut self.zip, json_ld)?;
        self.manifest.recipes.push(ManifestRecipe {
            id: id.to_owned(),
            import_key: import_key.map(str::to_owned),
            file,
            attachments: Vec::new(),
        });
        Ok(())
    }

    /// Adds an attachment of the recipe added last; `bytes` is `None` when they are not on
    /// this device (listed, not included). Bytes shared by several recipes are written once.
    pub fn add_attachment(
        &mut self,
        attachment: &Attachment,
        bytes: Option<&[u8]>,
    ) -> Result<(), ExportError> {
        let file = match bytes {
            Some(bytes) => {
                let file = format!("attachments/{}", attachment.sha256);
                if self.written_blobs.insert(attachment.sha256.clone()) {
                    self.zip.start_file(
                        &file,
                        SimpleFileOptions::default()
                            .compression_method(CompressionMethod::Stored)
                            .large_file(bytes.len() as u64 >= u64::from(u32::MAX)),
                    )?;
                    self.zip.write_all(bytes)?;
                }
                Some(file)
            }
            None => None,
        };
        if let Some(recipe) = self.manifest.recipes.last_mut() {
            recipe.attachments.push(ManifestAttachment {
                attachment: attachment.clone(),
                file,
            });
        }
        Ok(())
    }

    /// Writes the manifest and the zip's directory; answers the output.
    pub fn finish(mut self) -> Result<W, ExportError> {
        self.zip.start_file(MANIFEST, text_options())?;
        serde_json::to_writer_pretty(&mut self.zip, &self.manifest)?;
        Ok(self.zip.finish()?)
    }
}

fn text_options() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
}
