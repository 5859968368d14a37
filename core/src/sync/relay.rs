//! HTTP calls to the relay: session, me, sync tickets, the change feed (plain and live),
//! attachment blobs (upload, download) and the meal plan's calendar feed address.

use std::time::Duration;

use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use thiserror::Error;

pub use crate::bulk_upload::UploadAnswer;
use crate::bulk_wire;
use crate::store::StoreError;

#[derive(Debug, Error)]
pub enum RelayError {
    #[error("not a valid relay address: {0}")]
    BadServer(String),
    #[error("the relay rejected the session (signed out)")]
    Unauthorized,
    #[error("wrong user name or password")]
    BadCredentials,
    #[error("too many sign-in attempts; try again later")]
    RateLimited,
    #[error("cannot reach the relay: {0}")]
    Unreachable(String),
    #[error("the relay answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("unexpected answer from the relay: {0}")]
    Protocol(String),
    /// The relay refused the request for what it asked (a 4xx other than 401), with its
    /// stable code (`address_not_allowed`, `rate_limited`, …) and its sentence for people.
    #[error("{message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, Deserialize)]
pub struct LoginResponse {
    pub token: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Me {
    pub id: String,
    pub name: String,
    pub grocery_list_id: Option<String>,
    /// Absent from relays older than the meal plan.
    #[serde(default)]
    pub meal_plan_id: Option<String>,
    /// The household the user belongs to (absent from relays older than households).
    #[serde(default)]
    pub household: Option<crate::Household>,
}

pub use crate::sync_client::FeedEntry;

#[derive(Debug, Clone, Deserialize)]
pub struct FeedPage {
    pub changes: Vec<FeedEntry>,
    pub cursor: u64,
    #[serde(default)]
    pub more: bool,
}

/// The calendar feed's state on the relay (`GET /api/v1/plan/calendar`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CalendarFeedStatus {
    pub active: bool,
    pub created_at: Option<i64>,
}

/// A new calendar feed address (`POST /api/v1/plan/calendar`): its path on the relay, shown
/// only this once.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NewCalendarFeed {
    pub path: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Deserialize)]
struct Ticket {
    ticket: String,
}

/// A client for one relay.
#[derive(Debug, Clone)]
pub struct RelayClient {
    base: url::Url,
    pub(super) http: reqwest::Client,
}

impl RelayClient {
    pub fn new(server: &str) -> Result<Self, RelayError> {
        let mut base =
            url::Url::parse(server.trim()).map_err(|e| RelayError::BadServer(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(RelayError::BadServer(format!(
                "{server} (expected http:// or https://host[:port])"
            )));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| RelayError::Unreachable(e.to_string()))?;
        Ok(RelayClient { base, http })
    }

    /// The base URL without its trailing slash.
    pub fn base(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    pub(super) fn url(&self, path: &str) -> Result<url::Url, RelayError> {
        self.base
            .join(path)
            .map_err(|e| RelayError::BadServer(e.to_string()))
    }

    /// The websocket address for a ticket.
    pub fn sync_url(&self, ticket: &str) -> Result<url::Url, RelayError> {
        let mut url = self.url("sync")?;
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        url.set_scheme(scheme)
            .map_err(|_| RelayError::BadServer(self.base().to_string()))?;
        url.query_pairs_mut().append_pair("ticket", ticket);
        Ok(url)
    }

    pub async fn login(&self, user: &str, password: &str) -> Result<LoginResponse, RelayError> {
        let response = send(
            self.http
                .post(self.url("api/v1/session")?)
                .json(&serde_json::json!({ "username": user, "password": password })),
            Duration::from_secs(30),
        )
        .await?;
        match response.status().as_u16() {
            401 => Err(RelayError::BadCredentials),
            429 => Err(RelayError::RateLimited),
            _ => json(response).await,
        }
    }

    pub async fn logout(&self, token: &str) -> Result<(), RelayError> {
        let response = send(
            self.http
                .delete(self.url("api/v1/session")?)
                .bearer_auth(token),
            Duration::from_secs(10),
        )
        .await?;
        check(response).await.map(|_| ())
    }

    pub async fn me(&self, token: &str) -> Result<Me, RelayError> {
        let response = send(
            self.http.get(self.url("api/v1/me")?).bearer_auth(token),
            Duration::from_secs(10),
        )
        .await?;
        json(response).await
    }

    /// A one-time ticket for opening the sync websocket as `peer_id`.
    pub async fn ticket(&self, token: &str, peer_id: &str) -> Result<String, RelayError> {
        let response = send(
            self.http
                .post(self.url("api/v1/sync/ticket")?)
                .bearer_auth(token)
                .json(&serde_json::json!({ "peer_id": peer_id })),
            Duration::from_secs(10),
        )
        .await?;
        Ok(json::<Ticket>(response).await?.ticket)
    }

    /// Many documents' saved bytes at once (`POST /api/v1/docs/fetch`), read frame by frame
    /// as they arrive.
    pub async fn fetch_documents(
        &self,
        token: &str,
        ids: &[String],
    ) -> Result<Vec<bulk_wire::Frame>, RelayError> {
        let mut response = check(
            send(
                self.http
                    .post(self.url("api/v1/docs/fetch")?)
                    .bearer_auth(token)
                    .json(&serde_json::json!({ "docs": ids })),
                BULK_TIMEOUT,
            )
            .await?,
        )
        .await?;
        let mut reader = bulk_wire::FrameReader::new(bulk_wire::Limits {
            max_document_bytes: MAX_BULK_DOCUMENT_BYTES,
            max_frames: ids.len(),
        });
        let mut frames = Vec::with_capacity(ids.len());
        let protocol = |e: bulk_wire::FrameError| RelayError::Protocol(e.to_string());
        while let Some(piece) = response.chunk().await.map_err(unreachable)? {
            reader.push(&piece);
            while let Some(frame) = reader.next_frame().map_err(protocol)? {
                frames.push(frame);
            }
        }
        reader.finish().map_err(protocol)?;
        Ok(frames)
    }

    /// Sends many documents at once (`POST /api/v1/docs/upload`, a body of
    /// [`bulk_wire`] frames); answers once the relay has them durably.
    pub async fn upload_documents(
        &self,
        token: &str,
        body: Vec<u8>,
    ) -> Result<UploadAnswer, RelayError> {
        let response = send(
            self.http
                .post(self.url("api/v1/docs/upload")?)
                .bearer_auth(token)
                .header(reqwest::header::CONTENT_TYPE, bulk_wire::MEDIA_TYPE)
                .body(body),
            BULK_TIMEOUT,
        )
        .await?;
        json(response).await
    }

    /// Asks the relay to fetch a recipe page by its address (`POST /api/v1/import/url`). A
    /// refusal (private address, no recipe on the page, too many imports, …) is
    /// [`RelayError::Refused`].
    pub async fn import_url(
        &self,
        token: &str,
        address: &str,
    ) -> Result<crate::page_import::PageImport, RelayError> {
        let response = send(
            self.http
                .post(self.url("api/v1/import/url")?)
                .bearer_auth(token)
                .json(&crate::page_import::UrlImportRequest {
                    url: address.to_owned(),
                }),
            // The relay's own limit for a fetch is at most two minutes.
            Duration::from_secs(150),
        )
        .await?;
        json_or_refusal(response, "the import").await
    }

    /// Whether the meal plan has a calendar feed address.
    pub async fn calendar_feed_status(
        &self,
        token: &str,
    ) -> Result<CalendarFeedStatus, RelayError> {
        let response = send(
            self.http
                .get(self.url("api/v1/plan/calendar")?)
                .bearer_auth(token),
            Duration::from_secs(10),
        )
        .await?;
        json(response).await
    }

    /// A new calendar feed address for the meal plan; the earlier one stops working.
    pub async fn create_calendar_feed(&self, token: &str) -> Result<NewCalendarFeed, RelayError> {
        let response = send(
            self.http
                .post(self.url("api/v1/plan/calendar")?)
                .bearer_auth(token),
            Duration::from_secs(10),
        )
        .await?;
        json(response).await
    }

    /// Revokes the calendar feed address.
    pub async fn revoke_calendar_feed(&self, token: &str) -> Result<(), RelayError> {
        let response = send(
            self.http
                .delete(self.url("api/v1/plan/calendar")?)
                .bearer_auth(token),
            Duration::from_secs(10),
        )
        .await?;
        check(response).await.map(|_| ())
    }

    /// The full address of a path the relay answered (such as a calendar feed's), under this
    /// relay's base address (which may carry a path prefix).
    pub fn address_of(&self, path: &str) -> Result<String, RelayError> {
        Ok(self.url(path.trim_start_matches('/'))?.to_string())
    }

    /// One page of the change feed after `since`.
    pub async fn changes(&self, token: &str, since: u64) -> Result<FeedPage, RelayError> {
        let mut url = self.url("api/v1/changes")?;
        url.query_pairs_mut()
            .append_pair("since", &since.to_string());
        let response = send(
            self.http.get(url).bearer_auth(token),
            Duration::from_secs(30),
        )
        .await?;
        json(response).await
    }

    /// The live change feed after `since` (server-sent events), entry by entry.
    pub async fn live_changes(
        &self,
        token: &str,
        since: u64,
    ) -> Result<impl Stream<Item = Result<FeedEntry, RelayError>> + use<>, RelayError> {
        use eventsource_stream::Eventsource;
        let mut url = self.url("api/v1/changes/live")?;
        url.query_pairs_mut()
            .append_pair("since", &since.to_string());
        let response = self
            .http
            .get(url)
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .send()
            .await
            .map_err(unreachable)?;
        let response = check(response).await?;
        Ok(response
            .bytes_stream()
            .eventsource()
            .filter_map(|event| async move {
                match event {
                    Ok(event) if event.event == "change" => Some(
                        serde_json::from_str::<FeedEntry>(&event.data)
                            .map_err(|e| RelayError::Protocol(e.to_string())),
                    ),
                    Ok(_) => None,
                    Err(err) => Some(Err(RelayError::Unreachable(err.to_string()))),
                }
            }))
    }
}

/// How long one blob upload or download may take (a 50 MiB file on a slow link).
const BLOB_TIMEOUT: Duration = Duration::from_secs(600);
/// A bulk batch is at most a few MiB each way.
const BULK_TIMEOUT: Duration = Duration::from_secs(120);
/// The largest document a bulk answer may carry (the relay's own cap is lower).
const MAX_BULK_DOCUMENT_BYTES: usize = 64 * 1024 * 1024;

impl RelayClient {
    /// Uploads an attachment's bytes under their SHA-256 (the relay verifies the hash).
    pub async fn put_blob(
        &self,
        token: &str,
        sha256: &str,
        media_type: &str,
        bytes: Vec<u8>,
    ) -> Result<(), RelayError> {
        let response = send(
            self.http
                .put(self.url(&format!("api/v1/blobs/{sha256}"))?)
                .bearer_auth(token)
                .header(reqwest::header::CONTENT_TYPE, media_type)
                .body(bytes),
            BLOB_TIMEOUT,
        )
        .await?;
        check(response).await.map(|_| ())
    }

    /// Downloads an attachment's bytes (another user's file `via` a recipe they share with
    /// this one); `None` if the relay does not have them for this user.
    pub async fn get_blob(
        &self,
        token: &str,
        sha256: &str,
        via: Option<&str>,
    ) -> Result<Option<RelayBlob>, RelayError> {
        let mut url = self.url(&format!("api/v1/blobs/{sha256}"))?;
        if let Some(doc) = via {
            url.query_pairs_mut().append_pair("doc", doc);
        }
        let response = send(self.http.get(url).bearer_auth(token), BLOB_TIMEOUT).await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let response = check(response).await?;
        let media_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response.bytes().await.map_err(unreachable)?;
        Ok(Some(RelayBlob {
            bytes: bytes.to_vec(),
            media_type,
        }))
    }
}

/// A blob as the relay serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayBlob {
    pub bytes: Vec<u8>,
    /// The media type the relay stored with it, if it said.
    pub media_type: Option<String>,
}

/// Sends a request with a deadline; a transport failure means the relay is unreachable.
pub(super) async fn send(
    request: reqwest::RequestBuilder,
    timeout: Duration,
) -> Result<reqwest::Response, RelayError> {
    request.timeout(timeout).send().await.map_err(unreachable)
}

fn unreachable(err: reqwest::Error) -> RelayError {
    RelayError::Unreachable(err.to_string())
}

async fn check(response: reqwest::Response) -> Result<reqwest::Response, RelayError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    if status.as_u16() == 401 {
        return Err(RelayError::Unauthorized);
    }
    let body = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or(body);
    Err(RelayError::Status {
        status: status.as_u16(),
        message,
    })
}

/// The answer's JSON, or for a 4xx other than 401 [`RelayError::Refused`] with the relay's
/// code and sentence (`what` names the request when the relay gave none).
pub(super) async fn json_or_refusal<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
    what: &str,
) -> Result<T, RelayError> {
    let status = response.status().as_u16();
    if (400..500).contains(&status) && status != 401 {
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let field = |name: &str| {
            body.get(name)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        return Err(RelayError::Refused {
            status,
            code: field("error"),
            message: Some(field("message"))
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| format!("the relay refused {what} ({status})")),
        });
    }
    json(response).await
}

async fn json<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, RelayError> {
    check(response)
        .await?
        .json()
        .await
        .map_err(|e| RelayError::Protocol(e.to_string()))
}
