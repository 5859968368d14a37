//! [`AppState`]: everything a request handler can reach (configuration, storage, clock,
//! password hashing, login throttling), shared as `Arc<AppState>`. Add fields here for new
//! subsystems (sync, change feed, blobs).

use std::sync::Arc;

use crate::auth::Passwords;
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::ratelimit::LoginLimiter;
use crate::store::RelayStore;

pub struct AppState {
    pub config: Config,
    pub store: Arc<dyn RelayStore>,
    pub clock: Arc<dyn Clock>,
    pub passwords: Arc<Passwords>,
    pub(crate) login_limiter: LoginLimiter,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State on the system clock.
    pub fn new(config: Config, store: Arc<dyn RelayStore>) -> Result<Arc<Self>, ConfigError> {
        Self::with_clock(config, store, Arc::new(SystemClock))
    }

    /// State on a given clock (tests pass a [`ManualClock`](crate::clock::ManualClock)).
    pub fn with_clock(
        config: Config,
        store: Arc<dyn RelayStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, ConfigError> {
        let passwords = Arc::new(Passwords::new(config.password_hash)?);
        let login_limiter = LoginLimiter::new(config.login_rate_limit);
        Ok(Arc::new(AppState {
            config,
            store,
            clock,
            passwords,
            login_limiter,
        }))
    }
}
