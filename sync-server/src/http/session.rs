//! `/api/v1/session` (login, logout) and `/api/v1/me`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, ApiErrorBody, ApiJson, ClientAddr};
use crate::accounts::auth::AuthUser;
use crate::clock::UnixMs;
use crate::http::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub user: UserRef,
    /// Unix milliseconds; slides forward with use.
    #[schema(value_type = i64)]
    pub expires_at: UnixMs,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub id: String,
    pub name: String,
    pub grocery_list_id: Option<String>,
    /// The user's meal-plan document (created by the relay, like the grocery list).
    pub meal_plan_id: Option<String>,
    /// The household the user is in, or null (a user is in at most one).
    pub household: Option<HouseholdRef>,
}

/// A household, as its members see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdRef {
    pub id: String,
    pub name: String,
    /// The household's grocery-list document, shared by its members (created by the relay
    /// the first time it is asked for, like a user's).
    pub grocery_list_id: String,
    /// The household's meal plan, shared by its members (created like the list).
    pub meal_plan_id: String,
}

/// `POST /api/v1/session` {username, password} → 200 {token, user, expires_at}.
#[utoipa::path(post, path = "/session", tag = "session",
    summary = "Sign in: exchange a user name and password for a session token",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 400, description = "Malformed body or missing fields", body = ApiErrorBody),
        (status = 401, description = "Wrong user name or password", body = ApiErrorBody),
        (status = 413, description = "Body too large", body = ApiErrorBody),
        (status = 415, description = "Not JSON", body = ApiErrorBody),
        (status = 429, description = "Too many failed attempts", body = ApiErrorBody),
    ))]
pub async fn login(
    State(state): State<Arc<AppState>>,
    ClientAddr(addr): ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<ApiJson<LoginResponse>, ApiError> {
    let session = state.login(&req.username, req.password, addr).await?;
    Ok(ApiJson(LoginResponse {
        token: session.token,
        user: UserRef {
            id: session.user.id.to_string(),
            name: session.user.name,
        },
        expires_at: session.expires_at,
    }))
}

/// `DELETE /api/v1/session` → 204; the token is dead afterwards.
#[utoipa::path(delete, path = "/session", tag = "session",
    summary = "Sign out: revoke this session token",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "No valid session", body = ApiErrorBody),
    ))]
pub async fn logout(
    State(state): State<Arc<AppState>>,
    auth: AuthUser,
) -> Result<StatusCode, ApiError> {
    state.logout(&auth)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/me` → {id, name, grocery_list_id, meal_plan_id, household}. The grocery list
/// and the meal plan are created (owned by the user) the first time they are asked for; every
/// device then uses those. `household` is the user's household ({id, name, grocery_list_id,
/// meal_plan_id}, its list and plan owned by the household and created the same way) or null.
#[utoipa::path(get, path = "/me", tag = "session",
    summary = "The signed-in user, their grocery-list and meal-plan documents, and their household",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = MeResponse),
        (status = 401, description = "No valid session", body = ApiErrorBody),
        (status = 503, description = "The relay is shutting down", body = ApiErrorBody),
    ))]
pub async fn me(
    State(state): State<Arc<AppState>>,
    auth: AuthUser,
) -> Result<ApiJson<MeResponse>, ApiError> {
    let grocery_list_id = match auth.user.grocery_list_id {
        Some(id) => id,
        None => state.sync()?.grocery_list_id(&auth.user.id).await?,
    };
    let meal_plan_id = match auth.user.meal_plan_id {
        Some(id) => id,
        None => state.sync()?.meal_plan_id(&auth.user.id).await?,
    };
    let household = match state.store.household_of(&auth.user.id)? {
        Some(h) => {
            let grocery_list_id = match h.grocery_list_id {
                Some(id) => id,
                None => state.sync()?.household_grocery_list_id(&h.id).await?,
            };
            let meal_plan_id = match h.meal_plan_id {
                Some(id) => id,
                None => state.sync()?.household_meal_plan_id(&h.id).await?,
            };
            Some(HouseholdRef {
                id: h.id.to_string(),
                name: h.name,
                grocery_list_id,
                meal_plan_id,
            })
        }
        None => None,
    };
    Ok(ApiJson(MeResponse {
        id: auth.user.id.to_string(),
        name: auth.user.name,
        grocery_list_id: Some(grocery_list_id),
        meal_plan_id: Some(meal_plan_id),
        household,
    }))
}
