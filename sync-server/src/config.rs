//! The relay's configuration and how it is layered: built-in defaults, then a TOML file
//! (`--config FILE`, else `DATA_DIR/larder-server.toml` when present), then environment
//! variables (`LARDER_BIND`, `LARDER_ALLOWED_ORIGINS`, `LARDER_SESSION_TTL_HOURS`), then
//! command-line flags. Unknown keys in the file are an error, so a typo never silently falls
//! back to a default.
//!
//! ```toml
//! bind = "0.0.0.0:8080"
//! allowed_origins = ["https://larder.example.org"]
//! session_ttl_hours = 720          # sliding: every use extends it
//! max_body_bytes = 1048576         # JSON API bodies
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

use serde::Deserialize;

use crate::data_dir::DataDir;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./larder-data";
pub const DEFAULT_SESSION_TTL_HOURS: u64 = 720;
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
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
    /// The built web app (web/dist) served at `/`; `None`: no web app (`larder-server serve`
    /// sets it from `--web DIR`, `LARDER_WEB_DIR` or `./web/dist`).
    pub web_dir: Option<PathBuf>,
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
            web_dir: None,
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
            config.apply_file(file);
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

        if let Some(bind) = &sources.bind {
            config.bind = bind.clone();
        }

        config.validate()?;
        Ok(config)
    }

    fn apply_file(&mut self, file: ConfigFile) {
        let ConfigFile {
            bind,
            allowed_origins,
            session_ttl_hours,
            max_body_bytes,
            login_rate_limit,
            password_hash,
            shutdown_grace_secs,
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
        for origin in &mut self.allowed_origins {
            *origin = validate_origin(origin)?;
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
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(
        dir: &Path,
        file: Option<&str>,
        env: &[(&str, &str)],
        bind: Option<&str>,
    ) -> Result<Config, ConfigError> {
        let config_file = file.map(|text| {
            let path = dir.join("custom.toml");
            std::fs::write(&path, text).unwrap();
            path
        });
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let lookup = move |k: &str| env.get(k).cloned();
        Config::load(&ConfigSources {
            data_dir: dir.to_owned(),
            config_file,
            bind: bind.map(str::to_owned),
            env: &lookup,
        })
    }

    #[test]
    fn defaults() {
        let tmp = tempfile::tempdir().unwrap();
        let c = load(tmp.path(), None, &[], None).unwrap();
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.session_ttl, Duration::from_secs(720 * 3600));
        assert_eq!(c.max_body_bytes, 1024 * 1024);
        assert!(c.allowed_origins.is_empty());
        assert_eq!(c.login_rate_limit, RateLimit::default());
    }

    #[test]
    fn layers_override_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        let file = r#"
            bind = "0.0.0.0:1"
            allowed_origins = ["https://File.example"]
            session_ttl_hours = 2
            [login_rate_limit]
            burst = 3
        "#;
        let c = load(tmp.path(), Some(file), &[], None).unwrap();
        assert_eq!(c.bind, "0.0.0.0:1");
        assert_eq!(c.allowed_origins, vec!["https://file.example"]);
        assert_eq!(c.session_ttl, Duration::from_secs(7200));
        assert_eq!(c.login_rate_limit.burst, 3);
        assert_eq!(c.login_rate_limit.failures_per_minute, 5);

        let env = [
            ("LARDER_BIND", "0.0.0.0:2"),
            (
                "LARDER_ALLOWED_ORIGINS",
                "https://a.example, http://b.example:8000",
            ),
            ("LARDER_SESSION_TTL_HOURS", "5"),
        ];
        let c = load(tmp.path(), Some(file), &env, None).unwrap();
        assert_eq!(c.bind, "0.0.0.0:2");
        assert_eq!(
            c.allowed_origins,
            vec!["https://a.example", "http://b.example:8000"]
        );
        assert_eq!(c.session_ttl, Duration::from_secs(5 * 3600));

        let c = load(tmp.path(), Some(file), &env, Some("127.0.0.1:3")).unwrap();
        assert_eq!(c.bind, "127.0.0.1:3");
    }

    #[test]
    fn file_in_data_dir_is_read_when_no_flag() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join(crate::data_dir::CONFIG_FILE),
            "bind = \"0.0.0.0:9\"\n",
        )
        .unwrap();
        let c = load(tmp.path(), None, &[], None).unwrap();
        assert_eq!(c.bind, "0.0.0.0:9");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_clear_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let err = load(tmp.path(), Some("bindd = \"x\"\n"), &[], None).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("custom.toml") && msg.contains("unknown field `bindd`"),
            "{msg}"
        );

        let err = load(
            tmp.path(),
            Some("[login_rate_limit]\nbrust = 1\n"),
            &[],
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field `brust`"), "{err}");

        let err = load(
            tmp.path(),
            None,
            &[("LARDER_SESSION_TTL_HOURS", "soon")],
            None,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("LARDER_SESSION_TTL_HOURS"),
            "{err}"
        );

        let err = load(
            tmp.path(),
            None,
            &[("LARDER_ALLOWED_ORIGINS", "https://a.example/")],
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("allowed origin"), "{err}");

        let err = load(tmp.path(), Some("session_ttl_hours = 0\n"), &[], None).unwrap_err();
        assert!(err.to_string().contains("session_ttl_hours"), "{err}");

        let missing = tmp.path().join("nope.toml");
        let err = Config::load(&ConfigSources {
            data_dir: tmp.path().to_owned(),
            config_file: Some(missing),
            bind: None,
            env: &|_| None,
        })
        .unwrap_err();
        assert!(matches!(err, ConfigError::Read { .. }));
    }
}
