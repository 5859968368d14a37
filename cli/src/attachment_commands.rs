//! The attachment commands: `attach RECIPE_ID FILE` (kept on this device, uploaded by the next
//! sync) and `attachment list|get` (bytes from this device, or fetched from the relay on demand
//! and kept here).

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use larder_core::Larder;
use larder_core::api::MAX_ATTACHMENT_BYTES;
use larder_core::docstore::SamodStore;
use larder_core::sync;

use crate::output::{self, outln};

pub async fn attach(
    larder: &Larder<SamodStore>,
    recipe_id: &str,
    file: &Path,
    name: Option<String>,
    media_type: Option<String>,
    json: bool,
) -> Result<()> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    if size > MAX_ATTACHMENT_BYTES as u64 {
        return Err(anyhow!(
            "{} is {size} bytes; the limit is {MAX_ATTACHMENT_BYTES} bytes",
            file.display()
        ));
    }
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = match name {
        Some(name) => name,
        None => file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| anyhow!("{} has no file name; pass --name", file.display()))?,
    };
    let attachment = larder
        .attach_file(
            recipe_id,
            &name,
            media_type.as_deref().unwrap_or(""),
            &bytes,
        )
        .await?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&attachment)?)?;
    } else {
        outln!(
            "Attached {} ({}, {} bytes, sha256 {}).",
            attachment.file_name,
            attachment.media_type,
            attachment.size,
            attachment.sha256
        )?;
    }
    Ok(())
}

pub fn list(larder: &Larder<SamodStore>, recipe_id: &str, json: bool) -> Result<()> {
    let recipe = larder.get_recipe(recipe_id)?;
    if json {
        let rows: Vec<_> = recipe
            .attachments
            .iter()
            .map(|a| {
                Ok(serde_json::json!({
                    "file_name": a.file_name,
                    "media_type": a.media_type,
                    "size": a.size,
                    "sha256": a.sha256,
                    "on_device": larder.store().blob_exists(&a.sha256)?,
                }))
            })
            .collect::<Result<_>>()?;
        outln!("{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(());
    }
    if recipe.attachments.is_empty() {
        outln!("No attachments.")?;
    }
    for a in &recipe.attachments {
        let here = if larder.store().blob_exists(&a.sha256)? {
            ""
        } else {
            ", not on this device"
        };
        outln!("{} ({}, {} bytes{here})", a.file_name, a.media_type, a.size)?;
    }
    Ok(())
}

/// Writes an attachment's bytes to `output` (`-`: standard output).
pub async fn get(
    larder: &Larder<SamodStore>,
    recipe_id: &str,
    name: &str,
    output: &Path,
) -> Result<()> {
    let (attachment, bytes) = sync::fetch_attachment(larder, recipe_id, name).await?;
    if output == Path::new("-") {
        return output::write_bytes(&bytes);
    }
    std::fs::write(output, &bytes).with_context(|| format!("cannot write {}", output.display()))?;
    outln!(
        "Wrote {} ({} bytes) to {}.",
        attachment.file_name,
        bytes.len(),
        output.display()
    )?;
    Ok(())
}
