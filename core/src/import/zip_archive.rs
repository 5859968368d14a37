//! Reading zip archives from untrusted exports without trusting them: how many entries, how
//! big each entry and all of them together really are (counted while decompressing, never
//! taken from the headers), entry names that would climb out of the archive (`../x`, `/etc/x`,
//! `C:\x`) set aside with a warning, and a damaged archive reported as one clear error.
//!
//! Nested archives (Tandoor's zip of zips) are read with the same caps, and share the outer
//! archive's byte budget.

use std::io::{Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::ImportFileError;

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

/// An archive opened for capped reading.
pub struct SafeZip<'a> {
    archive: zip::ZipArchive<Cursor<ZipBytes<'a>>>,
    entries: Vec<Entry>,
    unsafe_names: Vec<String>,
    budget: Arc<AtomicU64>,
    limits: Limits,
}

/// The archive's bytes: the file itself, or a nested archive read out of it.
enum ZipBytes<'a> {
    Borrowed(&'a [u8]),
    Owned(Vec<u8>),
}

impl AsRef<[u8]> for ZipBytes<'_> {
    fn as_ref(&self) -> &[u8] {
        match self {
            ZipBytes::Borrowed(bytes) => bytes,
            ZipBytes::Owned(bytes) => bytes,
        }
    }
}

impl<'a> SafeZip<'a> {
    /// Opens an archive: reads its central directory and checks the entry count and names.
    pub fn open(bytes: &'a [u8], limits: Limits) -> Result<Self, ImportFileError> {
        let budget = Arc::new(AtomicU64::new(limits.total_bytes));
        Self::open_with(ZipBytes::Borrowed(bytes), budget, limits)
    }

    fn open_with(
        bytes: ZipBytes<'a>,
        budget: Arc<AtomicU64>,
        limits: Limits,
    ) -> Result<Self, ImportFileError> {
        let archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(damaged)?;
        if archive.len() > limits.entries {
            return Err(ImportFileError::TooManyEntries {
                count: archive.len(),
                max: limits.entries,
            });
        }
        let mut entries = Vec::with_capacity(archive.len());
        let mut unsafe_names = Vec::new();
        for index in 0..archive.len() {
            let Some(name) = archive.name_for_index(index) else {
                continue;
            };
            let name = name.map_err(damaged)?;
            if name.ends_with('/') {
                continue; // a folder
            }
            match safe_entry_name(&name) {
                Some(clean) => entries.push(Entry { index, name: clean }),
                None => unsafe_names.push(name.into_owned()),
            }
        }
        Ok(SafeZip {
            archive,
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
        let file = self.archive.by_index(entry.index).map_err(damaged)?;
        read_capped(&self.budget, self.limits, file, &entry.name)
    }

    /// Reads a decompressing reader to its end within the per-entry cap, and charges what it
    /// gave to the file's budget (gzip members inside entries go through here too).
    pub fn read_capped(&self, reader: impl Read, name: &str) -> Result<Vec<u8>, ImportFileError> {
        read_capped(&self.budget, self.limits, reader, name)
    }

    /// An entry that is itself an archive, opened with the same caps and this file's budget.
    pub fn open_nested(&mut self, entry: &Entry) -> Result<SafeZip<'static>, ImportFileError> {
        let bytes = self.read(entry)?;
        self.nested(bytes)
    }

    /// An archive read out of this one (with [`SafeZip::read`]), with the same caps and this
    /// file's budget.
    pub fn nested(&self, bytes: Vec<u8>) -> Result<SafeZip<'static>, ImportFileError> {
        SafeZip::open_with(
            ZipBytes::Owned(bytes),
            Arc::clone(&self.budget),
            self.limits,
        )
    }
}

/// [`SafeZip::read_capped`] on its parts.
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
