//! How `larder-server backup`, `user …` and `token …` reach a running relay: the relay holds
//! the data directory's lock and sled admits one process, so the CLI cannot open the store
//! itself. Instead the relay listens on a unix socket in the data directory, `DATA/admin.sock`,
//! created with mode 0600, and answers `POST /backup` with the backup file as the response
//! body, and `POST /command` (an [`AdminCommand`] as JSON) with the command's output as JSON
//! after running it on its store and flushing it (a refusal: 400 with the reason as text).
//!
//! Why a unix socket: it is reachable only from this host, and only by whoever may already
//! read and write the data directory (the socket's owner: the relay's user, or root). There is
//! no secret to leak or rotate and no port to firewall; such a user could copy the database
//! anyway. Nothing else is served on it.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http_body_util::BodyExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use crate::accounts::session_ends::SessionEnd;
use crate::admin_commands::{self, AdminCommand, CommandEnv, CommandOutput};
use crate::backup::{Progress, write_backup};
use crate::http::state::AppState;
use crate::store::{HouseholdId, UserId};

/// The socket's file name in the data directory.
pub const ADMIN_SOCKET: &str = "admin.sock";
/// Bytes per chunk of the streamed backup.
const CHUNK: usize = 64 * 1024;
/// Largest command accepted on the socket (a name and a password of at most 4 KiB).
const MAX_COMMAND_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("cannot reach the running relay at {path}: {source}")]
    Connect {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the relay answered {status}: {message}")]
    Status { status: StatusCode, message: String },
    /// The relay refused the command (its reason, for the operator).
    #[error("{0}")]
    Refused(String),
    #[error("the connection to the relay's admin socket broke off: {0}")]
    Stream(String),
    #[error("{0}")]
    Io(#[from] io::Error),
}

struct AdminState {
    app: Arc<AppState>,
    dir: PathBuf,
}

/// Serves the admin socket in `dir` until `shutdown` resolves, then removes it. A stale socket
/// file (from a crash) is replaced: the caller holds the data directory's lock, so no other
/// relay is using it.
pub async fn serve(
    app: Arc<AppState>,
    dir: PathBuf,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let path = dir.join(ADMIN_SOCKET);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let listener = bind_private(&path)?;
    tracing::info!(socket = %path.display(), "admin socket listening (larder-server backup, user, token)");
    let router = Router::new()
        .route("/backup", post(backup))
        .route(
            "/command",
            post(command).layer(axum::extract::DefaultBodyLimit::max(MAX_COMMAND_BYTES)),
        )
        .with_state(Arc::new(AdminState { app, dir }));
    let result = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await;
    let _ = std::fs::remove_file(&path);
    result
}

/// Binds the socket and makes it 0600 before anything is served on it.
fn bind_private(path: &Path) -> io::Result<tokio::net::UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    let listener = tokio::net::UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Sends what the blocking backup writer produces down a channel, in chunks.
struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

async fn backup(State(admin): State<Arc<AdminState>>) -> Response {
    let (tx, rx) = mpsc::channel(8);
    let store = Arc::clone(&admin.app.store);
    let dir = admin.dir.clone();
    let now = admin.app.clock.now_ms();
    tracing::info!("backup requested on the admin socket");
    tokio::task::spawn_blocking(move || {
        let mut out = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        let mut progress = |p: Progress| tracing::info!(?p, "backup progress");
        match write_backup(store.as_ref(), &dir, &dir, &mut out, now, &mut progress) {
            Ok(m) => tracing::info!(records = m.records, blobs = m.blobs, "backup sent"),
            Err(e) => {
                tracing::error!(error = %e, "backup failed");
                // Ends the response with an error, so the client never takes it as complete.
                let _ = tx.blocking_send(Err(io::Error::other(e.to_string())));
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    (
        StatusCode::OK,
        [("content-type", "application/octet-stream")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Runs a user or token command on the relay's store, flushed before the answer.
async fn command(State(admin): State<Arc<AdminState>>, body: Bytes) -> Response {
    let command: AdminCommand = match serde_json::from_slice(&body) {
        Ok(command) => command,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("not a command: {e}")).into_response(),
    };
    let app = Arc::clone(&admin.app);
    let kind = command_kind(&command);
    tracing::info!(command = kind, "admin command on the admin socket");
    let runtime = tokio::runtime::Handle::current();
    // Password hashing is deliberately slow: off the async threads.
    let ran = tokio::task::spawn_blocking(move || {
        // Whose sessions this command ends (looked up first: `remove` deletes the user).
        let ends_sessions_of = ends_sessions(&command)
            .and_then(|name| app.store.user_by_name(name).ok().flatten())
            .map(|user| user.id);
        let let_go = |user: &UserId| app.let_go_blocking(&runtime, user);
        let member_joined = |h: &HouseholdId| app.member_joined_blocking(&runtime, h);
        let member_left =
            |h: &HouseholdId, user: &UserId| app.member_left_blocking(&runtime, h, user);
        let env = CommandEnv {
            passwords: &app.passwords,
            blob_files: &app.blobs.files,
            let_go: &let_go,
            member_joined: &member_joined,
            member_left: &member_left,
            now: app.clock.now_ms(),
        };
        let output = admin_commands::execute(app.store.as_ref(), &env, command)?;
        if let Some(id) = ends_sessions_of {
            // Their open live feeds and sync sockets close now, not at their next reconnect.
            app.session_ends.end(SessionEnd::AllOf(id));
        }
        Ok::<_, admin_commands::CommandError>(output)
    })
    .await;
    let output = match ran {
        Ok(Ok(output)) => output,
        Ok(Err(e)) if e.is_refusal() => {
            return (StatusCode::BAD_REQUEST, e.to_string()).into_response();
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, command = kind, "admin command failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response();
        }
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    if let Err(e) = admin.app.store.flush_async().await {
        tracing::error!(error = %e, command = kind, "flushing after an admin command failed");
        return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response();
    }
    axum::Json(output).into_response()
}

/// The user whose every session a command ends, if it does.
fn ends_sessions(command: &AdminCommand) -> Option<&str> {
    match command {
        AdminCommand::UserDisable { name } | AdminCommand::UserRemove { name } => Some(name),
        AdminCommand::UserPasswd {
            name,
            keep_sessions: false,
            ..
        } => Some(name),
        _ => None,
    }
}

/// The command's name for logs (never its arguments: a password may be among them).
fn command_kind(command: &AdminCommand) -> &'static str {
    match command {
        AdminCommand::UserAdd { .. } => "user add",
        AdminCommand::UserList { .. } => "user list",
        AdminCommand::UserPasswd { .. } => "user passwd",
        AdminCommand::UserDisable { .. } => "user disable",
        AdminCommand::UserEnable { .. } => "user enable",
        AdminCommand::UserRemove { .. } => "user remove",
        AdminCommand::TokenCreate { .. } => "token create",
        AdminCommand::TokenList { .. } => "token list",
        AdminCommand::TokenRevoke { .. } => "token revoke",
        AdminCommand::HouseholdCreate { .. } => "household create",
        AdminCommand::HouseholdAdd { .. } => "household add",
        AdminCommand::HouseholdRemove { .. } => "household remove",
        AdminCommand::HouseholdList { .. } => "household list",
        AdminCommand::HouseholdWebhook { .. } => "household webhook",
    }
}

/// Opens an HTTP/1 connection over the admin socket of the relay serving `dir`.
async fn connect(
    dir: &Path,
) -> Result<
    (
        hyper::client::conn::http1::SendRequest<http_body_util::Full<Bytes>>,
        tokio::task::JoinHandle<Result<(), hyper::Error>>,
    ),
    AdminError,
> {
    let path = dir.join(ADMIN_SOCKET);
    let stream = tokio::net::UnixStream::connect(&path)
        .await
        .map_err(|source| AdminError::Connect {
            path: path.clone(),
            source,
        })?;
    let (sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| AdminError::Stream(e.to_string()))?;
    Ok((sender, tokio::spawn(conn)))
}

/// Asks the relay serving data directory `dir` to run `command`.
pub async fn run_command(dir: &Path, command: &AdminCommand) -> Result<CommandOutput, AdminError> {
    let (mut sender, conn) = connect(dir).await?;
    let body = serde_json::to_vec(command).map_err(|e| AdminError::Stream(e.to_string()))?;
    let request = axum::http::Request::post("/command")
        .header("host", "larder-admin")
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(Bytes::from(body)))
        .map_err(|e| AdminError::Stream(e.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| AdminError::Stream(e.to_string()))?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| AdminError::Stream(e.to_string()))?
        .to_bytes();
    conn.abort();
    let text = || String::from_utf8_lossy(&bytes).into_owned();
    if status == StatusCode::BAD_REQUEST {
        return Err(AdminError::Refused(text()));
    }
    if !status.is_success() {
        return Err(AdminError::Status {
            status,
            message: text(),
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| AdminError::Stream(e.to_string()))
}

/// Asks the relay serving data directory `dir` for a backup and writes it to `out`; calls
/// `progress` with the bytes received so far. Returns the total.
pub async fn fetch_backup(
    dir: &Path,
    out: &mut (impl tokio::io::AsyncWrite + Unpin),
    progress: &mut dyn FnMut(u64),
) -> Result<u64, AdminError> {
    let (mut sender, conn) = connect(dir).await?;
    let request = axum::http::Request::post("/backup")
        .header("host", "larder-admin")
        .body(http_body_util::Full::new(Bytes::new()))
        .map_err(|e| AdminError::Stream(e.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| AdminError::Stream(e.to_string()))?;
    let status = response.status();
    let mut body = response.into_body();
    if !status.is_success() {
        let bytes = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        return Err(AdminError::Status {
            status,
            message: String::from_utf8_lossy(&bytes).into_owned(),
        });
    }
    let mut total = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| AdminError::Stream(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            out.write_all(&data).await?;
            total += data.len() as u64;
            progress(total);
        }
    }
    out.flush().await?;
    conn.abort();
    Ok(total)
}
