//! Importing other recipe apps' exports and plain recipe files, read by their content (never
//! by their name): Paprika (`.paprikarecipes`, `.paprikarecipe`), Mealie and Tandoor export
//! zips, Nextcloud Cookbook folders, RecipeSage and any other schema.org JSON-LD, saved HTML
//! pages, and plain-text or Markdown recipes.
//!
//! Reading is separate from creating: [`read`] turns a file into [`ParsedRecipe`]s (drafts with
//! ingredient rows, a key saying where each came from, a reference to its photo) or fails as a
//! whole before anything is made; `Larder::import_file` then drops the recipes an earlier
//! import made, creates the rest in bulk and attaches the photos one recipe at a time, reading
//! each photo's bytes only then ([`PhotoReader`]).
//!
//! - [`detect`]: which format the bytes are.
//! - [`safe_archive`]: zip (and folder) reading with caps (entries, bytes per entry and in all), unsafe
//!   entry names set aside.
//! - [`source`]: bytes at hand, a file or folder on disk, a folder's files.
//! - `paprika`, `mealie`, `tandoor`, `nextcloud`, `json_ld`, `text`: one reader per format.
//! - `times`: free-text durations ("1 hr 10 min").
//! - [`report`]: the grouped report.

pub mod detect;
mod json_ld;
mod mealie;
mod nextcloud;
mod paprika;
pub mod report;
pub mod safe_archive;
pub mod source;
mod tandoor;
mod text;
mod times;

use crate::api::ingredient_input;
use crate::model::{IngredientInput, RecipeDraft};
use crate::schema_org::ImportError;

pub use detect::Format;
pub use report::{ImportReport, SkippedRecipe, WarningGroup, WarningGroups, WarningKind};
pub use safe_archive::Limits;
use safe_archive::{Entry, SafeArchive};
pub use source::{FolderFile, ImportSource};

/// Why a file could not be imported at all (nothing was created).
#[derive(Debug, thiserror::Error)]
pub enum ImportFileError {
    #[error(transparent)]
    SchemaOrg(#[from] ImportError),
    #[error("the file is not a recipe format Larder reads ({0})")]
    UnknownFormat(String),
    #[error("the zip archive is damaged or truncated: {0}")]
    DamagedArchive(String),
    #[error("the archive lists {count} entries; at most {max} are read")]
    TooManyEntries { count: usize, max: usize },
    #[error("archive entry {name:?} is larger than {max} bytes uncompressed")]
    EntryTooLarge { name: String, max: u64 },
    #[error("the archive holds more than {max} bytes uncompressed")]
    TooLarge { max: u64 },
    #[error("the gzip data is damaged: {0}")]
    DamagedGzip(String),
    #[error("the file cannot be read: {0}")]
    Unreadable(String),
    #[error("{format} holds no recipe")]
    NoRecipes { format: &'static str },
}

/// A file read into recipes, nothing created yet.
#[derive(Debug)]
pub struct ParsedImport {
    pub format: Format,
    pub recipes: Vec<ParsedRecipe>,
    pub skipped: Vec<SkippedRecipe>,
    /// Warnings about the file rather than one recipe (unsafe entry names…).
    pub warnings: WarningGroups,
}

/// One recipe of the file.
#[derive(Debug)]
pub struct ParsedRecipe {
    /// Ingredient rows already parsed; not validated yet.
    pub draft: RecipeDraft,
    /// The source app's own id for the recipe (`paprika:<uid>`), when it has one.
    pub source_id: Option<String>,
    pub photo: Option<PhotoRef>,
    pub warnings: Vec<WarningKind>,
}

impl ParsedRecipe {
    fn new(draft: RecipeDraft) -> Self {
        ParsedRecipe {
            draft,
            source_id: None,
            photo: None,
            warnings: Vec::new(),
        }
    }

    /// Where the recipe came from: see [`import_key`].
    pub fn import_key(&self) -> String {
        import_key(&self.draft, self.source_id.as_deref())
    }
}

/// The key a re-import matches on: the source app's own id when it has one, else the recipe's
/// address and title, else its title and a hash of its ingredients and steps; normalised
/// (case, spacing, a trailing `/`), so trivial differences still match.
pub fn import_key(draft: &RecipeDraft, source_id: Option<&str>) -> String {
    if let Some(id) = source_id {
        return id.to_owned();
    }
    let title = normalise(&draft.title);
    let url = draft.source_url.trim().trim_end_matches('/').to_lowercase();
    if !url.is_empty() {
        return format!("url:{url}#{title}");
    }
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for row in &draft.ingredients {
        hash.update(normalise(&row.name).as_bytes());
        hash.update(b"\n");
    }
    hash.update(b"\x00");
    for step in &draft.steps {
        hash.update(normalise(step).as_bytes());
        hash.update(b"\n");
    }
    let digest = hash.finalize();
    let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("title:{title}#{short}")
}

/// Lower case, whitespace runs as one space, trimmed.
fn normalise(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Where a recipe's photo is, to be read when it is attached.
#[derive(Debug, Clone)]
pub enum PhotoRef {
    /// An archive entry holding the image.
    Entry(Entry),
    /// An image inside an archive entry that is itself an archive (Tandoor).
    Nested { outer: Entry, inner: Entry },
    /// The base64 `photo_data` of a gzip'd Paprika recipe entry.
    PaprikaEntry(Entry),
    /// Bytes already at hand (a single Paprika recipe file).
    Inline { file_name: String, bytes: Vec<u8> },
}

/// Reads a file into recipes. Fails as a whole (creating nothing) when the content is not a
/// known format or an archive is damaged or over a cap; a recipe that cannot be read is
/// skipped with its reason.
pub fn read(bytes: &[u8]) -> Result<ParsedImport, ImportFileError> {
    read_with_limits(bytes, Limits::DEFAULT)
}

/// [`read`] under other caps (tighter ones for a small device, or a test).
pub fn read_with_limits(bytes: &[u8], limits: Limits) -> Result<ParsedImport, ImportFileError> {
    read_source(ImportSource::Bytes(bytes), limits)
}

/// [`read`] from any [`ImportSource`]: an archive (zip or folder) is read entry by entry, any
/// other file whole (up to the per-entry cap).
pub fn read_source(
    source: ImportSource<'_>,
    limits: Limits,
) -> Result<ParsedImport, ImportFileError> {
    let bytes = match source.content(limits.entry_bytes)? {
        source::Content::Archive => {
            return match detect::detect_archive(source, limits)? {
                Format::Paprika => paprika::read_archive(source, limits),
                Format::Mealie => mealie::read(source, limits),
                Format::Tandoor => tandoor::read(source, limits),
                Format::Nextcloud => nextcloud::read(source, limits),
                other => Err(ImportFileError::UnknownFormat(format!(
                    "an archive read as {}",
                    other.label()
                ))),
            };
        }
        source::Content::Bytes(bytes) => bytes,
    };
    match detect::detect(&bytes, limits)? {
        Format::PaprikaRecipe => paprika::read_single(&bytes, limits),
        Format::JsonLd => json_ld::read(&bytes, Format::JsonLd),
        Format::Html => json_ld::read(&bytes, Format::Html),
        Format::Text => text::read(&bytes, Format::Text),
        Format::Markdown => text::read(&bytes, Format::Markdown),
        other @ (Format::Paprika | Format::Mealie | Format::Tandoor | Format::Nextcloud) => Err(
            ImportFileError::UnknownFormat(format!("{} outside an archive", other.label())),
        ),
    }
}

/// An export archive opened for reading: the zip, its entries that belong to the export
/// (archiver noise such as `__MACOSX/` left out), and a warning per unsafe entry name set aside.
pub(crate) fn open_export(
    source: ImportSource<'_>,
    limits: Limits,
) -> Result<(SafeArchive<'_>, Vec<Entry>, WarningGroups), ImportFileError> {
    let zip = SafeArchive::open(source, limits)?;
    let mut warnings = WarningGroups::default();
    for name in zip.unsafe_names() {
        warnings.add(WarningKind::UnsafeEntryName, name);
    }
    let entries = zip
        .entries()
        .iter()
        .filter(|entry| !detect::is_archiver_noise(&entry.name))
        .cloned()
        .collect();
    Ok((zip, entries, warnings))
}

/// Reads photos of one file when they are attached, keeping the archive open between them.
pub struct PhotoReader<'a> {
    source: ImportSource<'a>,
    zip: Option<SafeArchive<'a>>,
    /// The nested archive read last, by its entry index (Tandoor's recipes come one per
    /// archive, so consecutive photos never share one).
    nested: Option<(usize, SafeArchive<'static>)>,
}

impl<'a> PhotoReader<'a> {
    pub fn new(source: ImportSource<'a>) -> Self {
        PhotoReader {
            source,
            zip: None,
            nested: None,
        }
    }

    /// The photo's file name and bytes.
    pub fn read(&mut self, photo: &PhotoRef) -> Result<(String, Vec<u8>), ImportFileError> {
        match photo {
            PhotoRef::Inline { file_name, bytes } => Ok((file_name.clone(), bytes.clone())),
            PhotoRef::Entry(entry) => {
                let bytes = self.zip()?.read(entry)?;
                Ok((entry.file_name().to_owned(), bytes))
            }
            PhotoRef::PaprikaEntry(entry) => {
                let bytes = self.zip()?.read(entry)?;
                paprika::photo_of_entry(&bytes)
            }
            PhotoRef::Nested { outer, inner } => {
                if self.nested.as_ref().map(|(i, _)| *i) != Some(outer.index) {
                    let nested = self.zip()?.open_nested(outer)?;
                    self.nested = Some((outer.index, nested));
                }
                let Some((_, nested)) = self.nested.as_mut() else {
                    return Err(ImportFileError::DamagedArchive("nested archive".into()));
                };
                let bytes = nested.read(inner)?;
                Ok((inner.file_name().to_owned(), bytes))
            }
        }
    }

    fn zip(&mut self) -> Result<&mut SafeArchive<'a>, ImportFileError> {
        if self.zip.is_none() {
            self.zip = Some(SafeArchive::open(self.source, Limits::DEFAULT)?);
        }
        self.zip
            .as_mut()
            .ok_or_else(|| ImportFileError::DamagedArchive("not an archive".into()))
    }
}

// ----- helpers the format readers share -----

/// Ingredient rows from free-text lines, blank ones and ones with no name dropped.
fn ingredient_rows<'l>(lines: impl IntoIterator<Item = &'l str>) -> Vec<IngredientInput> {
    lines
        .into_iter()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(ingredient_input)
        .filter(|row| !row.name.is_empty())
        .collect()
}

/// An ingredient row from an app that stores amount, unit and food apart: read through the
/// same parser as typed lines, so units are spelled the way Larder spells them.
fn structured_ingredient(
    amount: Option<f64>,
    unit: &str,
    food: &str,
    note: &str,
) -> IngredientInput {
    let amount = amount.filter(|a| a.is_finite() && *a > 0.0);
    let line = match amount {
        Some(amount) => format!("{amount} {} {}", unit.trim(), food.trim()),
        None => format!("{} {}", unit.trim(), food.trim()),
    };
    let mut row = ingredient_input(line.trim());
    if row.name.is_empty() {
        row.name = food.trim().to_owned();
    }
    let note = note.trim();
    if !note.is_empty() {
        row.note = if row.note.is_empty() {
            note.to_owned()
        } else {
            format!("{}, {note}", row.note)
        };
    }
    row
}

/// Text split into lines, trimmed, blank ones dropped.
fn non_empty_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An address usable as a recipe's source (http or https), else `None`.
fn web_address(text: &str) -> Option<String> {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")).then(|| text.to_owned())
}

/// Tags without blanks or case-insensitive repeats.
fn clean_tags(tags: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    tags.into_iter()
        .map(|tag| tag.trim().to_owned())
        .filter(|tag| !tag.is_empty() && seen.insert(tag.to_lowercase()))
        .collect()
}

/// The warnings every format gives for a recipe missing its essentials.
fn essentials_warnings(recipe: &mut ParsedRecipe) {
    if recipe.draft.steps.is_empty() {
        recipe.warnings.push(WarningKind::NoInstructions);
    }
    if recipe.draft.ingredients.is_empty() {
        recipe.warnings.push(WarningKind::NoIngredients);
    }
}

/// The title a recipe gets when the file gives none.
const UNTITLED: &str = "Untitled recipe";

/// The title, or "Untitled recipe" with a warning.
fn title_or_untitled(title: &str, warnings: &mut Vec<WarningKind>) -> String {
    let title = title.trim();
    if title.is_empty() {
        warnings.push(WarningKind::Untitled);
        UNTITLED.to_owned()
    } else {
        title.to_owned()
    }
}

/// JSON from bytes (a UTF-8 byte-order mark allowed).
fn parse_json(bytes: &[u8]) -> Result<serde_json::Value, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    serde_json::from_slice(bytes).map_err(|err| format!("not valid JSON ({err})"))
}

/// The string at `key`, or "".
fn str_field<'v>(value: &'v serde_json::Value, key: &str) -> &'v str {
    value
        .get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or("")
}
