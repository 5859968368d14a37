//! The grocery REST API for other apps, under `/api/v1`:
//! - `GET /grocery` → `{"items": [{id, name, quantity, unit, checked}]}`
//! - `POST /grocery/items` `{name, quantity?, unit?}` → 201 with the item (merged into an
//!   unchecked item of the same normalised name and a compatible unit, by larder-core's rules)
//! - `PATCH /grocery/items/{id}` `{checked}` → 200 with the item
//! - `DELETE /grocery/items/{id}` → 204
//!
//! Each takes `?list=ID` to work on another list the user may sync (their household's, see
//! `/me`); without it, the user's own list. Which lists those are is the sync core's one
//! access decision ([`crate::sync::access::decide`]); any other id, existing or not, is
//! answered 404 `list_not_found`, alike.
//!
//! Authentication: `Authorization: Bearer <API token>` (see [`crate::hook::tokens`]); a session
//! token of the same user is accepted too (it already grants everything an API token does),
//! while API tokens are accepted nowhere else. Changes are made in the user's grocery-list
//! document in the relay's sync core, so they reach every device by sync, enter the change
//! feed like any device's edit, and additions go to the webhook. A successful answer means the
//! change is on disk.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{FromRef, FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use larder_core::grocery::{addition_from_parts, merge_addition};
use larder_core::model::GroceryDoc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::bearer_token;
use super::{ApiError, ApiJson};
use crate::hook::{doc, tokens};
use crate::http::state::AppState;
use crate::store::{HookItem, User};

/// Item ids are 32 hex digits; anything longer is certainly unknown.
const MAX_ITEM_ID: usize = 64;

/// The grocery API's routes (nested under `/api/v1`).
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_items))
        .routes(routes!(add_item))
        .routes(routes!(patch_item, delete_item))
}

/// The user of a grocery API request: from an API token, or a session token.
#[derive(Debug, Clone)]
pub struct GroceryUser(pub User);

impl<S> FromRequestParts<S> for GroceryUser
where
    S: Send + Sync,
    Arc<AppState>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = Arc::<AppState>::from_ref(state);
        let token = bearer_token(&parts.headers)?;
        if tokens::is_api_token(token) {
            state.authenticate_api_token(token).map(GroceryUser)
        } else {
            state.authenticate(token).map(|auth| GroceryUser(auth.user))
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroceryList {
    /// In the order they were added.
    pub items: Vec<HookItem>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewItem {
    /// 1 to 200 characters.
    pub name: String,
    /// At least 0.
    pub quantity: Option<f64>,
    /// A unit such as `g`, `kg`, `l`, `tbsp` (known units are stored as their symbol); empty or
    /// absent for a count.
    pub unit: Option<String>,
}

/// Which list a request works on.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A grocery list the user may sync other than their own (their household's); absent: the
    /// user's own list.
    pub list: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ItemPatch {
    pub checked: bool,
}

fn not_found_item() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "item_not_found",
        "no grocery item with this id",
    )
}

fn item_id(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    let Path(id) = path.map_err(|_| not_found_item())?;
    if id.is_empty() || id.len() > MAX_ITEM_ID || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(not_found_item());
    }
    Ok(id)
}

fn not_found_list() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "list_not_found",
        "no grocery list with this id",
    )
}

/// The id of the list a request works on: `requested` if the user may sync it, else the user's
/// own grocery list (created on first use, as for `/me`).
async fn list_id(
    state: &AppState,
    user: &User,
    requested: Option<String>,
) -> Result<String, ApiError> {
    if let Some(id) = requested {
        let store = state.sync()?.store()?;
        if id.parse::<crate::sync::DocId>().is_err()
            || !crate::sync::access::decide(store.as_ref(), &id, &user.id, false)?.allowed()
        {
            return Err(not_found_list());
        }
        return Ok(id);
    }
    match &user.grocery_list_id {
        Some(id) => Ok(id.clone()),
        None => Ok(state.sync()?.grocery_list_id(&user.id).await?),
    }
}

fn missing(list_id: &str) -> ApiError {
    ApiError::internal(&format!("grocery list {list_id} is missing from the relay"))
}

/// Runs `f` on the list and writes the list back if `f` succeeds; returns once the change is
/// on disk.
async fn edit<R: Send + 'static>(
    state: &AppState,
    list_id: &str,
    f: impl FnOnce(&mut GroceryDoc) -> Result<R, ApiError> + Send + 'static,
) -> Result<R, ApiError> {
    let edited = state
        .sync()?
        .edit_document(list_id, move |am| {
            let mut list = doc::read(am).map_err(|e| ApiError::internal(&e))?;
            let out = f(&mut list)?;
            doc::write(am, &list).map_err(|e| ApiError::internal(&e))?;
            Ok::<_, ApiError>(out)
        })
        .await?;
    edited.ok_or_else(|| missing(list_id))?
}

/// The user's grocery list.
#[utoipa::path(
    get,
    path = "/grocery",
    tag = "grocery",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "The list", body = GroceryList),
        (status = 404, description = "No such list (or not one of this user's)", body = crate::http::ApiErrorBody),
        (status = 401, description = "Missing, unknown or revoked token", body = crate::http::ApiErrorBody),
        (status = 503, description = "The relay is shutting down", body = crate::http::ApiErrorBody),
    )
)]
pub async fn list_items(
    State(state): State<Arc<AppState>>,
    GroceryUser(user): GroceryUser,
    Query(query): Query<ListQuery>,
) -> Result<ApiJson<GroceryList>, ApiError> {
    let list_id = list_id(&state, &user, query.list).await?;
    let items = state
        .sync()?
        .read_document(&list_id, |am| doc::read(am).map(|list| doc::items(&list)))
        .await?
        .ok_or_else(|| missing(&list_id))?
        .map_err(|e| ApiError::internal(&e))?;
    Ok(ApiJson(GroceryList { items }))
}

/// Adds an item, merging into an unchecked item of the same name and a compatible unit.
#[utoipa::path(
    post,
    path = "/grocery/items",
    tag = "grocery",
    security(("bearer" = [])),
    params(ListQuery),
    request_body = NewItem,
    responses(
        (status = 201, description = "The item added or merged into", body = HookItem),
        (status = 404, description = "No such list (or not one of this user's)", body = crate::http::ApiErrorBody),
        (status = 400, description = "Malformed JSON or missing fields", body = crate::http::ApiErrorBody),
        (status = 401, description = "Missing, unknown or revoked token", body = crate::http::ApiErrorBody),
        (status = 413, description = "Body too large", body = crate::http::ApiErrorBody),
        (status = 415, description = "Not application/json", body = crate::http::ApiErrorBody),
        (status = 422, description = "Empty or too long name, bad quantity or unit", body = crate::http::ApiErrorBody),
    )
)]
pub async fn add_item(
    State(state): State<Arc<AppState>>,
    GroceryUser(user): GroceryUser,
    Query(query): Query<ListQuery>,
    ApiJson(req): ApiJson<NewItem>,
) -> Result<(StatusCode, ApiJson<HookItem>), ApiError> {
    let addition =
        addition_from_parts(&req.name, req.quantity, req.unit.as_deref()).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_item",
                e.to_string(),
            )
        })?;
    let list_id = list_id(&state, &user, query.list).await?;
    let now = state.clock.now_ms();
    let item = edit(&state, &list_id, move |list| {
        let id = merge_addition(list, addition, now).item_id;
        doc::item(list, &id).ok_or_else(|| ApiError::internal(&"merged item vanished"))
    })
    .await?;
    tracing::info!(user = %user.name, item = item.id, "grocery item added through the API");
    Ok((StatusCode::CREATED, ApiJson(item)))
}

/// Checks or unchecks an item.
#[utoipa::path(
    patch,
    path = "/grocery/items/{id}",
    tag = "grocery",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The item id"), ListQuery),
    request_body = ItemPatch,
    responses(
        (status = 200, description = "The item", body = HookItem),
        (status = 400, description = "Malformed JSON or missing fields", body = crate::http::ApiErrorBody),
        (status = 401, description = "Missing, unknown or revoked token", body = crate::http::ApiErrorBody),
        (status = 404, description = "No such item or list", body = crate::http::ApiErrorBody),
        (status = 415, description = "Not application/json", body = crate::http::ApiErrorBody),
    )
)]
pub async fn patch_item(
    State(state): State<Arc<AppState>>,
    GroceryUser(user): GroceryUser,
    Query(query): Query<ListQuery>,
    path: Result<Path<String>, PathRejection>,
    ApiJson(req): ApiJson<ItemPatch>,
) -> Result<ApiJson<HookItem>, ApiError> {
    let id = item_id(path)?;
    let list_id = list_id(&state, &user, query.list).await?;
    let item = edit(&state, &list_id, move |list| {
        let item = list.items.get_mut(&id).ok_or_else(not_found_item)?;
        item.checked = req.checked;
        doc::item(list, &id).ok_or_else(not_found_item)
    })
    .await?;
    Ok(ApiJson(item))
}

/// Removes an item.
#[utoipa::path(
    delete,
    path = "/grocery/items/{id}",
    tag = "grocery",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The item id"), ListQuery),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Missing, unknown or revoked token", body = crate::http::ApiErrorBody),
        (status = 404, description = "No such item or list", body = crate::http::ApiErrorBody),
    )
)]
pub async fn delete_item(
    State(state): State<Arc<AppState>>,
    GroceryUser(user): GroceryUser,
    Query(query): Query<ListQuery>,
    path: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id = item_id(path)?;
    let list_id = list_id(&state, &user, query.list).await?;
    edit(&state, &list_id, move |list| {
        list.items
            .remove(&id)
            .map(|_| ())
            .ok_or_else(not_found_item)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_in_the_openapi_document() {
        let (_, api) = routes().split_for_parts();
        let json = serde_json::to_value(&api).unwrap();
        let paths = &json["paths"];
        assert!(paths["/grocery"]["get"].is_object(), "{paths}");
        assert!(paths["/grocery/items"]["post"].is_object(), "{paths}");
        for method in ["patch", "delete"] {
            assert!(paths["/grocery/items/{id}"][method].is_object(), "{paths}");
        }
        for schema in [
            "HookItem",
            "GroceryList",
            "NewItem",
            "ItemPatch",
            "ApiError",
        ] {
            assert!(
                json["components"]["schemas"][schema].is_object(),
                "{schema} in {json}"
            );
        }
    }
}
