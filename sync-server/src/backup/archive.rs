//! The backup file: a gzip'd tar, written and read as a stream.
//!
//! ```text
//! larder-backup/db.records                 every store record: (u32 BE length, bytes) × 3 =
//!                                          collection, key, value; one point in time
//! larder-backup/blobs/<2 hex>/<64 hex>     every blob file, named by its SHA-256
//! larder-backup/manifest.json              last: format, version, created, id watermark,
//!                                          counts, size + SHA-256 of every entry, and
//!                                          content_sha256 over that list (the whole backup)
//! ```
//! Reading accepts exactly these paths (nothing else, so a crafted archive cannot write
//! elsewhere), recomputes every digest and compares them with the manifest; gzip's CRC covers
//! the stream as a whole.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::UnixMs;
use crate::store::{RelayStore, StoreError};

pub const FORMAT: &str = "larder-backup";
pub const VERSION: u32 = 1;
const DB_ENTRY: &str = "larder-backup/db.records";
const MANIFEST_ENTRY: &str = "larder-backup/manifest.json";
const BLOB_PREFIX: &str = "larder-backup/blobs/";
/// Where blobs live in a data directory: `blobs/<2 hex>/<64 hex>`.
pub const BLOBS_DIR: &str = "blobs";
/// Longest collection name or key a record may have; values may be up to the entry's size.
const MAX_NAME: u32 = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("not a valid backup: {0}")]
    Invalid(String),
    #[error("{0}")]
    Refused(String),
}

fn invalid(msg: impl Into<String>) -> BackupError {
    BackupError::Invalid(msg.into())
}

/// Size and SHA-256 of one archive entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryDigest {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub created_at: UnixMs,
    /// Above every sequence number the store had given out (see `RelayStore::export`).
    pub id_watermark: u64,
    /// Records per collection (names lossily decoded for reading; they are stored exactly).
    pub collections: BTreeMap<String, u64>,
    pub records: u64,
    pub blobs: u64,
    pub blob_bytes: u64,
    pub entries: Vec<EntryDigest>,
    /// SHA-256 over `path \t size \t sha256 \n` of every entry, in order.
    pub content_sha256: String,
}

/// What a backup or restore reports as it goes.
#[derive(Debug, Clone)]
pub enum Progress {
    /// The store snapshot is taken: this many records.
    Snapshot { records: u64 },
    /// Blobs copied so far, of how many.
    Blob { done: u64, total: u64 },
}

fn content_sha256(entries: &[EntryDigest]) -> String {
    let mut h = Sha256::new();
    for e in entries {
        h.update(format!("{}\t{}\t{}\n", e.path, e.size, e.sha256));
    }
    hex(&h.finalize())
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
    size: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

impl<R> Hashing<R> {
    fn new(inner: R) -> Self {
        Hashing {
            inner,
            hash: Sha256::new(),
            size: 0,
        }
    }
    fn digest(self, path: String) -> EntryDigest {
        EntryDigest {
            path,
            size: self.size,
            sha256: hex(&self.hash.finalize()),
        }
    }
}

/// Every blob file in `data_dir/blobs` (`<2 hex>/<64 hex>`, the hex prefix matching); other
/// files (temp uploads) are not blobs. A missing directory has none.
pub fn list_blobs(data_dir: &Path) -> io::Result<Vec<(String, PathBuf)>> {
    let root = data_dir.join(BLOBS_DIR);
    let mut out = Vec::new();
    let shards = match std::fs::read_dir(&root) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for shard in shards {
        let shard = shard?;
        let prefix = shard.file_name().to_string_lossy().into_owned();
        if !is_hex(&prefix, 2) || !shard.file_type()?.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(shard.path())? {
            let file = file?;
            let name = file.file_name().to_string_lossy().into_owned();
            if is_hex(&name, 64) && name.starts_with(&prefix) && file.file_type()?.is_file() {
                out.push((name, file.path()));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn tar_header(size: u64, now: UnixMs) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_size(size);
    h.set_mode(0o600);
    h.set_mtime(u64::try_from(now / 1000).unwrap_or(0));
    h.set_entry_type(tar::EntryType::Regular);
    h
}

fn put_record(w: &mut impl Write, parts: [&[u8]; 3]) -> io::Result<()> {
    for part in parts {
        let len = u32::try_from(part.len())
            .map_err(|_| io::Error::other("a record is larger than 4 GiB"))?;
        w.write_all(&len.to_be_bytes())?;
        w.write_all(part)?;
    }
    Ok(())
}

/// Writes a backup of `store` and the blobs under `data_dir` to `out`.
///
/// Consistency: the store's records are copied in one exclusive [`RelayStore::export`] (writers
/// pause for it) into an anonymous temp file in `staging_dir`, so the pause lasts as long as a
/// local file copy, not as long as the (possibly slow) output. Blobs are immutable and written
/// before any record refers to them, so every blob the snapshot refers to is on disk when the
/// blob directory is listed afterwards; blobs uploaded meanwhile come along harmlessly.
pub fn write_backup(
    store: &dyn RelayStore,
    data_dir: &Path,
    staging_dir: &Path,
    out: impl Write,
    now: UnixMs,
    progress: &mut dyn FnMut(Progress),
) -> Result<Manifest, BackupError> {
    let mut staging = tempfile::tempfile_in(staging_dir)?;
    let mut collections: BTreeMap<String, u64> = BTreeMap::new();
    let mut records = 0u64;
    let watermark = {
        let mut w = BufWriter::new(&mut staging);
        let mut last: Option<(Vec<u8>, String)> = None;
        let watermark = store.export(&mut |tree, key, value| {
            put_record(&mut w, [tree, key, value])?;
            records += 1;
            let name = match &last {
                Some((raw, name)) if raw.as_slice() == tree => name.clone(),
                _ => {
                    let name = String::from_utf8_lossy(tree).into_owned();
                    last = Some((tree.to_vec(), name.clone()));
                    name
                }
            };
            *collections.entry(name).or_default() += 1;
            Ok(())
        })?;
        w.flush()?;
        watermark
    };
    progress(Progress::Snapshot { records });
    let db_size = staging.stream_position()?;
    staging.rewind()?;

    let gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    let mut entries = Vec::new();

    let mut reader = Hashing::new(BufReader::new(staging));
    tar.append_data(&mut tar_header(db_size, now), DB_ENTRY, &mut reader)?;
    entries.push(reader.digest(DB_ENTRY.to_owned()));

    let blobs = list_blobs(data_dir)?;
    let total = blobs.len() as u64;
    let (mut blob_count, mut blob_bytes) = (0u64, 0u64);
    for (i, (name, path)) in blobs.into_iter().enumerate() {
        // Checked before it goes in: a damaged file is reported, not backed up as if sound.
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        let size = file.metadata()?.len();
        let mut check = Hashing::new(BufReader::new(file));
        io::copy(&mut check, &mut io::sink())?;
        let checked = check.digest(String::new());
        if checked.sha256 != name || checked.size != size {
            tracing::error!(
                blob = name,
                "blob file does not match its hash; left out of the backup"
            );
            continue;
        }
        let entry_path = format!("{BLOB_PREFIX}{}/{name}", &name[..2]);
        let mut reader = Hashing::new(BufReader::new(File::open(&path)?));
        tar.append_data(&mut tar_header(size, now), &entry_path, &mut reader)?;
        let digest = reader.digest(entry_path);
        if digest.sha256 != name {
            return Err(invalid(format!("blob {name} changed while it was copied")));
        }
        blob_count += 1;
        blob_bytes += size;
        entries.push(digest);
        progress(Progress::Blob {
            done: i as u64 + 1,
            total,
        });
    }

    let manifest = Manifest {
        format: FORMAT.to_owned(),
        version: VERSION,
        created_at: now,
        id_watermark: watermark,
        collections,
        records,
        blobs: blob_count,
        blob_bytes,
        content_sha256: content_sha256(&entries),
        entries,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(io::Error::other)?;
    tar.append_data(
        &mut tar_header(json.len() as u64, now),
        MANIFEST_ENTRY,
        json.as_slice(),
    )?;
    let gz = tar.into_inner()?;
    let mut out = gz.finish()?;
    out.flush()?;
    Ok(manifest)
}

/// What [`read_backup`] hands on as it reads.
pub trait Restorer {
    fn record(&mut self, collection: &[u8], key: &[u8], value: &[u8]) -> Result<(), BackupError>;
    /// A blob's bytes; the hash is checked by the reader before the backup is accepted, so a
    /// restorer that writes must not trust it until [`read_backup`] returns Ok.
    fn blob(&mut self, sha256: &str, content: &mut dyn Read) -> Result<(), BackupError>;
}

/// Only checks.
pub struct VerifyOnly;

impl Restorer for VerifyOnly {
    fn record(&mut self, _: &[u8], _: &[u8], _: &[u8]) -> Result<(), BackupError> {
        Ok(())
    }
    fn blob(&mut self, _: &str, content: &mut dyn Read) -> Result<(), BackupError> {
        io::copy(content, &mut io::sink())?;
        Ok(())
    }
}

fn read_u32(r: &mut impl Read) -> io::Result<Option<u32>> {
    let mut buf = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        let n = r.read(&mut buf[got..])?;
        if n == 0 {
            return if got == 0 {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        got += n;
    }
    Ok(Some(u32::from_be_bytes(buf)))
}

fn read_part(r: &mut impl Read, len: u32, remaining: &mut u64) -> Result<Vec<u8>, BackupError> {
    let len64 = u64::from(len);
    if len64 > *remaining {
        return Err(invalid("a record runs past the end of the store snapshot"));
    }
    *remaining -= len64;
    // Grown as bytes arrive, so a damaged length cannot make us allocate gigabytes up front.
    let mut buf = Vec::new();
    r.take(len64).read_to_end(&mut buf)?;
    if buf.len() as u64 != len64 {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
    }
    Ok(buf)
}

/// Reads the store snapshot entry (`size` bytes), handing each record on.
fn read_records(
    r: &mut impl Read,
    size: u64,
    restorer: &mut dyn Restorer,
    collections: &mut BTreeMap<String, u64>,
) -> Result<u64, BackupError> {
    let mut remaining = size;
    let mut records = 0u64;
    while let Some(len) = read_u32(r)? {
        remaining = remaining.saturating_sub(4);
        if len > MAX_NAME {
            return Err(invalid(
                "a collection name in the store snapshot is too long",
            ));
        }
        let tree = read_part(r, len, &mut remaining)?;
        let mut next = || -> Result<Vec<u8>, BackupError> {
            let len = read_u32(r)?.ok_or_else(|| invalid("the store snapshot is cut short"))?;
            remaining = remaining.saturating_sub(4);
            read_part(r, len, &mut remaining)
        };
        let key = next()?;
        let value = next()?;
        restorer.record(&tree, &key, &value)?;
        *collections
            .entry(String::from_utf8_lossy(&tree).into_owned())
            .or_default() += 1;
        records += 1;
    }
    Ok(records)
}

/// Reads and checks a whole backup, handing its contents to `restorer`; returns the manifest
/// once every digest, count and the content checksum match it.
pub fn read_backup(input: impl Read, restorer: &mut dyn Restorer) -> Result<Manifest, BackupError> {
    let gz = flate2::read::GzDecoder::new(input);
    let mut archive = tar::Archive::new(gz);
    let mut seen: Vec<EntryDigest> = Vec::new();
    let mut collections = BTreeMap::new();
    let mut records = None;
    let mut manifest: Option<Manifest> = None;
    for entry in archive.entries()? {
        let entry = entry?;
        if manifest.is_some() {
            return Err(invalid("entries after the manifest"));
        }
        let path = entry
            .path()?
            .to_str()
            .map(str::to_owned)
            .ok_or_else(|| invalid("an entry path is not UTF-8"))?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            return Err(invalid(format!("{path}: not a regular file")));
        }
        let size = entry.header().size()?;
        let mut reader = Hashing::new(entry);
        if path == DB_ENTRY {
            if records.is_some() {
                return Err(invalid("two store snapshots"));
            }
            records = Some(read_records(&mut reader, size, restorer, &mut collections)?);
        } else if path == MANIFEST_ENTRY {
            let mut json = Vec::new();
            reader.read_to_end(&mut json)?;
            manifest = Some(
                serde_json::from_slice(&json)
                    .map_err(|e| invalid(format!("unreadable manifest: {e}")))?,
            );
            continue;
        } else if let Some(rest) = path.strip_prefix(BLOB_PREFIX) {
            let name = match rest.split_once('/') {
                Some((shard, name))
                    if is_hex(shard, 2) && is_hex(name, 64) && name.starts_with(shard) =>
                {
                    name.to_owned()
                }
                _ => return Err(invalid(format!("unexpected entry {path}"))),
            };
            restorer.blob(&name, &mut reader)?;
            io::copy(&mut reader, &mut io::sink())?;
            if hex(&reader.hash.clone().finalize()) != name {
                return Err(invalid(format!("blob {name} does not match its hash")));
            }
        } else {
            return Err(invalid(format!("unexpected entry {path}")));
        }
        io::copy(&mut reader, &mut io::sink())?;
        seen.push(reader.digest(path));
    }
    // tar stops at its end marker; the rest of the stream (padding and gzip's CRC and length
    // trailer) must be read too, or damage there, or in bytes tar skips, goes unnoticed.
    io::copy(&mut archive.into_inner(), &mut io::sink())?;
    let manifest = manifest.ok_or_else(|| invalid("no manifest (the file is incomplete)"))?;
    if manifest.format != FORMAT {
        return Err(invalid(format!(
            "format {:?} is not {FORMAT}",
            manifest.format
        )));
    }
    if manifest.version > VERSION {
        return Err(invalid(format!(
            "written by a newer larder-server (version {}; this one reads up to {VERSION})",
            manifest.version
        )));
    }
    if seen != manifest.entries {
        let bad = seen
            .iter()
            .zip(&manifest.entries)
            .find(|(a, b)| a != b)
            .map_or_else(|| "the list of entries".to_owned(), |(a, _)| a.path.clone());
        return Err(invalid(format!("{bad} does not match the manifest")));
    }
    if content_sha256(&seen) != manifest.content_sha256 {
        return Err(invalid("the content checksum does not match"));
    }
    if records != Some(manifest.records) || collections != manifest.collections {
        return Err(invalid("record counts do not match the manifest"));
    }
    let blobs = seen
        .iter()
        .filter(|e| e.path.starts_with(BLOB_PREFIX))
        .count() as u64;
    if blobs != manifest.blobs {
        return Err(invalid("blob count does not match the manifest"));
    }
    Ok(manifest)
}

/// Writes blobs into `data_dir/blobs/<2 hex>/<64 hex>` (temp file, fsync, rename).
pub fn store_blob(data_dir: &Path, sha256: &str, content: &mut dyn Read) -> io::Result<()> {
    let shard = data_dir.join(BLOBS_DIR).join(&sha256[..2]);
    std::fs::create_dir_all(&shard)?;
    let mut tmp = tempfile::NamedTempFile::new_in(&shard)?;
    io::copy(content, &mut tmp)?;
    tmp.as_file().sync_all()?;
    tmp.persist(shard.join(sha256)).map_err(|e| e.error)?;
    Ok(())
}
