//! [`AppState`]: everything a request handler can reach (configuration, storage, clock,
//! password hashing, login throttling, the sync hub), shared as `Arc<AppState>`. Add fields
//! here for new subsystems (blobs).

use std::sync::Arc;

use crate::accounts::auth::{Accounts, AuthUser, NewSession, Passwords};
use crate::accounts::ratelimit::LoginLimiter;
use crate::blobs::Blobs;
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::hook::GroceryHook;
use crate::http::ApiError;
use crate::store::{HouseholdId, RelayStore, UserId};
use crate::sync::{SyncError, SyncHub};

pub struct AppState {
    pub config: Config,
    pub store: Arc<dyn RelayStore>,
    pub clock: Arc<dyn Clock>,
    pub passwords: Arc<Passwords>,
    /// Blob files, upload limit and URL signing (see [`crate::blobs`]).
    pub blobs: Blobs,
    pub(crate) login_limiter: LoginLimiter,
    /// The grocery hook (queues webhook deliveries when one is configured).
    pub hook: Arc<GroceryHook>,
    /// Fetches recipe pages for `POST /api/v1/import/url`.
    pub page_fetcher: crate::import_url::PageFetcher,
    /// Page imports per user (a token bucket of requests).
    pub(crate) import_limiter: crate::accounts::ratelimit::FailureLimiter,
    /// Revoked sessions, for the live feed and sync sockets they hold open.
    pub session_ends: crate::accounts::session_ends::SessionEnds,
    /// Started by [`AppState::start_sync`] (which [`crate::serve_on`] calls): the sync core
    /// needs a runtime, this state doesn't.
    sync: tokio::sync::OnceCell<Arc<SyncHub>>,
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
        let blobs = Blobs::new(&config);
        let hook = Arc::new(GroceryHook::new(config.webhook.url.is_some()));
        let page_fetcher = crate::import_url::PageFetcher::new(&config.import_url)
            .map_err(|e| ConfigError::Invalid(format!("import_url: {e}")))?;
        let import_limiter =
            crate::accounts::ratelimit::FailureLimiter::new(crate::config::RateLimit {
                failures_per_minute: config.import_url.requests_per_minute,
                burst: config.import_url.burst,
            });
        Ok(Arc::new(AppState {
            blobs,
            config,
            store,
            clock,
            passwords,
            login_limiter,
            hook,
            page_fetcher,
            import_limiter,
            session_ends: Default::default(),
            sync: tokio::sync::OnceCell::new(),
        }))
    }

    /// Starts the sync hub over this state's store, once; later calls return the same hub.
    pub async fn start_sync(&self) -> Result<Arc<SyncHub>, SyncError> {
        self.sync
            .get_or_try_init(|| {
                SyncHub::start(
                    Arc::clone(&self.store),
                    Arc::clone(&self.hook),
                    crate::sync::SyncOptions {
                        idle_unload: self.config.sync_idle_unload,
                        shards: self.config.sync_shards,
                        // A peer may fall a few whole-document frames behind, no more.
                        outbound_limit: self.config.sync_max_frame_bytes.saturating_mul(4),
                    },
                )
            })
            .await
            .cloned()
    }

    /// The running sync hub; 503 before it is started or once it is stopping.
    pub fn sync(&self) -> Result<&Arc<SyncHub>, ApiError> {
        match self.sync.get() {
            Some(hub) if !hub.is_closing() => Ok(hub),
            _ => Err(ApiError::unavailable(
                "sync_unavailable",
                "sync is not running on this relay",
            )),
        }
    }

    /// Sessions and logins over this state.
    pub fn accounts(&self) -> Accounts<'_> {
        Accounts {
            store: &*self.store,
            clock: &*self.clock,
            passwords: &self.passwords,
            limiter: &self.login_limiter,
            session_ttl: self.config.session_ttl,
            session_ends: &self.session_ends,
        }
    }

    /// The user of a session token, its expiry slid; 401 for anything but a valid session.
    pub fn authenticate(&self, token: &str) -> Result<AuthUser, ApiError> {
        Ok(self.accounts().authenticate(token)?)
    }

    /// Checks a user name and password and opens a session (see [`Accounts::login`]).
    pub async fn login(
        &self,
        username: &str,
        password: String,
        addr: Option<std::net::IpAddr>,
    ) -> Result<NewSession, ApiError> {
        Ok(self.accounts().login(username, password, addr).await?)
    }

    /// Revokes the session a request came with.
    pub fn logout(&self, auth: &AuthUser) -> Result<(), ApiError> {
        Ok(self.accounts().logout(auth)?)
    }

    /// The user of a grocery API token; 401 for an unknown or revoked one.
    pub fn authenticate_api_token(&self, token: &str) -> Result<crate::store::User, ApiError> {
        crate::hook::tokens::authenticate(&*self.store, self.clock.now_ms(), token)?
            .ok_or_else(|| ApiError::unauthorized("invalid or revoked API token"))
    }

    /// The sync hub, if started (whether or not it is stopping).
    pub fn sync_hub(&self) -> Option<&Arc<SyncHub>> {
        self.sync.get()
    }

    /// Lets go of a user who is being removed, from a blocking thread (admin commands run on
    /// one): ends their live feeds and sync sockets, and drops their documents from the sync
    /// core once what was written for them is durable, so nothing writes them back once they
    /// are deleted.
    pub fn let_go_blocking(&self, runtime: &tokio::runtime::Handle, user: &UserId) {
        self.session_ends
            .end(crate::accounts::session_ends::SessionEnd::AllOf(
                user.clone(),
            ));
        if let Some(hub) = self.sync_hub() {
            runtime.block_on(hub.let_go(user));
        }
    }

    /// A member joined a household (stored already), from a blocking thread: their change
    /// feed gets the household's documents now. A failure leaves the documents' pending
    /// marks, which the feed records at the next start.
    pub fn member_joined_blocking(
        &self,
        runtime: &tokio::runtime::Handle,
        household: &HouseholdId,
    ) {
        if let Some(hub) = self.sync_hub()
            && let Err(e) = runtime.block_on(hub.member_joined(household))
        {
            tracing::warn!(error = %e, %household, "a new member's feed waits for the next start");
        }
    }

    /// A member left a household (stored already), from a blocking thread: the household's
    /// documents stop reaching their open connections now.
    pub fn member_left_blocking(
        &self,
        runtime: &tokio::runtime::Handle,
        household: &HouseholdId,
        user: &UserId,
    ) {
        if let Some(hub) = self.sync_hub() {
            runtime.block_on(hub.member_left(household, user));
        }
    }
}
