//! Blob files on disk: `DATA/blobs/<first 2 hex>/<64 hex>`, uploads streamed into
//! `DATA/blobs/tmp/` first. [`BlobFiles::receive`] writes a request body to a temp file in
//! constant memory while hashing and counting it, and only a complete body of the right size
//! and hash is fsynced and renamed into place (then the directory is fsynced). Any other end —
//! a wrong hash, too many bytes, a dropped connection, a cancelled handler — removes the temp
//! file (a drop guard), so nothing half-written is ever visible.

use std::io;
use std::path::{Path, PathBuf};

use axum::body::Bytes;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::BlobHash;

pub const BLOBS_DIR: &str = "blobs";
const TMP_DIR: &str = "tmp";
/// Write buffer between body frames and the file.
const WRITE_BUFFER: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error("the body is larger than {max} bytes")]
    TooLarge { max: u64 },
    #[error("the body's SHA-256 is {actual}, not the one in the URL")]
    HashMismatch { actual: String },
    #[error("the upload was interrupted: {0}")]
    Body(String),
    #[error("blob storage: {0}")]
    Io(#[from] io::Error),
}

/// The blob directory of one data directory.
#[derive(Debug, Clone)]
pub struct BlobFiles {
    root: PathBuf,
}

/// Removes a temp file when dropped, unless it was renamed into place.
struct TempGuard {
    path: Option<PathBuf>,
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(path) = self.path.take()
            && let Err(e) = std::fs::remove_file(&path)
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(path = %path.display(), error = %e, "cannot remove a temp upload");
        }
    }
}

impl BlobFiles {
    pub fn new(data_dir: &Path) -> Self {
        BlobFiles {
            root: data_dir.join(BLOBS_DIR),
        }
    }

    /// `DATA/blobs`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `DATA/blobs/tmp`.
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join(TMP_DIR)
    }

    /// Where a blob's bytes live.
    pub fn path(&self, hash: &BlobHash) -> PathBuf {
        self.root.join(&hash.as_str()[..2]).join(hash.as_str())
    }

    pub async fn exists(&self, hash: &BlobHash) -> bool {
        tokio::fs::try_exists(self.path(hash))
            .await
            .unwrap_or(false)
    }

    /// Deletes a blob's bytes; false if there were none.
    pub fn remove(&self, hash: &BlobHash) -> io::Result<bool> {
        match std::fs::remove_file(self.path(hash)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Removes temp files a crash left behind (call before serving).
    pub fn clean_tmp(&self) -> io::Result<usize> {
        let dir = self.tmp_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut removed = 0;
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                std::fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Streams `body` to a temp file, at most `max` bytes, and moves it to `expected`'s place
    /// if its SHA-256 is `expected`. Returns the size. If the blob is already stored, the body
    /// is still read and verified in full, and the stored file is kept.
    pub async fn receive<S, E>(
        &self,
        expected: &BlobHash,
        max: u64,
        body: S,
    ) -> Result<u64, ReceiveError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        let tmp_dir = self.tmp_dir();
        tokio::fs::create_dir_all(&tmp_dir).await?;
        let tmp_path = tmp_dir.join(format!("{}.part", crate::secret::random_hex(16)));
        let mut guard = TempGuard {
            path: Some(tmp_path.clone()),
        };
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp_path)
            .await?;
        let mut out = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        futures::pin_mut!(body);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| ReceiveError::Body(e.to_string()))?;
            size = size.saturating_add(chunk.len() as u64);
            if size > max {
                return Err(ReceiveError::TooLarge { max });
            }
            hasher.update(&chunk);
            out.write_all(&chunk).await?;
        }
        let actual = BlobHash::from_digest(&hasher.finalize());
        if &actual != expected {
            return Err(ReceiveError::HashMismatch {
                actual: actual.to_string(),
            });
        }
        out.flush().await?;
        let file = out.into_inner();
        file.sync_all().await?;
        drop(file);

        let target = self.path(expected);
        if tokio::fs::try_exists(&target).await? {
            // Already stored (same bytes, by their hash): the guard removes the copy.
            return Ok(size);
        }
        let parent = target
            .parent()
            .map(Path::to_owned)
            .unwrap_or_else(|| self.root.clone());
        tokio::fs::create_dir_all(&parent).await?;
        tokio::fs::rename(&tmp_path, &target).await?;
        guard.path = None;
        sync_dir(parent).await?;
        Ok(size)
    }
}

/// Makes a rename in `dir` durable.
async fn sync_dir(dir: PathBuf) -> io::Result<()> {
    tokio::task::spawn_blocking(move || std::fs::File::open(&dir)?.sync_all())
        .await
        .map_err(io::Error::other)?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(chunks: Vec<&'static [u8]>) -> impl Stream<Item = Result<Bytes, String>> {
        futures::stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from_static(c))))
    }

    fn hash_of(data: &[u8]) -> BlobHash {
        BlobHash::from_digest(&Sha256::digest(data))
    }

    fn tmp_is_empty(files: &BlobFiles) -> bool {
        std::fs::read_dir(files.tmp_dir())
            .map(|mut d| d.next().is_none())
            .unwrap_or(true)
    }

    #[tokio::test]
    async fn stores_verified_bytes_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let files = BlobFiles::new(tmp.path());
        let hash = hash_of(b"hello world");
        let size = files
            .receive(&hash, 100, stream(vec![b"hello ", b"world"]))
            .await
            .unwrap();
        assert_eq!(size, 11);
        assert_eq!(std::fs::read(files.path(&hash)).unwrap(), b"hello world");
        assert!(tmp_is_empty(&files));

        // Again: idempotent.
        files
            .receive(&hash, 100, stream(vec![b"hello world"]))
            .await
            .unwrap();
        assert!(tmp_is_empty(&files));

        let other = hash_of(b"other");
        let err = files
            .receive(&other, 100, stream(vec![b"not other"]))
            .await
            .unwrap_err();
        assert!(matches!(err, ReceiveError::HashMismatch { .. }), "{err}");
        assert!(!files.path(&other).exists());
        assert!(tmp_is_empty(&files));

        let err = files
            .receive(&other, 4, stream(vec![b"ot", b"her"]))
            .await
            .unwrap_err();
        assert!(matches!(err, ReceiveError::TooLarge { max: 4 }), "{err}");
        assert!(tmp_is_empty(&files));

        let broken = futures::stream::iter(vec![
            Ok(Bytes::from_static(b"oth")),
            Err("connection reset".to_string()),
        ]);
        let err = files.receive(&other, 100, broken).await.unwrap_err();
        assert!(matches!(err, ReceiveError::Body(_)), "{err}");
        assert!(tmp_is_empty(&files));
        assert!(!files.path(&other).exists());
    }
}
