//! Running the relay: [`serve`] binds the configured address, [`serve_on`] runs on a given
//! listener (tests bind 127.0.0.1:0), both until a shutdown future resolves; over TLS when
//! `config.tls` names PEM files (see [`crate::server::tls`]). Shutdown: no new
//! connections; the sync hub stops at once (closing sync websockets and live feeds, which
//! graceful HTTP shutdown would otherwise wait on, and making samod's writes durable); other
//! open requests get [`Config::shutdown_grace`](crate::Config) to finish; storage is flushed.
//! Expired sessions are purged in the background.

pub mod admin_socket;
pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::config::{Config, ConfigError};
use crate::http::state::AppState;
use crate::store::{RelayStore, StoreError};
use crate::sync::SyncError;

const PURGE_EVERY: Duration = Duration::from_secs(600);

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("flushing storage failed: {0}")]
    Flush(#[source] StoreError),
    #[error("starting sync failed: {0}")]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Tls(#[from] crate::server::tls::TlsError),
}

/// Binds `config.bind` and serves until `shutdown` resolves.
pub async fn serve(
    config: Config,
    store: Arc<dyn RelayStore>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let listener = TcpListener::bind(&config.bind)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.bind.clone(),
            source,
        })?;
    let state = AppState::new(config, store)?;
    serve_on(listener, state, shutdown).await
}

/// Serves on `listener` until `shutdown` resolves, then flushes storage.
pub async fn serve_on(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let addr = listener.local_addr()?;
    // Read before anything starts, so a bad certificate fails fast.
    let tls = match &state.config.tls {
        Some(files) => Some(crate::server::tls::server_config(files)?),
        None => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(%addr, scheme, "larder-server listening");

    let passwords = Arc::clone(&state.passwords);
    // Ignoring a failed warm-up is fine: the first unknown-user login then pays for it.
    let _ = tokio::task::spawn_blocking(move || passwords.warm_up()).await;

    match state.blobs.files.clean_tmp() {
        Ok(0) => {}
        Ok(n) => tracing::info!(removed = n, "removed unfinished blob uploads"),
        Err(e) => tracing::warn!(error = %e, "cannot clean the blob temp directory"),
    }
    let hub = state.start_sync().await?;
    let purger = tokio::spawn(purge_sessions(Arc::clone(&state)));
    let webhook = crate::hook::sender::spawn(
        &state.config.webhook,
        Arc::clone(&state.store),
        Arc::clone(&state.hook),
    );

    let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
    // Websockets and SSE streams never finish on their own: stop sync as soon as shutdown
    // begins, in parallel with the HTTP drain.
    let sync_stopper = {
        let hub = Arc::clone(&hub);
        let mut stopping = stopping_rx.clone();
        tokio::spawn(async move {
            if stopping.wait_for(|s| *s).await.is_ok() {
                hub.stop().await;
            }
        })
    };
    let app = crate::http::router(Arc::clone(&state));
    // Sync messages are small and latency-bound: without TCP_NODELAY, Nagle's algorithm and
    // delayed ACKs hold some of them back ~40 ms.
    let graceful = async move {
        shutdown.await;
        tracing::info!("shutting down: no new connections");
        let _ = stopping_tx.send(true);
    };
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    let server = async move {
        match tls {
            None => {
                let listener = listener.tap_io(|tcp| {
                    if let Err(e) = tcp.set_nodelay(true) {
                        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
                    }
                });
                axum::serve(listener, service)
                    .with_graceful_shutdown(graceful)
                    .await
            }
            Some(config) => {
                // tap_io (a no-op here: the listener sets TCP_NODELAY) provides the client
                // address as connection info, as for plain TCP.
                let listener =
                    crate::server::tls::TlsListener::new(listener, config)?.tap_io(|_| {});
                axum::serve(listener, service)
                    .with_graceful_shutdown(graceful)
                    .await
            }
        }
    };

    let grace = state.config.shutdown_grace;
    let result = tokio::select! {
        r = server => r,
        () = async {
            let _ = stopping_rx.wait_for(|s| *s).await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(?grace, "connections still open after the grace period; closing them");
            Ok(())
        }
    };
    purger.abort();
    // Awaited, so its hold on the state (and so the store) is gone when this returns: a
    // restart on the same data directory must find the database unlocked.
    let _ = purger.await;
    // An attempt cut short stays queued and is sent again after the restart.
    if let Some(webhook) = webhook {
        webhook.abort();
        let _ = webhook.await;
    }
    // Waits for the stop the shutdown signal began (or stops now, if the server failed).
    hub.stop().await;
    let _ = sync_stopper.await;

    state
        .store
        .flush_async()
        .await
        .map_err(ServerError::Flush)?;
    tracing::info!("storage flushed; stopped");
    result.map_err(ServerError::Io)
}

async fn purge_sessions(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(PURGE_EVERY);
    loop {
        tick.tick().await;
        match state.store.purge_expired_sessions(state.clock.now_ms()) {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "expired sessions purged"),
            Err(e) => tracing::warn!(error = %e, "purging expired sessions failed"),
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
