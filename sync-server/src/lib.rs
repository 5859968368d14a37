//! larder-sync-server: the Larder relay as a library (the `larder-server` binary is a thin CLI
//! over it): user accounts, sessions and the HTTP API around them; the sync websocket (the
//! relay's own automerge-repo sync core), per-owner access and change feed; blobs, the grocery
//! hook and backups, on the same [`AppState`], [`router`] and [`RelayStore`].
//!
//! The crate is laid out in floors; a module uses only modules on its own floor listed before
//! it, or on floors below (tests/layers.rs checks every `use crate::…`):
//!
//! 1. **Base** — [`clock`] (injectable time), [`secret`] (random bytes, tokens and their
//!    hashes), [`data_dir`] (the locked data directory), [`config`] (defaults < TOML < env <
//!    flags), [`telemetry`] (the Prometheus recorder and metric names).
//! 2. **Store** — [`store`]: the [`RelayStore`] trait (users, sessions, ownership, feed, chunks,
//!    blob owners, the hook's outbox) and its sled implementation.
//! 3. **Domain**, knowing nothing of HTTP — [`blobs`] (files on disk, signed URLs),
//!    [`accounts`] (passwords, sessions, login, administration, throttling, ending sessions),
//!    [`hook`] (API tokens, added-item detection, webhook outbox), [`sync`] (the sync core,
//!    tickets, the change feed), [`plan`] (the meal plan's calendar feed and its tokens),
//!    [`backup`] (backup files and restore), [`admin_commands`] (the user and token commands
//!    as data).
//! 4. **HTTP** — [`http`]: [`AppState`], routes, extractors, and domain errors mapped to
//!    responses.
//! 5. **Server** — [`server`]: serving, TLS, graceful shutdown, the admin socket a running
//!    relay is backed up and administered through. `main.rs` wires the binary on top.

pub mod clock;
pub mod config;
pub mod data_dir;
pub mod secret;
pub mod telemetry;

pub mod store;

pub mod accounts;
pub mod admin_commands;
pub mod backup;
pub mod blobs;
pub mod hook;
pub mod plan;
pub mod sync;

pub mod http;
pub mod import_url;

pub mod server;

pub use accounts::auth::AuthUser;
pub use config::Config;
pub use http::state::AppState;
pub use http::{ApiError, ApiJson, router};
pub use server::{ServerError, serve, serve_on, shutdown_signal};
pub use store::{RelayStore, SledStore};
pub use sync::SyncHub;
