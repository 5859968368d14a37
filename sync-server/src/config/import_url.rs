//! The `[import_url]` table: limits of `POST /api/v1/import/url`, where the relay fetches a
//! recipe page for a signed-in user (see [`crate::import_url`]).
//!
//! ```toml
//! [import_url]
//! requests_per_minute = 10      # per user, refilled continuously
//! burst = 20                    # requests a user may make at once
//! max_page_bytes = 5242880      # a page's HTML
//! max_image_bytes = 10485760    # the recipe image (never more than max_blob_bytes)
//! timeout_secs = 20             # the whole fetch, redirects and image included
//! # Networks the fetcher may reach although they are private or loopback. For tests and
//! # closed networks only: every address here is one a user can make the relay call.
//! allow_private_networks = []
//! ```

use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;

use super::ConfigError;

const MAX_TIMEOUT_SECS: u64 = 120;
const MAX_PAGE_BYTES: u64 = 64 * 1024 * 1024;

/// The resolved `[import_url]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportUrlConfig {
    pub requests_per_minute: u32,
    pub burst: u32,
    pub max_page_bytes: u64,
    pub max_image_bytes: u64,
    pub timeout: Duration,
    pub allow_private_networks: Vec<IpNet>,
}

impl Default for ImportUrlConfig {
    fn default() -> Self {
        ImportUrlConfig {
            requests_per_minute: 10,
            burst: 20,
            max_page_bytes: 5 * 1024 * 1024,
            max_image_bytes: 10 * 1024 * 1024,
            timeout: Duration::from_secs(20),
            allow_private_networks: Vec::new(),
        }
    }
}

/// The table as written in the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImportUrlFile {
    requests_per_minute: Option<u32>,
    burst: Option<u32>,
    max_page_bytes: Option<u64>,
    max_image_bytes: Option<u64>,
    timeout_secs: Option<u64>,
    allow_private_networks: Option<Vec<String>>,
}

impl ImportUrlConfig {
    /// Applies the file's table; a network that is not CIDR (`10.0.0.0/8`) or a single
    /// address is an error.
    pub(super) fn apply(&mut self, file: ImportUrlFile) -> Result<(), ConfigError> {
        let ImportUrlFile {
            requests_per_minute,
            burst,
            max_page_bytes,
            max_image_bytes,
            timeout_secs,
            allow_private_networks,
        } = file;
        if let Some(v) = requests_per_minute {
            self.requests_per_minute = v;
        }
        if let Some(v) = burst {
            self.burst = v;
        }
        if let Some(v) = max_page_bytes {
            self.max_page_bytes = v;
        }
        if let Some(v) = max_image_bytes {
            self.max_image_bytes = v;
        }
        if let Some(v) = timeout_secs {
            self.timeout = Duration::from_secs(v);
        }
        if let Some(networks) = allow_private_networks {
            self.allow_private_networks = networks
                .iter()
                .map(|n| parse_network(n))
                .collect::<Result<_, _>>()?;
        }
        Ok(())
    }

    /// Checks the limits; `max_blob_bytes` caps the image (it becomes an attachment).
    pub(super) fn validate(&mut self, max_blob_bytes: u64) -> Result<(), ConfigError> {
        if self.requests_per_minute == 0 || self.burst == 0 {
            return Err(ConfigError::Invalid(
                "import_url.requests_per_minute and burst must be at least 1".into(),
            ));
        }
        if !(1024..=MAX_PAGE_BYTES).contains(&self.max_page_bytes) {
            return Err(ConfigError::Invalid(format!(
                "import_url.max_page_bytes must be between 1024 and {MAX_PAGE_BYTES}"
            )));
        }
        if self.max_image_bytes == 0 {
            return Err(ConfigError::Invalid(
                "import_url.max_image_bytes must be at least 1".into(),
            ));
        }
        self.max_image_bytes = self.max_image_bytes.min(max_blob_bytes);
        if !(1..=MAX_TIMEOUT_SECS).contains(&self.timeout.as_secs()) {
            return Err(ConfigError::Invalid(format!(
                "import_url.timeout_secs must be between 1 and {MAX_TIMEOUT_SECS}"
            )));
        }
        Ok(())
    }
}

/// `10.0.0.0/8`, `::1/128`, or a bare address (one host).
fn parse_network(s: &str) -> Result<IpNet, ConfigError> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| {
            ConfigError::Invalid(format!(
                "import_url.allow_private_networks: {s:?} is not a network (like 10.0.0.0/8) or an address"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_parse_as_cidr_or_single_addresses() {
        assert_eq!(
            parse_network("127.0.0.1").unwrap(),
            "127.0.0.1/32".parse::<IpNet>().unwrap()
        );
        assert_eq!(
            parse_network(" 10.0.0.0/8 ").unwrap(),
            "10.0.0.0/8".parse::<IpNet>().unwrap()
        );
        assert!(parse_network("localhost").is_err());
        assert!(parse_network("10.0.0.0/33").is_err());
    }

    #[test]
    fn limits_are_checked_and_the_image_cap_follows_the_blob_cap() {
        let mut config = ImportUrlConfig::default();
        config.validate(1024).unwrap();
        assert_eq!(config.max_image_bytes, 1024);

        let mut zero_burst = ImportUrlConfig {
            burst: 0,
            ..ImportUrlConfig::default()
        };
        assert!(zero_burst.validate(u64::MAX).is_err());
        let mut long = ImportUrlConfig {
            timeout: Duration::from_secs(MAX_TIMEOUT_SECS + 1),
            ..ImportUrlConfig::default()
        };
        assert!(long.validate(u64::MAX).is_err());
    }
}
