//! Attachments through the API: files kept on this device under their SHA-256 and recorded in
//! the recipe; reading them back by hash or by name.

use sha2::{Digest, Sha256};

use super::*;

impl<S: DocumentStore> Larder<S> {
    /// Keeps the bytes on this device under their SHA-256 and records the attachment in the
    /// recipe. Attaching the same bytes twice records them once.
    pub async fn attach_file(
        &self,
        recipe_id: &str,
        file_name: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Attachment> {
        let file_name = safe_file_name(file_name)?;
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(LarderError::AttachmentTooLarge {
                size: bytes.len(),
                max: MAX_ATTACHMENT_BYTES,
            });
        }
        self.get_recipe(recipe_id)?;
        let sha256 = hex_digest(bytes);
        let media_type = if media_type.trim().is_empty() {
            guess_media_type(&file_name).to_string()
        } else {
            media_type.trim().to_string()
        };
        self.store
            .blob_put_and_queue(&sha256, &media_type, bytes, self.clock.now_ms())?;
        let attachment = AttachmentDoc {
            sha256,
            file_name,
            media_type,
            size: bytes.len() as u64,
        };
        let doc_id = recipe_id.to_string();
        let new_attachment = attachment.clone();
        self.edit_recipe_doc(recipe_id, move |current| {
            if current.deleted {
                return Err(LarderError::RecipeNotFound(doc_id));
            }
            if current
                .attachments
                .iter()
                .any(|a| a.sha256 == new_attachment.sha256)
            {
                return Ok(false);
            }
            current.attachments.push(new_attachment);
            Ok(true)
        })
        .await?;
        self.emit(ChangeEvent::RecipeChanged {
            id: recipe_id.to_string(),
        });
        Ok(Attachment {
            sha256: attachment.sha256,
            file_name: attachment.file_name,
            media_type: attachment.media_type,
            size: attachment.size,
        })
    }

    /// Removes an attachment (by SHA-256) from a recipe; the recipe as it is now. The bytes stay
    /// on this device and the relay (another recipe may hold the same file; an undo may want
    /// them back). Removing one the recipe does not have is `AttachmentNotFound`.
    pub async fn remove_attachment(&self, recipe_id: &str, sha256: &str) -> Result<Recipe> {
        let doc_id = recipe_id.to_string();
        let sha = sha256.to_string();
        let recipe = self
            .edit_recipe_doc(recipe_id, move |current| {
                if current.deleted {
                    return Err(LarderError::RecipeNotFound(doc_id));
                }
                let before = current.attachments.len();
                current.attachments.retain(|a| a.sha256 != sha);
                if current.attachments.len() == before {
                    return Err(LarderError::AttachmentNotFound {
                        recipe_id: doc_id,
                        name: sha,
                    });
                }
                Ok(true)
            })
            .await?;
        self.emit(ChangeEvent::RecipeChanged {
            id: recipe_id.to_string(),
        });
        Ok(recipe)
    }

    /// The bytes of an attachment kept on this device.
    pub fn attachment_bytes(&self, sha256: &str) -> Result<Vec<u8>> {
        self.store
            .blob_get(sha256)?
            .ok_or_else(|| LarderError::BlobMissing(sha256.to_string()))
    }

    /// Finds an attachment of a recipe by file name (or hash), whether or not its bytes are on
    /// this device.
    pub fn find_attachment(&self, recipe_id: &str, name: &str) -> Result<Attachment> {
        let recipe = self.get_recipe(recipe_id)?;
        recipe
            .attachments
            .into_iter()
            .find(|a| a.file_name == name || a.sha256 == name)
            .ok_or_else(|| LarderError::AttachmentNotFound {
                recipe_id: recipe_id.to_string(),
                name: name.to_string(),
            })
    }

    /// Finds an attachment of a recipe by file name (or hash) and returns it with its bytes
    /// kept on this device ([`LarderError::BlobMissing`] if they are not here; natively,
    /// `sync::fetch_attachment` brings them from the relay).
    pub fn attachment_by_name(&self, recipe_id: &str, name: &str) -> Result<(Attachment, Vec<u8>)> {
        let attachment = self.find_attachment(recipe_id, name)?;
        let bytes = self.attachment_bytes(&attachment.sha256)?;
        Ok((attachment, bytes))
    }
}

fn hex_digest(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The last path component of a file name, refusing empty names, control characters and names
/// made only of dots.
fn safe_file_name(name: &str) -> Result<String> {
    let base = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    if base.is_empty()
        || base.chars().all(|c| c == '.')
        || base.chars().any(char::is_control)
        || base.chars().count() > 255
    {
        return Err(LarderError::BadFileName(name.to_string()));
    }
    Ok(base)
}

fn guess_media_type(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "md" => "text/markdown",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_reduced_to_a_safe_base_name() {
        assert_eq!(
            safe_file_name("../../etc/passwd").ok().as_deref(),
            Some("passwd")
        );
        assert_eq!(
            safe_file_name("C:\\x\\photo.jpg").ok().as_deref(),
            Some("photo.jpg")
        );
        assert!(safe_file_name("..").is_err());
        assert!(safe_file_name("a/").is_err());
        assert!(safe_file_name("bad\u{0}name").is_err());
    }

    #[test]
    fn sha256_is_hex() {
        assert_eq!(
            hex_digest(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
