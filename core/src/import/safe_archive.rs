//! Reading zip archives (and folders of files, the same way) from untrusted exports without
//! trusting them: how many entries, how
//! big each entry and all of them together really are (counted while decompressing, never
//! taken from the headers), entry names that would climb out of the archive (`../x`, `/etc/x`,
//! `C:\x`) set aside with a warning, and a damaged archive reported as one clear error.
//!
//! Nested archives (Tandoor's zip of zips) are read with the same caps, and share the outer
//! archive's byte budget.

use std::io::{Cursor, Read, Seek};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::ImportFileError;
use super::source::{FolderFile, ImportSource};

/// Most entries an archive may list.
pub const MAX_ENTRIES: usize = 100_000;
/// Largest entry, uncompressed. Above the largest attachment, so a photo that big is read and
/// then refused as an attachment with a warning rather than failing the whole file.
pub const MAX_ENTRY_BYTES: u64 = 64 * 1024 * 1024;
/// Most bytes decompressed from one file, every entry and nested archive together (an entry
/// read twice counts twice).
pub const MAX_TOTAL_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// The caps one import is read under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub entries: usize,
    pub entry_bytes: u64,
    pub total_bytes: u64,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        entries: MAX_ENTRIES,
        entry_bytes: MAX_ENTRY_BYTES,
        total_bytes: MAX_TOTAL_BYTES,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Whether bytes start like a zip archive (a local file header, or an empty archive's end
/// record).
pub fn looks_like_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// One file in the archive, by a name that is safe to reason about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub index: usize,
    /// The entry's path inside the archive, `/`-separated, without a leading `./`.
    pub name: String,
}

impl Entry {
    /// The last path component.
    pub fn file_name(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }

    /// Everything before the last `/` (empty at the top level).
    pub fn folder(&self) -> &str {
        self.name.rsplit_once('/').map_or("", |(folder, _)| folder)
    }

    /// The file name's extension, lower-cased.
    pub fn extension(&self) -> String {
        self.file_name()
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase())
            .unwrap_or_default()
    }
}

/// An archive opened for capped reading: a zip (from bytes at hand or a file read as needed),
/// or a folder of files (in memory, or on disk) read the same way.
pub struct SafeArchive<'a> {
    backend: Backend<'a>,
    entries: Vec<Entry>,
    unsafe_names: Vec<String>,
    budget: Arc<AtomicU64>,
    limits: Limits,
}

enum Backend<'a> {
    Zip(zip::ZipArchive<Box<dyn ReadSeek + 'a>>),
    /// Files handed over with their paths (a folder picked in a browser).
    Files(&'a [FolderFile]),
    /// A folder on disk; entry `i` is `paths[i]`.
    #[cfg(feature = "native")]
    Folder(Vec<std::path::PathBuf>),
}

/// A zip's bytes can come from anything that reads and seeks.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

impl<'a> SafeArchive<'a> {
    /// Opens an archive: reads its central directory (or lists the folder) and checks the
    /// entry count and names.
    pub fn open(source: ImportSource<'a>, limits: Limits) -> Result<Self, ImportFileError> {
        let budget = Arc::new(AtomicU64::new(limits.total_bytes));
        match source {
            ImportSource::Bytes(bytes) => {
                Self::open_zip(Box::new(Cursor::new(bytes)), budget, limits)
            }
            ImportSource::Files(files) => {
                let names = files.iter().map(|f| f.path.clone());
                Self::with_names(Backend::Files(files), names, budget, limits)
            }
            #[cfg(feature = "native")]
            ImportSource::Path(path) if path.is_dir() => {
                let (paths, names) = super::source::list_folder(path, limits.entries)?;
                Self::with_names(Backend::Folder(paths), names.into_iter(), budget, limits)
            }
            #[cfg(feature = "native")]
            ImportSource::Path(path) => {
                let file = std::fs::File::open(path).map_err(|err| {
                    ImportFileError::Unreadable(format!("{}: {err}", path.display()))
                })?;
                Self::open_zip(Box::new(std::io::BufReader::new(file)), budget, limits)
            }
        }
    }

    fn open_zip(
        reader: Box<dyn ReadSeek + 'a>,
        budget: Arc<AtomicU64>,
        limits: Limits,
    ) -> Result<Self, ImportFileError> {
        let archive = zip::ZipArchive::new(reader).map_err(damaged)?;
        if archive.len() > limits.entries {
            return Err(ImportFileError::TooManyEntries {
                count: archive.len(),
                max: limits.entries,
            });
        }
        let mut names = Vec::with_capacity(archive.len());
        for index in 0..archive.len() {
            match archive.name_for_index(index) {
                Some(name) => names.push(name.map_err(damaged)?.into_owned()),
                None => names.push(String::new()),
            }
        }
        Self::with_names(Backend::Zip(archive), names.into_iter(), budget, limits)
    }

    /// Entry `i` is the `i`-th name; folders (`…/`) and blanks are left out, unsafe names set
    /// aside.
    fn with_names(
        backend: Backend<'a>,
        names: impl Iterator<Item = String>,
        budget: Arc<AtomicU64>,
        limits: Limits,
    ) -> Result<Self, ImportFileError> {
        let mut entries = Vec::new();
        let mut unsafe_names = Vec::new();
        for (index, name) in names.enumerate() {
            if index >= limits.entries {
                return Err(ImportFileError::TooManyEntries {
                    count: index + 1,
                    max: limits.entries,
                });
            }
            if name.is_empty() || name.ends_with('/') {
                continue; // a folder
            }
            match safe_entry_name(&name) {
                Some(clean) => entries.push(Entry { index, name: clean }),
                None => unsafe_names.push(name),
            }
        }
        Ok(SafeArchive {
            backend,
            entries,
            unsafe_names,
            budget,
            limits,
        })
    }

    /// The files with safe names, in archive order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Entry names refused for climbing out of the archive (or otherwise unusable).
    pub fn unsafe_names(&self) -> &[String] {
        &self.unsafe_names
    }

    /// An entry's bytes, decompressed within the per-entry cap and the file's total budget,
    /// counted as they come (the sizes the headers claim are not trusted). The checksum is
    /// verified at the end of the entry, so a damaged entry is an error.
    pub fn read(&mut self, entry: &Entry) -> Result<Vec<u8>, ImportFileError> {
        match &mut self.backend {
            Backend::Zip(archive) => {
                let file = archive.by_index(entry.index).map_err(damaged)?;
                read_capped(&self.budget, self.limits, file, &entry.name)
            }
            Backend::Files(files) => {
                let file = files
                    .get(entry.index)
                    .ok_or_else(|| ImportFileError::DamagedArchive(entry.name.clone()))?;
                read_capped(
                    &self.budget,
                    self.limits,
                    file.bytes.as_slice(),
                    &entry.name,
                )
            }
            #[cfg(feature = "native")]
            Backend::Folder(paths) => {
                let path = paths
                    .get(entry.index)
                    .ok_or_else(|| ImportFileError::DamagedArchive(entry.name.clone()))?;
                let file = std::fs::File::open(path)
                    .map_err(|err| ImportFileError::Unreadable(format!("{}: {err}", entry.name)))?;
                read_capped(&self.budget, self.limits, file, &entry.name)
            }
        }
    }

    /// Reads a decompressing reader to its end within the per-entry cap, and charges what it
    /// gave to the file's budget (gzip members inside entries go through here too).
    pub fn read_capped(&self, reader: impl Read, name: &str) -> Result<Vec<u8>, ImportFileError> {
        read_capped(&self.budget, self.limits, reader, name)
    }

    /// An entry that is itself an archive, opened with the same caps and this file's budget.
    pub fn open_nested(&mut self, entry: &Entry) -> Result<SafeArchive<'static>, ImportFileError> {
        let bytes = self.read(entry)?;
        self.nested(bytes)
    }

    /// An archive read out of this one (with [`SafeArchive::read`]), with the same caps and this
    /// file's budget.
    pub fn nested(&self, bytes: Vec<u8>) -> Result<SafeArchive<'static>, ImportFileError> {
        SafeArchive::open_zip(
            Box::new(Cursor::new(bytes)),
            Arc::clone(&self.budget),
            self.limits,
        )
    }
}

/// [`SafeArchive::read_capped`] on its parts.
fn read_capped(
    budget: &AtomicU64,
    limits: Limits,
    reader: impl Read,
    name: &str,
) -> Result<Vec<u8>, ImportFileError> {
    let remaining = budget.load(Ordering::Relaxed);

    let limit = limits.entry_bytes.min(remaining);
    let mut out = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|err| ImportFileError::DamagedArchive(format!("{name}: {err}")))?;
    let read = out.len() as u64;
    if read > limit {
        return Err(if limit < limits.entry_bytes {
            ImportFileError::TooLarge {
                max: limits.total_bytes,
            }
        } else {
            ImportFileError::EntryTooLarge {
                name: name.to_owned(),
                max: limits.entry_bytes,
            }
        });
    }
    budget.fetch_sub(read, Ordering::Relaxed);
    Ok(out)
}

fn damaged(err: zip::result::ZipError) -> ImportFileError {
    ImportFileError::DamagedArchive(err.to_string())
}

/// The entry name with `\` read as `/` and `./` parts dropped, or `None` when it is absolute,
/// has a drive letter, climbs with `..`, holds a NUL or is empty.
fn safe_entry_name(raw: &str) -> Option<String> {
    let name = raw.replace('\\', "/");
    if name.starts_with('/') || name.contains('\0') {
        return None;
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            part => parts.push(part),
        }
    }
    if let Some(first) = parts.first()
        && first.len() == 2
        && first.ends_with(':')
    {
        return None;
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_that_climb_out_are_refused() {
        assert_eq!(safe_entry_name("a/b.json").as_deref(), Some("a/b.json"));
        assert_eq!(safe_entry_name("./a//b.json").as_deref(), Some("a/b.json"));
        assert_eq!(safe_entry_name("a\\b.json").as_deref(), Some("a/b.json"));
        assert_eq!(safe_entry_name("../x"), None);
        assert_eq!(safe_entry_name("a/../../x"), None);
        assert_eq!(safe_entry_name("/etc/passwd"), None);
        assert_eq!(safe_entry_name("C:/x"), None);
        assert_eq!(safe_entry_name(""), None);
    }

    #[test]
    fn entry_paths_split_into_folder_and_name() {
        let entry = Entry {
            index: 0,
            name: "Soup/images/original.WEBP".into(),
        };
        assert_eq!(entry.folder(), "Soup/images");
        assert_eq!(entry.file_name(), "original.WEBP");
        assert_eq!(entry.extension(), "webp");
    }
}
