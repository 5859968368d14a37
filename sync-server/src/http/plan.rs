//! The meal plan's calendar feed, under `/api/v1`:
//! - `POST /plan/calendar` (session) → 201 `{path, created_at}`: a new feed address (its token
//!   shown this once), replacing, and so revoking, any earlier one
//! - `GET /plan/calendar` (session) → `{active, created_at}`
//! - `DELETE /plan/calendar` (session) → 204: the address stops working at once
//! - `GET /plan/calendar/{token}.ics` (no session: the token is the credential) → the plan as
//!   `text/calendar` (see [`crate::plan::ics`])
//!
//! Every feed address that does not open a plan (unknown, malformed, revoked, its user
//! removed or disabled) gets the same 404 after the same work (see [`crate::plan::tokens`]).
//! The feed is sent with `Cache-Control: private, max-age=300`: `private` keeps a personal
//! document whose address is a secret out of shared caches (a CDN may sit in front of the
//! relay for blobs), while a calendar app or browser polling again within five minutes may
//! reuse its own copy (the feed changes only when the user edits the plan; revoking is
//! immediate at the relay, and a subscribed app holds its last copy regardless).

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use larder_core::model::PlanDoc;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiErrorBody, ApiJson};
use crate::accounts::auth::AuthUser;
use crate::clock::UnixMs;
use crate::http::state::AppState;
use crate::plan::{doc, ics, tokens};
use crate::store::User;

/// Where feed addresses live, under `/api/v1`.
const FEED_PREFIX: &str = "/api/v1/plan/calendar/";
const FEED_SUFFIX: &str = ".ics";
const FEED_CACHE_CONTROL: &str = "private, max-age=300";

/// `path` with a calendar feed's token replaced by `{token}`, for logs (request spans): the
/// token is the feed's only credential. Other paths come back as they are.
pub fn redacted_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.strip_prefix(FEED_PREFIX) {
        Some(rest) if !rest.is_empty() => format!("{FEED_PREFIX}{{token}}{FEED_SUFFIX}").into(),
        _ => path.into(),
    }
}

/// The routes (nested under `/api/v1`). The feed's path is documented as
/// `/plan/calendar/{token}.ics` but routed as one segment (the router has no suffix
/// parameters), the `.ics` checked by the handler.
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::with_openapi(FeedDoc::openapi())
        .routes(routes!(create_feed, feed_status, revoke_feed))
        .route("/plan/calendar/{file}", get(feed))
}

#[derive(OpenApi)]
#[openapi(paths(feed))]
struct FeedDoc;

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarFeedCreated {
    /// The feed's address on this relay, `/api/v1/plan/calendar/<token>.ics`; shown only now.
    pub path: String,
    /// Unix milliseconds.
    #[schema(value_type = i64)]
    pub created_at: UnixMs,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarFeedStatus {
    /// Whether a feed address works now.
    pub active: bool,
    /// When the working address was made (Unix milliseconds).
    #[schema(value_type = Option<i64>)]
    pub created_at: Option<UnixMs>,
}

/// A new calendar feed address; any earlier one stops working.
#[utoipa::path(post, path = "/plan/calendar", tag = "plan", operation_id = "create_plan_calendar",
    summary = "Make a new calendar feed address for the meal plan (revoking the old one)",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new address", body = CalendarFeedCreated),
        (status = 401, description = "No valid session", body = ApiErrorBody),
    ))]
pub async fn create_feed(
    State(state): State<Arc<AppState>>,
    auth: AuthUser,
) -> Result<(StatusCode, ApiJson<CalendarFeedCreated>), ApiError> {
    let (token, record) = tokens::create(&*state.store, &auth.user.id, state.clock.now_ms())?;
    tracing::info!(user = %auth.user.name, "calendar feed address made");
    Ok((
        StatusCode::CREATED,
        ApiJson(CalendarFeedCreated {
            path: format!("{FEED_PREFIX}{token}{FEED_SUFFIX}"),
            created_at: record.created_at,
        }),
    ))
}

/// Whether the meal plan has a working calendar feed address.
#[utoipa::path(get, path = "/plan/calendar", tag = "plan", operation_id = "plan_calendar_status",
    summary = "Whether a calendar feed address exists (the address itself is not shown again)",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The feed's state", body = CalendarFeedStatus),
        (status = 401, description = "No valid session", body = ApiErrorBody),
    ))]
pub async fn feed_status(
    State(state): State<Arc<AppState>>,
    auth: AuthUser,
) -> Result<ApiJson<CalendarFeedStatus>, ApiError> {
    let current = tokens::status(&*state.store, &auth.user.id)?;
    Ok(ApiJson(CalendarFeedStatus {
        active: current.is_some(),
        created_at: current.map(|t| t.created_at),
    }))
}

/// Revokes the calendar feed address (if there is one).
#[utoipa::path(delete, path = "/plan/calendar", tag = "plan", operation_id = "revoke_plan_calendar",
    summary = "Revoke the calendar feed address",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "No feed address works any more"),
        (status = 401, description = "No valid session", body = ApiErrorBody),
    ))]
pub async fn revoke_feed(
    State(state): State<Arc<AppState>>,
    auth: AuthUser,
) -> Result<StatusCode, ApiError> {
    if tokens::revoke(&*state.store, &auth.user.id)? {
        tracing::info!(user = %auth.user.name, "calendar feed address revoked");
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The one answer for every address that opens no feed.
fn no_feed() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no calendar feed at this address",
    )
}

/// The meal plan as an iCalendar feed, for calendar apps to subscribe to.
#[utoipa::path(get, path = "/plan/calendar/{token}.ics", tag = "plan", operation_id = "plan_calendar_feed",
    summary = "The meal plan as an iCalendar feed (the token in the address is the credential)",
    params(("token" = String, Path, description = "The feed token from POST /plan/calendar")),
    responses(
        (status = 200, description = "The calendar", content_type = "text/calendar", body = String),
        (status = 404, description = "Unknown, malformed or revoked address", body = ApiErrorBody),
        (status = 503, description = "The relay is shutting down", body = ApiErrorBody),
    ))]
pub async fn feed(
    State(state): State<Arc<AppState>>,
    file: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let file = file.map(|Path(f)| f).unwrap_or_default();
    // Looked up whatever its shape, so a malformed address costs what an unknown one does.
    let (token, shaped) = match file.strip_suffix(FEED_SUFFIX) {
        Some(token) => (token, true),
        None => (file.as_str(), false),
    };
    let user = tokens::authenticate(&*state.store, token)?;
    let Some(user) = user.filter(|_| shaped) else {
        return Err(no_feed());
    };
    let body = render(&state, &user).await?;
    Ok((
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (CACHE_CONTROL, HeaderValue::from_static(FEED_CACHE_CONTROL)),
        ],
        body,
    )
        .into_response())
}

/// The plan the user's devices use as `.ics`: their household's while they are in one, else
/// their own (an empty calendar if no device has asked for that plan yet).
async fn render(state: &AppState, user: &User) -> Result<String, ApiError> {
    let now = state.clock.now_ms();
    let plan_id = match state.store.household_of(&user.id)? {
        Some(household) => household.meal_plan_id,
        None => user.meal_plan_id.clone(),
    };
    let Some(plan_id) = plan_id else {
        return Ok(ics::render(&PlanDoc::new(), now));
    };
    let plan = state
        .sync()?
        .read_document(&plan_id, doc::read)
        .await
        .map_err(|e| match e {
            crate::sync::SyncError::UserRemoved => no_feed(),
            other => other.into(),
        })?
        .ok_or_else(|| ApiError::internal(&format!("meal plan {plan_id} is missing")))?
        .map_err(|e| ApiError::internal(&e))?;
    Ok(ics::render(&plan, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_tokens_are_left_out_of_logged_paths() {
        assert_eq!(
            redacted_path("/api/v1/plan/calendar/lcal_secret.ics"),
            "/api/v1/plan/calendar/{token}.ics"
        );
        assert_eq!(
            redacted_path("/api/v1/plan/calendar/anything/else"),
            "/api/v1/plan/calendar/{token}.ics"
        );
        for kept in [
            "/api/v1/plan/calendar",
            "/api/v1/plan/calendar/",
            "/api/v1/me",
        ] {
            assert_eq!(redacted_path(kept), kept);
        }
    }

    #[test]
    fn every_route_is_in_the_openapi_document() {
        let (_, api) = routes().split_for_parts();
        let json = serde_json::to_value(&api).unwrap();
        let paths = &json["paths"];
        for method in ["get", "post", "delete"] {
            assert!(paths["/plan/calendar"][method].is_object(), "{paths}");
        }
        assert!(
            paths["/plan/calendar/{token}.ics"]["get"].is_object(),
            "{paths}"
        );
        for schema in ["CalendarFeedCreated", "CalendarFeedStatus"] {
            assert!(
                json["components"]["schemas"][schema].is_object(),
                "{schema} in {json}"
            );
        }
    }
}
