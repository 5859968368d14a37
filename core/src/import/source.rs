//! Where an import reads from: a file's bytes at hand (the browser, the apps), a file or a
//! folder on disk read as it is needed (the CLI: a multi-gigabyte export is never held in
//! memory whole, its entries are read one at a time), or a folder's files handed over with
//! their paths (a Nextcloud Cookbook folder picked in a browser).

use serde::{Deserialize, Serialize};

use super::ImportFileError;

#[derive(Debug, Clone, Copy)]
pub enum ImportSource<'a> {
    Bytes(&'a [u8]),
    Files(&'a [FolderFile]),
    /// A file or a folder on disk.
    #[cfg(feature = "native")]
    Path(&'a std::path::Path),
}

/// One file of a folder, by its path inside the folder (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// What an import source holds before its format is known.
pub(crate) enum Content<'a> {
    /// One file's bytes (formats read whole: JSON, HTML, text, a gzip'd recipe).
    Bytes(std::borrow::Cow<'a, [u8]>),
    /// A zip archive or a folder: read entry by entry through `SafeArchive`.
    Archive,
}

impl<'a> ImportSource<'a> {
    /// Looks at the source: an archive (a zip, a folder) is opened later entry by entry; any
    /// other file is read whole, up to `max_bytes`.
    pub(crate) fn content(self, max_bytes: u64) -> Result<Content<'a>, ImportFileError> {
        match self {
            ImportSource::Bytes(bytes) if super::safe_archive::looks_like_zip(bytes) => {
                Ok(Content::Archive)
            }
            ImportSource::Bytes(bytes) if bytes.len() as u64 > max_bytes => {
                Err(ImportFileError::TooLarge { max: max_bytes })
            }
            ImportSource::Bytes(bytes) => Ok(Content::Bytes(bytes.into())),
            ImportSource::Files(_) => Ok(Content::Archive),
            #[cfg(feature = "native")]
            ImportSource::Path(path) if path.is_dir() => Ok(Content::Archive),
            #[cfg(feature = "native")]
            ImportSource::Path(path) => {
                use std::io::Read;
                let unreadable = |err: std::io::Error| {
                    ImportFileError::Unreadable(format!("{}: {err}", path.display()))
                };
                let mut file = std::fs::File::open(path).map_err(unreadable)?;
                let mut head = [0u8; 4];
                let got = read_up_to(&mut file, &mut head).map_err(unreadable)?;
                if super::safe_archive::looks_like_zip(&head[..got]) {
                    return Ok(Content::Archive);
                }
                let mut bytes = head[..got].to_vec();
                file.take(max_bytes.saturating_add(1))
                    .read_to_end(&mut bytes)
                    .map_err(unreadable)?;
                if bytes.len() as u64 > max_bytes {
                    return Err(ImportFileError::TooLarge { max: max_bytes });
                }
                Ok(Content::Bytes(bytes.into()))
            }
        }
    }
}

#[cfg(feature = "native")]
fn read_up_to(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    use std::io::Read;
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// The files under `root` (depth first, sorted so every run lists them alike) with their
/// `/`-separated paths inside it, at most `max` of them. Symbolic links are never followed
/// (they could lead anywhere on the disk): they are listed under a name the archive reader
/// sets aside as unsafe.
#[cfg(feature = "native")]
pub(crate) fn list_folder(
    root: &std::path::Path,
    max: usize,
) -> Result<(Vec<std::path::PathBuf>, Vec<String>), ImportFileError> {
    let unreadable = |path: &std::path::Path, err: std::io::Error| {
        ImportFileError::Unreadable(format!("{}: {err}", path.display()))
    };
    let mut paths = Vec::new();
    let mut names = Vec::new();
    let mut pending = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = pending.pop() {
        let mut children: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| unreadable(&dir, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| unreadable(&dir, e))?;
        children.sort_by_key(|c| c.file_name());
        let mut folders = Vec::new();
        for child in children {
            let name = format!("{prefix}{}", child.file_name().to_string_lossy());
            let kind = child
                .file_type()
                .map_err(|e| unreadable(&child.path(), e))?;
            if kind.is_dir() {
                folders.push((child.path(), format!("{name}/")));
            } else {
                if paths.len() >= max {
                    return Err(ImportFileError::TooManyEntries {
                        count: paths.len() + 1,
                        max,
                    });
                }
                paths.push(child.path());
                // A link's name is made unsafe on purpose (an absolute path), so it is listed
                // among the names set aside and never opened.
                names.push(if kind.is_symlink() {
                    format!("/{name}")
                } else {
                    name
                });
            }
        }
        // Popped in name order.
        pending.extend(folders.into_iter().rev());
    }
    Ok((paths, names))
}
