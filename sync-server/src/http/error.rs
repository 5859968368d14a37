//! [`ApiError`]: every error the HTTP API returns, as a status and a JSON body
//! `{"error": "<code>", "message": "<text>"}`. 401s carry `WWW-Authenticate: Bearer`, 429s carry
//! `Retry-After`. Internal errors are logged and answered with a generic 500.

use std::time::Duration;

use axum::Json;
use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::accounts::auth::{AuthError, SessionError};
use crate::store::StoreError;
use crate::sync::SyncError;

#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    /// Machine-readable, stable: `unauthorized`, `invalid_credentials`, `rate_limited`, ….
    pub code: &'static str,
    /// For people.
    pub message: String,
    retry_after_secs: Option<u64>,
    bearer_challenge: bool,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: &'a str,
}

/// The JSON body of every error, as the OpenAPI document describes it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ApiError)]
pub struct ApiErrorBody {
    /// Machine-readable, stable: `unauthorized`, `invalid_credentials`, `rate_limited`, ….
    pub error: String,
    /// For people.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after_secs: None,
            bearer_challenge: false,
        }
    }

    /// 401 for a missing, invalid, expired or revoked session.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError {
            bearer_challenge: true,
            ..Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
        }
    }

    /// 401 for a failed login (wrong password, unknown or disabled user: indistinguishable).
    pub fn invalid_credentials() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "wrong user name or password",
        )
    }

    /// 429 for failed logins, with `Retry-After` (whole seconds, rounded up).
    pub fn rate_limited(wait: Duration) -> Self {
        Self::rate_limited_because(wait, "too many failed login attempts; try again later")
    }

    /// 429 with `Retry-After` (whole seconds, rounded up) and what was limited.
    pub fn rate_limited_because(wait: Duration, message: impl Into<String>) -> Self {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        ApiError {
            retry_after_secs: Some(secs.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 503, e.g. while the relay shuts down.
    pub fn unavailable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
    }

    /// 500; `cause` is logged, not sent.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal server error",
        )
    }

    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after_secs
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code,
            message: &self.message,
        };
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        if self.bearer_challenge {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after_secs {
            headers.insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(&e)
    }
}

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::InvalidSession => ApiError::unauthorized("invalid or expired session"),
            SessionError::InvalidCredentials => ApiError::invalid_credentials(),
            SessionError::RateLimited(wait) => ApiError::rate_limited(wait),
            SessionError::Hash(e) => e.into(),
            SessionError::Store(e) => e.into(),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        ApiError::internal(&e)
    }
}

impl From<SyncError> for ApiError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Stopped => {
                ApiError::unavailable("unavailable", "the relay is shutting down")
            }
            SyncError::UserRemoved => ApiError::unauthorized("the user was removed"),
            SyncError::NotSaved => ApiError::internal(&e),
            SyncError::Store(e) => e.into(),
        }
    }
}
