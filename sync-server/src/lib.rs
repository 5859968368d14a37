//! larder-sync-server: the Larder relay as a library (the `larder-server` binary is a thin CLI
//! over it): user accounts, sessions and the HTTP API around them; the sync websocket (samod),
//! per-owner share policy and change feed; blobs, the grocery hook and backups, on the same
//! [`AppState`], [`router`] and [`RelayStore`].
//!
//! Modules:
//! - [`config`]: layered configuration (defaults < TOML < env < flags)
//! - [`data_dir`]: the locked data directory
//! - [`store`]: the [`RelayStore`] trait and its sled implementation
//! - [`auth`]: password hashing, session tokens, login, the [`AuthUser`] extractor
//! - [`admin`]: user administration behind `larder-server user …`
//! - [`admin_commands`]: the user and token commands as data, run on a store directly or by a
//!   running relay for its admin socket
//! - [`ratelimit`]: login throttling
//! - [`http`]: routes, JSON errors, extractors
//! - [`sync`]: the relay's samod repo, tickets, ownership, change feed
//! - [`hook`]: the grocery hook (API tokens, added-item detection, webhook outbox)
//! - [`server`]: serving and graceful shutdown
//! - [`clock`]: injectable time
//! - [`blobs`]: attachments — files on disk, owners, signed URLs
//! - [`backup`]: backup files, restore, the admin socket a running relay is backed up and
//!   administered through
//! - [`telemetry`]: Prometheus metrics: the recorder, `/metrics`, the request-latency layer
//! - [`tls`]: serving HTTPS from PEM files

pub mod admin;
pub mod admin_commands;
pub mod auth;
pub mod backup;
pub mod blobs;
pub mod clock;
pub mod config;
pub mod data_dir;
pub mod hook;
pub mod http;
pub mod ratelimit;
pub mod server;
pub mod state;
pub mod store;
pub mod sync;
pub mod telemetry;
pub mod tls;

pub use auth::AuthUser;
pub use config::Config;
pub use http::{ApiError, ApiJson, router};
pub use server::{ServerError, serve, serve_on, shutdown_signal};
pub use state::AppState;
pub use store::{RelayStore, SledStore};
pub use sync::SyncHub;
