//! The relay's configuration and how it is layered: built-in defaults, then a TOML file
//! (`--config FILE`, else `DATA_DIR/larder-server.toml` when present), then environment
//! variables (`LARDER_BIND`, `LARDER_ALLOWED_ORIGINS`, `LARDER_SESSION_TTL_HOURS`,
//! `LARDER_WEBHOOK_URL`, `LARDER_WEBHOOK_SECRET`, `LARDER_METRICS_TOKEN`), then
//! command-line flags. Unknown keys in the file are an error, so a typo never silently falls
//! back to a default.
//!
//! ```toml
//! bind = "0.0.0.0:8080"
//! allowed_origins = ["https://larder.example.org"]
//! session_ttl_hours = 720          # sliding: every use extends it
//! max_body_bytes = 1048576         # JSON API bodies
//! max_blob_bytes = 52428800        # one attachment upload (PUT /api/v1/blobs/…)
//! blob_url_ttl_secs = 3600         # how long a signed blob URL stays valid
//! sync_idle_unload_secs = 600      # a document no device syncs leaves memory after this long
//! sync_max_frame_bytes = 16777216  # largest sync websocket frame (a whole document's sync)
//! sync_shards = 4                  # tasks documents are spread over (default: 2 per core)
//! blob_url_secret = "…"            # optional, ≥ 32 characters; else DATA/blob-url.key
//! webhook_url = "https://groceries.example/larder"   # grocery hook (optional)
//! webhook_secret = "a long random string"            # HMAC-SHA256 key; required with a URL
//! webhook_timeout_secs = 10        # per delivery attempt
//! webhook_retry_max_secs = 600     # retry backoff cap
//! webhook_give_up_hours = 168      # a delivery still failing after this is dropped
//! tls_cert = "/etc/larder/fullchain.pem"  # HTTPS: both or neither (or serve --tls-cert/--tls-key)
//! tls_key = "/etc/larder/privkey.pem"
//! metrics_token = "a-long-random-string"   # lets non-loopback clients scrape /metrics
//! [import_url]                     # fetching recipe pages for users: see config::import_url
//! requests_per_minute = 10
//! [login_rate_limit]               # failed logins, per user name and per client address
//! failures_per_minute = 5
//! burst = 10
//! [password_hash]                  # argon2id cost for new hashes
//! memory_kib = 19456
//! iterations = 2
//! parallelism = 1
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::data_dir::DataDir;

pub mod import_url;

pub use import_url::ImportUrlConfig;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./larder-data";
pub const DEFAULT_SESSION_TTL_HOURS: u64 = 720;
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
pub const DEFAULT_MAX_BLOB_BYTES: u64 = 50 * 1024 * 1024;
pub const DEFAULT_BLOB_URL_TTL_SECS: u64 = 3600;
const MAX_BLOB_URL_TTL_SECS: u64 = 7 * 24 * 3600;
pub const DEFAULT_SYNC_IDLE_UNLOAD_SECS: u64 = 600;
const MAX_SYNC_IDLE_UNLOAD_SECS: u64 = 7 * 24 * 3600;
pub const DEFAULT_SYNC_MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;
const SYNC_FRAME_BYTES_RANGE: std::ops::RangeInclusive<usize> = 64 * 1024..=256 * 1024 * 1024;
const MAX_SYNC_SHARDS: usize = 256;
const MAX_SESSION_TTL_HOURS: u64 = 24 * 365 * 10;

/// The resolved configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub data_dir: PathBuf,
    /// `host:port` to listen on.
    pub bind: String,
    /// Origins (`scheme://host[:port]`) allowed to call the API from a browser. Empty: no CORS.
    pub allowed_origins: Vec<String>,
    /// How long a session lives after its last use.
    pub session_ttl: Duration,
    /// Largest request body the JSON API reads (413 above it).
    pub max_body_bytes: usize,
    pub login_rate_limit: RateLimit,
    pub password_hash: HashParams,
    /// How long a graceful shutdown waits for open connections before closing them.
    pub shutdown_grace: Duration,
    /// Largest blob upload (413 above it).
    pub max_blob_bytes: u64,
    /// How long a signed blob URL stays valid.
    pub blob_url_ttl: Duration,
    /// How long a document no connection syncs stays in memory.
    pub sync_idle_unload: Duration,
    /// Largest sync websocket frame (and message) the relay reads; a bigger one closes the
    /// connection with 1009.
    pub sync_max_frame_bytes: usize,
    /// How many shards (tasks) the sync core spreads documents over.
    pub sync_shards: usize,
    /// The key signed blob URLs are made with; `None`: a random one in the data directory.
    pub blob_url_secret: Option<Secret>,
    /// The grocery hook's outbound webhook.
    pub webhook: WebhookConfig,
    /// Serve HTTPS from these PEM files (certificate chain, private key) instead of plain HTTP.
    pub tls: Option<TlsFiles>,
    /// Lets non-loopback clients scrape `/metrics` with `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
    /// The built web app (web/dist) served at `/`; `None`: no web app (`larder-server serve`
    /// sets it from `--web DIR`, `LARDER_WEB_DIR` or `./web/dist`).
    pub web_dir: Option<PathBuf>,
    /// Fetching recipe pages for users (`POST /api/v1/import/url`).
    pub import_url: ImportUrlConfig,
}

/// A configured secret; never shows in `Debug` output (configs are logged). Serialised as its
/// plain text, for the records that must keep it (a household's webhook secret).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Where and how added grocery items are posted (see [`crate::hook`]).
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookConfig {
    /// `http(s)://…`; `None`: no webhook (additions are still tracked, never queued).
    pub url: Option<String>,
    /// The HMAC-SHA256 key for `X-Larder-Signature`; required with a URL.
    pub secret: Option<Secret>,
    /// Per attempt.
    pub timeout: Duration,
    /// First retry delay; doubles per failed attempt up to `retry_max` (with jitter).
    pub retry_min: Duration,
    pub retry_max: Duration,
    /// A delivery still failing this long after it was queued is dropped (and counted).
    pub give_up: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            url: None,
            secret: None,
            timeout: Duration::from_secs(10),
            retry_min: Duration::from_secs(1),
            retry_max: Duration::from_secs(600),
            give_up: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The PEM files TLS is served from (`tls_cert` / `tls_key`, or `serve --tls-cert/--tls-key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            bind: DEFAULT_BIND.to_owned(),
            allowed_origins: Vec::new(),
            session_ttl: Duration::from_secs(DEFAULT_SESSION_TTL_HOURS * 3600),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            login_rate_limit: RateLimit::default(),
            password_hash: HashParams::default(),
            shutdown_grace: Duration::from_secs(10),
            max_blob_bytes: DEFAULT_MAX_BLOB_BYTES,
            blob_url_ttl: Duration::from_secs(DEFAULT_BLOB_URL_TTL_SECS),
            sync_idle_unload: Duration::from_secs(DEFAULT_SYNC_IDLE_UNLOAD_SECS),
            sync_max_frame_bytes: DEFAULT_SYNC_MAX_FRAME_BYTES,
            sync_shards: default_sync_shards(),
            blob_url_secret: None,
            webhook: WebhookConfig::default(),
            tls: None,
            metrics_token: None,
            web_dir: None,
            import_url: ImportUrlConfig::default(),
        }
    }
}

/// A token bucket of failed login attempts: `burst` failures at once, refilled at
/// `failures_per_minute`. Applied separately per user name and per client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimit {
    pub failures_per_minute: u32,
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            failures_per_minute: 5,
            burst: 10,
        }
    }
}

/// argon2id cost parameters for new password hashes (existing hashes keep theirs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HashParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for HashParams {
    fn default() -> Self {
        HashParams {
            memory_kib: argon2::Params::DEFAULT_M_COST,
            iterations: argon2::Params::DEFAULT_T_COST,
            parallelism: argon2::Params::DEFAULT_P_COST,
        }
    }
}

impl HashParams {
    pub fn to_argon2(self) -> Result<argon2::Params, ConfigError> {
        argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| ConfigError::Invalid(format!("password_hash: {e}")))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: &'static str, message: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// The file's shape: everything optional, nothing unknown.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    bind: Option<String>,
    allowed_origins: Option<Vec<String>>,
    session_ttl_hours: Option<u64>,
    max_body_bytes: Option<usize>,
    login_rate_limit: Option<RateLimit>,
    password_hash: Option<HashParams>,
    shutdown_grace_secs: Option<u64>,
    max_blob_bytes: Option<u64>,
    blob_url_ttl_secs: Option<u64>,
    sync_idle_unload_secs: Option<u64>,
    sync_max_frame_bytes: Option<usize>,
    sync_shards: Option<usize>,
    blob_url_secret: Option<Secret>,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    webhook_timeout_secs: Option<u64>,
    webhook_retry_max_secs: Option<u64>,
    webhook_give_up_hours: Option<u64>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    metrics_token: Option<String>,
    import_url: Option<import_url::ImportUrlFile>,
}

/// What the layers are read from; `env` looks a variable up (`std::env::var` in the binary, a
/// map in tests).
pub struct ConfigSources<'a> {
    pub data_dir: PathBuf,
    /// `--config`; when `None`, `DATA_DIR/larder-server.toml` is read if it exists.
    pub config_file: Option<PathBuf>,
    /// `--bind`.
    pub bind: Option<String>,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// Looks variables up in the process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Config {
    /// Resolves defaults < file < environment < flags, then validates the result.
    pub fn load(sources: &ConfigSources<'_>) -> Result<Config, ConfigError> {
        let mut config = Config {
            data_dir: sources.data_dir.clone(),
            ..Config::default()
        };

        let file = match &sources.config_file {
            Some(path) => Some(read_file(path)?),
            None => {
                let path = DataDir::default_config_file(&sources.data_dir);
                if path.is_file() {
                    Some(read_file(&path)?)
                } else {
                    None
                }
            }
        };
        if let Some(file) = file {
            config.apply_file(file)?;
        }

        let env = sources.env;
        if let Some(bind) = env("LARDER_BIND") {
            config.bind = bind;
        }
        if let Some(origins) = env("LARDER_ALLOWED_ORIGINS") {
            config.allowed_origins = origins
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(hours) = env("LARDER_SESSION_TTL_HOURS") {
            let hours: u64 = hours.trim().parse().map_err(|_| ConfigError::Env {
                var: "LARDER_SESSION_TTL_HOURS",
                message: format!("{hours:?} is not a whole number of hours"),
            })?;
            config.session_ttl = Duration::from_secs(hours.saturating_mul(3600));
        }

        if let Some(url) = env("LARDER_WEBHOOK_URL") {
            config.webhook.url = Some(url).filter(|u| !u.trim().is_empty());
        }
        if let Some(secret) = env("LARDER_WEBHOOK_SECRET") {
            config.webhook.secret = Some(Secret(secret));
        }
        if let Some(token) = env("LARDER_METRICS_TOKEN") {
            config.metrics_token = Some(Secret(token.trim().to_owned()));
        }

        if let Some(bind) = &sources.bind {
            config.bind = bind.clone();
        }

        config.validate()?;
        Ok(config)
    }

    fn apply_file(&mut self, file: ConfigFile) -> Result<(), ConfigError> {
        let ConfigFile {
            bind,
            allowed_origins,
            session_ttl_hours,
            max_body_bytes,
            login_rate_limit,
            password_hash,
            shutdown_grace_secs,
            max_blob_bytes,
            blob_url_ttl_secs,
            sync_idle_unload_secs,
            sync_max_frame_bytes,
            sync_shards,
            blob_url_secret,
            webhook_url,
            webhook_secret,
            webhook_timeout_secs,
            webhook_retry_max_secs,
            webhook_give_up_hours,
            tls_cert,
            tls_key,
            metrics_token,
            import_url,
        } = file;
        if let Some(v) = bind {
            self.bind = v;
        }
        if let Some(v) = allowed_origins {
            self.allowed_origins = v;
        }
        if let Some(v) = session_ttl_hours {
            self.session_ttl = Duration::from_secs(v.saturating_mul(3600));
        }
        if let Some(v) = max_body_bytes {
            self.max_body_bytes = v;
        }
        if let Some(v) = login_rate_limit {
            self.login_rate_limit = v;
        }
        if let Some(v) = password_hash {
            self.password_hash = v;
        }
        if let Some(v) = shutdown_grace_secs {
            self.shutdown_grace = Duration::from_secs(v);
        }
        if let Some(v) = max_blob_bytes {
            self.max_blob_bytes = v;
        }
        if let Some(v) = blob_url_ttl_secs {
            self.blob_url_ttl = Duration::from_secs(v);
        }
        if let Some(v) = sync_idle_unload_secs {
            self.sync_idle_unload = Duration::from_secs(v);
        }
        if let Some(v) = sync_max_frame_bytes {
            self.sync_max_frame_bytes = v;
        }
        if let Some(v) = sync_shards {
            self.sync_shards = v;
        }
        if let Some(v) = blob_url_secret {
            self.blob_url_secret = Some(v);
        }
        if let Some(v) = webhook_url {
            self.webhook.url = Some(v);
        }
        if let Some(v) = webhook_secret {
            self.webhook.secret = Some(Secret(v));
        }
        if let Some(v) = webhook_timeout_secs {
            self.webhook.timeout = Duration::from_secs(v);
        }
        if let Some(v) = webhook_retry_max_secs {
            self.webhook.retry_max = Duration::from_secs(v);
        }
        if let Some(v) = webhook_give_up_hours {
            self.webhook.give_up = Duration::from_secs(v.saturating_mul(3600));
        }
        self.set_tls(tls_cert, tls_key);
        if let Some(v) = metrics_token {
            self.metrics_token = Some(Secret(v));
        }
        if let Some(v) = import_url {
            self.import_url.apply(v)?;
        }
        Ok(())
    }

    /// Overrides the TLS files given (a flag or file key each); a lone half is kept with an empty
    /// other half, which [`Config::validate`] rejects.
    pub fn set_tls(&mut self, cert: Option<PathBuf>, key: Option<PathBuf>) {
        if cert.is_none() && key.is_none() {
            return;
        }
        let old = self.tls.take();
        let (old_cert, old_key) = old.map_or((None, None), |t| (Some(t.cert), Some(t.key)));
        self.tls = Some(TlsFiles {
            cert: cert.or(old_cert).unwrap_or_default(),
            key: key.or(old_key).unwrap_or_default(),
        });
    }

    /// Checks every field and normalises origins to lower case. Called by [`Config::load`];
    /// call it yourself on a hand-built config.
    pub fn validate(&mut self) -> Result<(), ConfigError> {
        if self.bind.trim().is_empty() {
            return Err(ConfigError::Invalid("bind address is empty".into()));
        }
        let ttl_hours = self.session_ttl.as_secs() / 3600;
        if self.session_ttl.is_zero() || ttl_hours > MAX_SESSION_TTL_HOURS {
            return Err(ConfigError::Invalid(format!(
                "session_ttl_hours must be between 1 and {MAX_SESSION_TTL_HOURS}"
            )));
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "max_body_bytes must be at least 1024".into(),
            ));
        }
        if self.login_rate_limit.failures_per_minute == 0 || self.login_rate_limit.burst == 0 {
            return Err(ConfigError::Invalid(
                "login_rate_limit.failures_per_minute and burst must be at least 1".into(),
            ));
        }
        self.password_hash.to_argon2()?;
        if self.max_blob_bytes == 0 {
            return Err(ConfigError::Invalid(
                "max_blob_bytes must be at least 1".into(),
            ));
        }
        if !(1..=MAX_SYNC_IDLE_UNLOAD_SECS).contains(&self.sync_idle_unload.as_secs()) {
            return Err(ConfigError::Invalid(format!(
                "sync_idle_unload_secs must be between 1 and {MAX_SYNC_IDLE_UNLOAD_SECS}"
            )));
        }
        if !SYNC_FRAME_BYTES_RANGE.contains(&self.sync_max_frame_bytes) {
            return Err(ConfigError::Invalid(format!(
                "sync_max_frame_bytes must be between {} and {}",
                SYNC_FRAME_BYTES_RANGE.start(),
                SYNC_FRAME_BYTES_RANGE.end()
            )));
        }
        if !(1..=MAX_SYNC_SHARDS).contains(&self.sync_shards) {
            return Err(ConfigError::Invalid(format!(
                "sync_shards must be between 1 and {MAX_SYNC_SHARDS}"
            )));
        }
        let ttl = self.blob_url_ttl.as_secs();
        if !(1..=MAX_BLOB_URL_TTL_SECS).contains(&ttl) {
            return Err(ConfigError::Invalid(format!(
                "blob_url_ttl_secs must be between 1 and {MAX_BLOB_URL_TTL_SECS}"
            )));
        }
        if self
            .blob_url_secret
            .as_ref()
            .is_some_and(|s| s.expose().len() < 32)
        {
            return Err(ConfigError::Invalid(
                "blob_url_secret must be at least 32 characters".into(),
            ));
        }
        self.webhook.validate()?;
        self.import_url.validate(self.max_blob_bytes)?;
        if let Some(tls) = &self.tls
            && (tls.cert.as_os_str().is_empty() || tls.key.as_os_str().is_empty())
        {
            return Err(ConfigError::Invalid(
                "TLS needs both a certificate and a key file (tls_cert and tls_key)".into(),
            ));
        }
        if self
            .metrics_token
            .as_ref()
            .is_some_and(|t| t.0.trim().len() < 16)
        {
            return Err(ConfigError::Invalid(
                "metrics_token must be at least 16 characters".into(),
            ));
        }
        for origin in &mut self.allowed_origins {
            *origin = validate_origin(origin)?;
        }
        Ok(())
    }
}

/// The shortest webhook secret accepted (the global `webhook_secret` and a household's).
pub const MIN_WEBHOOK_SECRET_BYTES: usize = 16;

/// Why a webhook URL is refused (see [`check_webhook_url`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookUrlError {
    #[error("is not a valid URL: {0}")]
    Unparsable(String),
    #[error("must be an http:// or https:// URL")]
    NotHttp,
}

/// The check every webhook URL passes, the global `webhook_url` and a household's: an
/// absolute `http://` or `https://` URL with a host.
pub fn check_webhook_url(url: &str) -> Result<(), WebhookUrlError> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| WebhookUrlError::Unparsable(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(WebhookUrlError::NotHttp);
    }
    Ok(())
}

impl WebhookConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let Some(url) = &self.url else {
            return Ok(());
        };
        check_webhook_url(url)
            .map_err(|e| ConfigError::Invalid(format!("webhook_url {url:?} {e}")))?;
        match &self.secret {
            Some(Secret(s)) if s.len() >= MIN_WEBHOOK_SECRET_BYTES => {}
            _ => {
                return Err(ConfigError::Invalid(
                    "webhook_secret (at least 16 characters) is required with webhook_url".into(),
                ));
            }
        }
        if self.timeout.is_zero() || self.retry_min.is_zero() || self.retry_max < self.retry_min {
            return Err(ConfigError::Invalid(
                "webhook_timeout_secs and webhook_retry_max_secs must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

fn read_file(path: &Path) -> Result<ConfigFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.to_string().trim_end().to_owned(),
    })
}

/// An origin as browsers send it: `http(s)://host[:port]`, no path, no trailing slash.
fn validate_origin(origin: &str) -> Result<String, ConfigError> {
    let lower = origin.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let ok = rest.is_some_and(|host| {
        !host.is_empty()
            && !host.contains('/')
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
    });
    if ok {
        Ok(lower)
    } else {
        Err(ConfigError::Invalid(format!(
            "allowed origin {origin:?} must look like https://host[:port] (no path, no trailing slash)"
        )))
    }
}

#[cfg(test)]
mod tests;

/// Two sync shards per core: enough that one busy document never holds up most others.
pub fn default_sync_shards() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
}
