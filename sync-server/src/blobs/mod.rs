//! Attachments on the relay: content-addressed blobs. This module owns the pieces the HTTP
//! handlers (`crate::http::blobs`) put together:
//! - [`BlobHash`]: a validated SHA-256 (64 lower-case hex digits), the only thing that ever
//!   becomes part of a path;
//! - [`files`]: the on-disk layout (`DATA/blobs/<2 hex>/<64 hex>`, temp uploads in
//!   `DATA/blobs/tmp/`) and streaming an upload to disk while hashing it;
//! - [`owners`]: who uploaded which blob (a sled tree), with the media type and size;
//! - [`signing`]: HMAC-signed, expiring URLs for a CDN, with the relay's secret.

pub mod files;
pub mod signing;

use std::path::Path;

pub use crate::store::{BlobHash, BlobOwners, BlobRecord};
pub use files::{BlobFiles, ReceiveError};
pub use signing::{SignError, UrlSigner};

use crate::config::Config;

/// Everything blob handlers need besides the store: the files, the upload limit and the URL
/// signer (whose secret is loaded or created on first use).
#[derive(Debug)]
pub struct Blobs {
    pub files: BlobFiles,
    pub max_bytes: u64,
    pub signer: UrlSigner,
}

impl Blobs {
    pub fn new(config: &Config) -> Self {
        Blobs {
            files: BlobFiles::new(&config.data_dir),
            max_bytes: config.max_blob_bytes,
            signer: UrlSigner::new(
                &config.data_dir,
                config
                    .blob_url_secret
                    .as_ref()
                    .map(|s| s.expose().to_owned()),
                config.blob_url_ttl,
            ),
        }
    }

    /// Where blobs live under a data directory.
    pub fn dir(data_dir: &Path) -> std::path::PathBuf {
        data_dir.join(files::BLOBS_DIR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_strict() {
        let ok = "a".repeat(64);
        assert!(BlobHash::parse(&ok).is_some());
        assert!(BlobHash::parse(&"a".repeat(63)).is_none());
        assert!(BlobHash::parse(&"a".repeat(65)).is_none());
        assert!(BlobHash::parse(&"A".repeat(64)).is_none());
        assert!(BlobHash::parse(&format!("../{}", "a".repeat(61))).is_none());
        assert!(BlobHash::parse(&"g".repeat(64)).is_none());
        assert!(BlobHash::parse("").is_none());
    }

    fn load(file: &str) -> Result<Config, crate::config::ConfigError> {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("c.toml");
        std::fs::write(&path, file).unwrap();
        Config::load(&crate::config::ConfigSources {
            data_dir: tmp.path().to_owned(),
            config_file: Some(path),
            bind: None,
            env: &|_| None,
        })
    }

    #[test]
    fn blob_settings_are_configurable_and_checked() {
        let c = load("").unwrap();
        assert_eq!(c.max_blob_bytes, 50 * 1024 * 1024);
        assert_eq!(c.blob_url_ttl, std::time::Duration::from_secs(3600));
        assert!(c.blob_url_secret.is_none());

        let secret = "s".repeat(40);
        let c = load(&format!(
            "max_blob_bytes = 10\nblob_url_ttl_secs = 60\nblob_url_secret = \"{secret}\"\n"
        ))
        .unwrap();
        assert_eq!(c.max_blob_bytes, 10);
        assert_eq!(c.blob_url_ttl, std::time::Duration::from_secs(60));
        assert_eq!(c.blob_url_secret.as_ref().unwrap().expose(), secret);
        assert!(
            !format!("{c:?}").contains(&secret),
            "secrets are not printed"
        );

        for bad in [
            "max_blob_bytes = 0",
            "blob_url_ttl_secs = 0",
            "blob_url_ttl_secs = 99999999",
            "blob_url_secret = \"short\"",
        ] {
            assert!(load(bad).is_err(), "{bad}");
        }
    }
}
