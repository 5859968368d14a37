//! Running the relay: [`serve`] binds the configured address, [`serve_on`] runs on a given
//! listener (tests bind 127.0.0.1:0), both until a shutdown future resolves; then open
//! connections get [`Config::shutdown_grace`](crate::Config) to finish and storage is flushed.
//! Expired sessions are purged in the background.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::{Config, ConfigError};
use crate::state::AppState;
use crate::store::{RelayStore, StoreError};

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
    tracing::info!(%addr, "larder-server listening");

    let passwords = Arc::clone(&state.passwords);
    // Ignoring a failed warm-up is fine: the first unknown-user login then pays for it.
    let _ = tokio::task::spawn_blocking(move || passwords.warm_up()).await;

    let purger = tokio::spawn(purge_sessions(Arc::clone(&state)));

    let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
    let app = crate::http::router(Arc::clone(&state));
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: no new connections");
        let _ = stopping_tx.send(true);
    });

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
