//! Making local recipes from a page the relay fetched (`Larder::import_page`), and keeping an
//! address as a recipe when the relay cannot be reached (`Larder::save_link`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::bulk::NewRecipe;
use super::{ImportReport, Larder, LarderError, Result};
use crate::docstore::DocumentStore;
use crate::import::{SkippedRecipe, WarningGroups, WarningKind, import_key};
use crate::model::{RecipeDraft, validate_draft};
use crate::page_import::{PageImport, image_media_type, title_for_link};

impl<S: DocumentStore> Larder<S> {
    /// Creates the page's recipes on this device and attaches each one's image. A recipe an
    /// earlier import of the page made (same address and title) is counted, not made again;
    /// drafts that do not validate are skipped with their reason; an image that is not one (by
    /// its bytes) or is too big is left out with a warning, and the recipe is kept.
    pub async fn import_page(&self, page: &PageImport) -> Result<ImportReport> {
        let mut report = ImportReport {
            format: "web page".into(),
            ..ImportReport::default()
        };
        let mut warnings = WarningGroups::default();
        let mut drafts = Vec::with_capacity(page.recipes.len());
        let mut images = Vec::with_capacity(page.recipes.len());
        for recipe in &page.recipes {
            let mut draft = recipe.draft.clone();
            if draft.source_url.is_empty() {
                draft.source_url = page.page_url.clone();
            }
            let key = import_key(&draft, None);
            if self
                .store
                .present_import_keys([key.as_str()])?
                .contains(&key)
                || drafts
                    .iter()
                    .any(|d: &NewRecipe| d.import_key.as_ref() == Some(&key))
            {
                report.already_present = report.already_present.saturating_add(1);
                continue;
            }
            for warning in &recipe.warnings {
                warnings.add(WarningKind::of_schema_org(warning).0, &draft.title);
            }
            match validate_draft(&draft) {
                Ok(valid) => {
                    drafts.push(NewRecipe {
                        draft: valid,
                        import_key: Some(key),
                    });
                    images.push(recipe.image.as_ref());
                }
                Err(err) => report.skipped.push(SkippedRecipe {
                    title: draft.title,
                    reason: err.to_string(),
                }),
            }
        }
        let made = self.create_new_recipes(&drafts).await?;
        for (recipe, image) in made.iter().zip(images) {
            let Some(image) = image else { continue };
            let bytes = match BASE64.decode(&image.bytes_base64) {
                Ok(bytes) => bytes,
                Err(_) => {
                    warnings.add(WarningKind::PhotoNotAttached, &recipe.title);
                    continue;
                }
            };
            let Some(media_type) = image_media_type(&bytes) else {
                warnings.add(WarningKind::PhotoNotImage, &recipe.title);
                continue;
            };
            match self
                .attach_file(&recipe.id, &image.file_name, media_type, &bytes)
                .await
            {
                Ok(_) => {}
                Err(LarderError::AttachmentTooLarge { .. } | LarderError::Invalid(_)) => {
                    warnings.add(WarningKind::PhotoNotAttached, &recipe.title);
                }
                Err(err) => return Err(err),
            }
        }
        report.ids = made.into_iter().map(|r| r.id).collect();
        report.warnings = warnings.into_groups();
        Ok(report)
    }

    /// Keeps a page's address as a recipe of its own (titled from the address, the address in
    /// its source field), for when the page cannot be fetched now.
    pub async fn save_link(&self, url: &str) -> Result<super::Recipe> {
        let url = url.trim();
        let title = title_for_link(url)?;
        let draft = RecipeDraft {
            title,
            source_url: url.to_owned(),
            notes: "Saved as a link: import it from its address when online to fill in the recipe."
                .into(),
            ..RecipeDraft::default()
        };
        self.create_recipe(&draft).await
    }
}
