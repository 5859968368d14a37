//! Signed, expiring blob URLs, so a CDN can fetch blobs without ever seeing a session token.
//! A signature is HMAC-SHA256 over (blob hash, owner's user id, expiry in Unix ms) with the
//! relay's secret: `blob_url_secret` from the configuration, or else 32 random bytes kept in
//! `DATA/blob-url.key` (created on first use, mode 0600). Verification is constant-time
//! (`hmac`'s `verify_slice`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::BlobHash;
use crate::clock::{UnixMs, duration_ms};
use crate::store::UserId;

pub const SECRET_FILE: &str = "blob-url.key";
const SECRET_BYTES: usize = 32;
const DOMAIN: &[u8] = b"larder blob url v1";

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("blob URL secret {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("blob URL secret {0} is not 64 hex digits")]
    BadSecretFile(PathBuf),
}

pub struct UrlSigner {
    secret_file: PathBuf,
    configured: Option<Vec<u8>>,
    ttl: Duration,
    key: tokio::sync::OnceCell<Vec<u8>>,
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UrlSigner")
            .field("secret_file", &self.secret_file)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl UrlSigner {
    pub fn new(data_dir: &Path, configured: Option<String>, ttl: Duration) -> Self {
        UrlSigner {
            secret_file: data_dir.join(SECRET_FILE),
            configured: configured.map(String::into_bytes),
            ttl,
            key: tokio::sync::OnceCell::new(),
        }
    }

    /// How long a new URL stays valid.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    async fn key(&self) -> Result<&[u8], SignError> {
        self.key
            .get_or_try_init(|| async {
                if let Some(k) = &self.configured {
                    return Ok(k.clone());
                }
                let path = self.secret_file.clone();
                tokio::task::spawn_blocking(move || load_or_create(&path))
                    .await
                    .map_err(|e| SignError::Io {
                        path: self.secret_file.clone(),
                        source: std::io::Error::other(e),
                    })?
            })
            .await
            .map(Vec::as_slice)
    }

    fn mac(key: &[u8], hash: &BlobHash, user: &UserId, expires: UnixMs) -> HmacSha256 {
        // HMAC takes keys of any length.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| {
            unreachable!("HMAC accepts every key length");
        });
        mac.update(DOMAIN);
        mac.update(b"\0");
        mac.update(hash.as_str().as_bytes());
        mac.update(b"\0");
        mac.update(user.as_str().as_bytes());
        mac.update(b"\0");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// A signature valid until now + TTL: `(expires, sig)`.
    pub async fn sign(
        &self,
        hash: &BlobHash,
        user: &UserId,
        now: UnixMs,
    ) -> Result<(UnixMs, String), SignError> {
        let expires = now.saturating_add(duration_ms(self.ttl));
        let tag = Self::mac(self.key().await?, hash, user, expires)
            .finalize()
            .into_bytes();
        Ok((expires, URL_SAFE_NO_PAD.encode(tag)))
    }

    /// Whether `sig` signs (hash, user, expires) and `expires` is not past.
    pub async fn verify(
        &self,
        hash: &BlobHash,
        user: &UserId,
        expires: UnixMs,
        sig: &str,
        now: UnixMs,
    ) -> Result<bool, SignError> {
        let Ok(tag) = URL_SAFE_NO_PAD.decode(sig) else {
            return Ok(false);
        };
        let valid = Self::mac(self.key().await?, hash, user, expires)
            .verify_slice(&tag)
            .is_ok();
        Ok(valid && now <= expires)
    }
}

fn load_or_create(path: &Path) -> Result<Vec<u8>, SignError> {
    let io = |source| SignError::Io {
        path: path.to_owned(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            return hex::decode(text.trim())
                .ok()
                .filter(|k| k.len() == SECRET_BYTES)
                .ok_or_else(|| SignError::BadSecretFile(path.to_owned()));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    let key = crate::secret::random_bytes::<SECRET_BYTES>().to_vec();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            use std::io::Write;
            file.write_all(hex::encode(&key).as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)?;
            tracing::info!(path = %path.display(), "created the blob URL signing secret");
            Ok(key)
        }
        // Another process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_or_create(path),
        Err(e) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn signatures_bind_hash_user_and_expiry() {
        let tmp = tempfile::tempdir().unwrap();
        let signer = UrlSigner::new(tmp.path(), None, Duration::from_secs(60));
        let hash = BlobHash::parse(&"ab".repeat(32)).unwrap();
        let other = BlobHash::parse(&"cd".repeat(32)).unwrap();
        let (user, someone) = (UserId::random(), UserId::random());
        let (expires, sig) = signer.sign(&hash, &user, 1_000).await.unwrap();
        assert_eq!(expires, 61_000);
        assert!(
            signer
                .verify(&hash, &user, expires, &sig, 2_000)
                .await
                .unwrap()
        );
        assert!(
            signer
                .verify(&hash, &user, expires, &sig, 61_000)
                .await
                .unwrap()
        );
        assert!(
            !signer
                .verify(&hash, &user, expires, &sig, 61_001)
                .await
                .unwrap()
        );
        assert!(
            !signer
                .verify(&other, &user, expires, &sig, 2_000)
                .await
                .unwrap()
        );
        assert!(
            !signer
                .verify(&hash, &someone, expires, &sig, 2_000)
                .await
                .unwrap()
        );
        assert!(
            !signer
                .verify(&hash, &user, expires + 1, &sig, 2_000)
                .await
                .unwrap()
        );
        assert!(
            !signer
                .verify(&hash, &user, expires, "nope!", 2_000)
                .await
                .unwrap()
        );

        // The secret file is private and survives a restart.
        let path = tmp.path().join(SECRET_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = UrlSigner::new(tmp.path(), None, Duration::from_secs(60));
        assert!(
            again
                .verify(&hash, &user, expires, &sig, 2_000)
                .await
                .unwrap()
        );

        // A configured secret replaces the file's.
        let configured = UrlSigner::new(tmp.path(), Some("x".repeat(40)), Duration::from_secs(60));
        assert!(
            !configured
                .verify(&hash, &user, expires, &sig, 2_000)
                .await
                .unwrap()
        );
    }
}
