//! larder-web-engine: larder-core compiled to wasm for the browser's dedicated worker.
//!
//! - `engine`: the wasm-bindgen surface the worker calls (open the OPFS database, the key/value
//!   table for automerge-repo's storage adapter, `call(request_json)`, remote changes)
//! - `bridge`: core's document store backed by Automerge documents held here and mirrored into
//!   the JS automerge-repo, which does the network and the storage
//! - `shell`: core's `rpc::Shell` over the worker (sign-in, session, sync status, relay fetches)
//! - `sync_client`: core's sync policy for the worker's link to the relay (what to pull and
//!   fetch, retries, the status)
//! - `transfers`: attachment bytes to and from the relay (the worker fetches; rules are core's)
//!
//! On any target but wasm32-unknown-unknown the crate is empty.

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod bridge;
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod engine;
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod shell;
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod sync_client;
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod transfers;
