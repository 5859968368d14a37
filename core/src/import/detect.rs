//! Telling formats apart by content: zip and gzip by their magic bytes, then what the archive
//! holds (gzip'd members: Paprika; archives: Tandoor; `recipe.json` holding a schema.org
//! Recipe: Nextcloud Cookbook; recipe JSON with a `slug`: Mealie); JSON and HTML by their first
//! character; anything else that is UTF-8 text with recipe headings is a text recipe. File
//! names are never trusted: a Paprika export renamed `recipes.json` is still read as one.

use super::ImportFileError;
use super::safe_archive::{Limits, SafeArchive, looks_like_zip};

/// What a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A `.paprikarecipes` archive: one gzip'd JSON recipe per entry.
    Paprika,
    /// One gzip'd Paprika recipe (`.paprikarecipe`).
    PaprikaRecipe,
    Mealie,
    Tandoor,
    Nextcloud,
    /// schema.org JSON-LD (RecipeSage's export, a saved `recipe.json`, Larder's own export).
    JsonLd,
    Html,
    Text,
    Markdown,
}

impl Format {
    /// The format in words, for the report.
    pub fn label(self) -> &'static str {
        match self {
            Format::Paprika => "Paprika export",
            Format::PaprikaRecipe => "Paprika recipe",
            Format::Mealie => "Mealie export",
            Format::Tandoor => "Tandoor export",
            Format::Nextcloud => "Nextcloud Cookbook export",
            Format::JsonLd => "schema.org JSON-LD",
            Format::Html => "web page",
            Format::Text => "text recipe",
            Format::Markdown => "Markdown recipe",
        }
    }
}

pub(crate) const GZIP_MAGIC: &[u8] = b"\x1f\x8b";

/// Files inside archives that belong to the archiver, not the export.
pub(crate) fn is_archiver_noise(name: &str) -> bool {
    name.starts_with("__MACOSX/")
        || name
            .rsplit('/')
            .next()
            .is_some_and(|file| file.starts_with("._") || file == ".DS_Store")
}

/// The format of `bytes`, from their content.
///
/// ```
/// use larder_core::import::{Format, Limits, detect::detect};
/// assert_eq!(detect(b"[{\"@type\": \"Recipe\"}]", Limits::DEFAULT).ok(), Some(Format::JsonLd));
/// assert_eq!(detect(b"# Soup\n## Ingredients\n- leeks", Limits::DEFAULT).ok(), Some(Format::Markdown));
/// assert_eq!(detect(b"\x1f\x8b\x08", Limits::DEFAULT).ok(), Some(Format::PaprikaRecipe));
/// ```
pub fn detect(bytes: &[u8], limits: Limits) -> Result<Format, ImportFileError> {
    if looks_like_zip(bytes) {
        return detect_archive(super::ImportSource::Bytes(bytes), limits);
    }
    if bytes.starts_with(GZIP_MAGIC) {
        return Ok(Format::PaprikaRecipe);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        ImportFileError::UnknownFormat("binary data that is not a zip or gzip".into())
    })?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text).trim_start();
    match text.chars().next() {
        None => Err(ImportFileError::UnknownFormat("the file is empty".into())),
        Some('{' | '[') => Ok(Format::JsonLd),
        Some('<') => Ok(Format::Html),
        Some(_) if looks_like_html(text) => Ok(Format::Html),
        Some(_) => Ok(if super::text::looks_like_markdown(text) {
            Format::Markdown
        } else {
            Format::Text
        }),
    }
}

/// A page with something before its first tag (a stray line, a saved-from header).
fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(2048)
        .collect::<String>()
        .to_ascii_lowercase();
    head.contains("<html") || head.contains("<!doctype html")
}

/// Which export an archive is, from its entries' names and the content of the first one that
/// tells.
pub(crate) fn detect_archive(
    source: super::ImportSource<'_>,
    limits: Limits,
) -> Result<Format, ImportFileError> {
    let mut zip = SafeArchive::open(source, limits)?;
    let entries: Vec<_> = zip
        .entries()
        .iter()
        .filter(|entry| !is_archiver_noise(&entry.name))
        .cloned()
        .collect();
    // Nextcloud Cookbook: a folder per recipe with `recipe.json`.
    if entries
        .iter()
        .any(|e| e.file_name() == "recipe.json" && !e.folder().is_empty())
    {
        return Ok(Format::Nextcloud);
    }
    for entry in entries.iter().take(16) {
        let head = zip.read(entry)?;
        if head.starts_with(GZIP_MAGIC) {
            return Ok(Format::Paprika);
        }
        if looks_like_zip(&head) {
            return Ok(Format::Tandoor);
        }
        if entry.extension() == "json"
            && let Ok(value) = super::parse_json(&head)
            && super::mealie::is_mealie_recipe(&value)
        {
            return Ok(Format::Mealie);
        }
    }
    Err(ImportFileError::UnknownFormat(
        "an archive (or folder), but not a Paprika, Mealie, Tandoor or Nextcloud Cookbook export"
            .into(),
    ))
}
