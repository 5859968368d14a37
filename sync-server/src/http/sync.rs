//! Sync endpoints:
//! - `POST /api/v1/sync/ticket` {peer_id} → {ticket, expires_in_secs}: a one-time ticket for
//!   the websocket, bound to the user and the peer id `"{user_id}.{32 hex}"`.
//! - `GET /sync?ticket=T`: the websocket, served by the relay's sync core ([`crate::sync`]). A
//!   missing, unknown, expired or used ticket gets 401 before any upgrade; frames are capped at
//!   `sync_max_frame_bytes`.
//! - `GET /api/v1/changes?since=N&limit=L` → {changes, cursor, more}: the user's change feed.
//! - `GET /api/v1/changes/live?since=N`: the same as Server-Sent Events (`event: change`), first
//!   the backlog after N, then one `event: caught-up` (data: the cursor), then each new entry
//!   as it is recorded. A device catching up knows from `caught-up` that it has been told of
//!   everything, so it can say "syncing" until then instead of "up to date" too early.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, ApiErrorBody, ApiJson};
use crate::accounts::auth::AuthUser;
use crate::http::state::AppState;
use crate::store::{FeedEntry, UserId};
use crate::sync::{SyncHub, TICKET_TTL_MS, Ticket, is_client_peer_id};

/// Per-connection read buffer: small, because most connections sit idle.
const WS_READ_BUFFER: usize = 8 * 1024;
/// Feed page size: default and maximum.
pub const DEFAULT_PAGE: usize = 1000;
pub const MAX_PAGE: usize = 5000;
/// Live feed backlog is read from the store this many entries at a time.
const LIVE_CHUNK: usize = 500;
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Debug, Deserialize, ToSchema)]
pub struct TicketRequest {
    /// `"{user id}.{32 lower-case hex digits}"`: the peer id the websocket will use.
    #[schema(pattern = "^[0-9a-f]{32}\\.[0-9a-f]{32}$")]
    pub peer_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketResponse {
    pub ticket: String,
    pub expires_in_secs: i64,
}

/// `POST /api/v1/sync/ticket`.
#[utoipa::path(post, path = "/sync/ticket", tag = "sync",
    summary = "A one-time ticket for the sync websocket (GET /sync?ticket=…)",
    security(("bearer" = [])),
    request_body = TicketRequest,
    responses(
        (status = 200, description = "A ticket", body = TicketResponse),
        (status = 400, description = "Malformed body or peer id", body = ApiErrorBody),
        (status = 401, description = "No valid session", body = ApiErrorBody),
        (status = 413, description = "Body too large", body = ApiErrorBody),
        (status = 415, description = "Not JSON", body = ApiErrorBody),
        (status = 503, description = "Too many open tickets, or shutting down", body = ApiErrorBody),
    ))]
pub async fn ticket(
    State(state): State<Arc<AppState>>,
    auth: AuthUser,
    ApiJson(req): ApiJson<TicketRequest>,
) -> Result<ApiJson<TicketResponse>, ApiError> {
    if !is_client_peer_id(&req.peer_id, &auth.user.id) {
        return Err(ApiError::bad_request(
            "bad_peer_id",
            "peer_id must be \"{your user id}.{32 lower-case hex digits}\"",
        ));
    }
    let hub = state.sync()?;
    let ticket = hub
        .tickets()
        .issue(
            Ticket {
                user: auth.user.id,
                peer_id: req.peer_id,
                session: auth.token_hash,
            },
            state.clock.now_ms(),
        )
        .map_err(|e| ApiError::unavailable("too_many_tickets", e.to_string()))?;
    Ok(ApiJson(TicketResponse {
        ticket,
        expires_in_secs: TICKET_TTL_MS / 1000,
    }))
}

#[derive(Debug, Deserialize)]
pub struct SocketQuery {
    pub ticket: Option<String>,
}

/// `GET /sync?ticket=T`.
pub async fn socket(
    State(state): State<Arc<AppState>>,
    query: Result<Query<SocketQuery>, axum::extract::rejection::QueryRejection>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let token = query
        .ok()
        .and_then(|Query(q)| q.ticket)
        .ok_or_else(|| ApiError::unauthorized("missing ticket (POST /api/v1/sync/ticket)"))?;
    let hub = Arc::clone(state.sync()?);
    let ticket = hub
        .tickets()
        .redeem(&token, state.clock.now_ms())
        .ok_or_else(|| ApiError::unauthorized("invalid, expired or used ticket"))?;
    // The user may have been disabled or removed since the ticket was issued.
    match state.store.user(&ticket.user)? {
        Some(user) if !user.disabled => {}
        _ => return Err(ApiError::unauthorized("invalid, expired or used ticket")),
    }
    let upgrade = upgrade.map_err(|e| {
        ApiError::new(
            e.status(),
            "websocket_required",
            format!("expected a websocket upgrade: {}", e.body_text()),
        )
    })?;
    let peer = ticket.peer_id.clone();
    let max_frame = state.config.sync_max_frame_bytes;
    tracing::info!(peer, "sync connection");
    let ended = state
        .session_ends
        .watch(ticket.user.clone(), ticket.session);
    Ok(upgrade
        .max_message_size(max_frame)
        .max_frame_size(max_frame)
        .read_buffer_size(WS_READ_BUFFER)
        // The connection's writer batches frames and flushes once per batch.
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            if let Err(e) = hub.accept(socket, ticket, ended).await {
                tracing::info!(peer, error = %e, "sync connection refused");
            }
        })
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Entries after this sequence number (default 0: all).
    pub since: Option<u64>,
    /// Page size, 1 to 5000 (default 1000).
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangesResponse {
    pub changes: Vec<FeedEntry>,
    pub cursor: u64,
    pub more: bool,
}

fn bad_query(e: &axum::extract::rejection::QueryRejection) -> ApiError {
    ApiError::bad_request("invalid_query", e.body_text())
}

/// `GET /api/v1/changes?since=N&limit=L`.
#[utoipa::path(get, path = "/changes", tag = "sync",
    summary = "The user's change feed: documents changed after a cursor",
    security(("bearer" = [])),
    params(ChangesQuery),
    responses(
        (status = 200, description = "A page of the feed (every change acknowledged to any device before the request is in it)", body = ChangesResponse),
        (status = 400, description = "Malformed query", body = ApiErrorBody),
        (status = 401, description = "No valid session", body = ApiErrorBody),
        (status = 503, description = "The relay is shutting down", body = ApiErrorBody),
    ))]
pub async fn changes(
    State(state): State<Arc<AppState>>,
    auth: AuthUser,
    query: Result<Query<ChangesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<ApiJson<ChangesResponse>, ApiError> {
    let Query(q) = query.map_err(|e| bad_query(&e))?;
    let since = q.since.unwrap_or(0);
    let limit = q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    // Every change acknowledged to any device before this request is in the page.
    state.sync()?.feed_settled().await?;
    let mut changes = state.store.feed_since(&auth.user.id, since, limit + 1)?;
    let more = changes.len() > limit;
    changes.truncate(limit);
    let cursor = changes.last().map_or(since, |e| e.seq);
    Ok(ApiJson(ChangesResponse {
        changes,
        cursor,
        more,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LiveQuery {
    /// Entries after this sequence number (else `Last-Event-ID`, else 0).
    pub since: Option<u64>,
}

/// `GET /api/v1/changes/live?since=N` (or `Last-Event-ID: N` when reconnecting).
#[utoipa::path(get, path = "/changes/live", tag = "sync",
    summary = "The change feed as Server-Sent Events: the backlog (`event: change`, data: a FeedEntry), `event: caught-up` (data: the cursor), then new entries",
    security(("bearer" = [])),
    params(LiveQuery,
        ("Last-Event-ID" = Option<u64>, Header, description = "Resume after this sequence number")),
    responses(
        (status = 200, description = "An endless event stream", content_type = "text/event-stream", body = String),
        (status = 400, description = "Malformed query or Last-Event-ID", body = ApiErrorBody),
        (status = 401, description = "No valid session", body = ApiErrorBody),
        (status = 503, description = "The relay is shutting down", body = ApiErrorBody),
    ))]
pub async fn live(
    State(state): State<Arc<AppState>>,
    auth: AuthUser,
    headers: HeaderMap,
    query: Result<Query<LiveQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Query(q) = query.map_err(|e| bad_query(&e))?;
    let since = match q.since {
        Some(since) => since,
        None => match headers.get("last-event-id") {
            Some(v) => v
                .to_str()
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| {
                    ApiError::bad_request("invalid_query", "Last-Event-ID is not a number")
                })?,
            None => 0,
        },
    };
    let hub = state.sync()?;
    // Subscribe before reading the backlog, so nothing recorded in between is missed.
    let live = LiveFeed {
        hub: Arc::clone(hub),
        user: auth.user.id.clone(),
        rx: hub.feed().subscribe(&auth.user.id),
        last: since,
        backlog: VecDeque::new(),
        caught_up: false,
        told_caught_up: false,
        // The relay shutting down, or this session ending (sign-out, user disabled, …).
        closing: Box::pin({
            let closing = hub.closing();
            let ended = state
                .session_ends
                .watch(auth.user.id.clone(), auth.token_hash);
            async move {
                tokio::select! {
                    () = closing => {}
                    () = ended => {}
                }
            }
        }),
    };
    Ok(Sse::new(futures::stream::unfold(live, LiveFeed::next))
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

struct LiveFeed {
    hub: Arc<SyncHub>,
    user: UserId,
    rx: broadcast::Receiver<FeedEntry>,
    /// The newest seq sent.
    last: u64,
    backlog: VecDeque<FeedEntry>,
    /// Whether everything stored after `last` has been read.
    caught_up: bool,
    /// Whether the `caught-up` event has been sent (once per stream).
    told_caught_up: bool,
    closing: std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl LiveFeed {
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Self)> {
        loop {
            if let Some(entry) = self.backlog.pop_front() {
                if entry.seq <= self.last {
                    continue;
                }
                self.last = entry.seq;
                let event = Event::default()
                    .event("change")
                    .id(entry.seq.to_string())
                    .json_data(&entry)
                    .unwrap_or_else(|_| Event::default().comment("unencodable entry"));
                return Some((Ok(event), self));
            }
            if !self.caught_up {
                let store = self.hub.store().ok()?;
                match store.feed_since(&self.user, self.last, LIVE_CHUNK) {
                    Ok(page) => {
                        self.caught_up = page.len() < LIVE_CHUNK;
                        self.backlog.extend(page);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "reading the change feed failed; ending stream");
                        return None;
                    }
                }
                continue;
            }
            if !self.told_caught_up {
                self.told_caught_up = true;
                let event = Event::default()
                    .event("caught-up")
                    .data(self.last.to_string());
                return Some((Ok(event), self));
            }
            tokio::select! {
                () = &mut self.closing => return None,
                r = self.rx.recv() => match r {
                    Ok(entry) => self.backlog.push_back(entry),
                    // Fell behind: the store has everything.
                    Err(RecvError::Lagged(_)) => self.caught_up = false,
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }
}
