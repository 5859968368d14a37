//! Sharing recipes, under `/api/v1` (session):
//! - `POST /shares` `{recipes: [doc ids] | all_recipes: true, with: {user: NAME} |
//!   {household: NAME}, mode: read|edit}` → 201 the share: the grantees' change feeds list the
//!   recipes at once, and their devices sync them like their own (read-only: what they send
//!   is dropped)
//! - `GET /shares` → the shares this user made, each with who has access
//! - `DELETE /shares/{id}` → 204: revoked at once (feed entries gone, open connections told the
//!   documents are unavailable)
//! - `GET /shares/incoming` → the recipes others share with this user, with owner and mode
//!
//! Only the owner of a recipe shares it; a recipe id that is not the user's own recipe is
//! answered exactly like one that does not exist.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiErrorBody, ApiJson};
use crate::accounts::auth::AuthUser;
use crate::clock::UnixMs;
use crate::http::state::AppState;
use crate::store::share::RECIPE_KIND;
use crate::store::{Grantee, Principal, RelayStore, Share, ShareId, ShareMode, ShareScope, UserId};
use crate::sync::SyncHub;
use crate::sync::doc_id::DocId;

/// Most recipes one share names (share more with `all_recipes`).
pub const MAX_SHARED_RECIPES: usize = 500;

pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(create_share, list_shares))
        .routes(routes!(revoke_share))
        .routes(routes!(incoming_shares))
}

/// Who to share with, by name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ShareWith {
    User(String),
    Household(String),
}

/// A new share: some recipes, or all of them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShare {
    /// Recipe document ids (1 to 500 of this user's recipes); or leave out and set
    /// `all_recipes`.
    #[serde(default)]
    pub recipes: Option<Vec<String>>,
    /// Every recipe this user has now or makes later.
    #[serde(default)]
    pub all_recipes: bool,
    pub with: ShareWith,
    #[schema(value_type = String, example = "read")]
    pub mode: ShareMode,
}

/// Someone a share is for.
#[derive(Debug, Serialize, ToSchema)]
pub struct GranteeView {
    /// `user` or `household`.
    pub kind: &'static str,
    pub id: String,
    pub name: String,
}

/// A share as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareView {
    pub id: String,
    /// The recipes shared; absent for `all_recipes`.
    pub recipes: Option<Vec<String>>,
    pub all_recipes: bool,
    pub with: GranteeView,
    /// `read` or `edit`.
    #[schema(value_type = String)]
    pub mode: ShareMode,
    /// Unix milliseconds.
    #[schema(value_type = i64)]
    pub created_at: UnixMs,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShareList {
    pub shares: Vec<ShareView>,
}

/// A user, by id and name.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserRef {
    pub id: String,
    pub name: String,
}

/// A recipe someone shares with this user.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncomingRecipe {
    pub doc_id: String,
    pub owner: UserRef,
    /// `read` or `edit`: the widest of the shares that reach this user.
    #[schema(value_type = String)]
    pub mode: ShareMode,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncomingShares {
    pub recipes: Vec<IncomingRecipe>,
}

fn recipe_not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "recipe_not_found",
        format!("you have no recipe {id}"),
    )
}

fn share_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "share_not_found", "no such share")
}

/// Share recipes with a user or a household.
#[utoipa::path(post, path = "/shares", tag = "shares",
    summary = "Share some of your recipes, or all of them, with a user or a household",
    security(("bearer" = [])),
    request_body = NewShare,
    responses(
        (status = 201, description = "Shared", body = ShareView),
        (status = 400, description = "Neither or both of recipes and all_recipes, too many recipes, a bad id, or sharing with yourself", body = ApiErrorBody),
        (status = 401, description = "No valid session", body = ApiErrorBody),
        (status = 404, description = "No such user or household, or not your recipe", body = ApiErrorBody),
        (status = 415, description = "Not application/json", body = ApiErrorBody),
        (status = 503, description = "The relay is shutting down", body = ApiErrorBody),
    ))]
pub async fn create_share(
    State(state): State<Arc<AppState>>,
    auth: AuthUser,
    ApiJson(req): ApiJson<NewShare>,
) -> Result<(StatusCode, ApiJson<ShareView>), ApiError> {
    let hub = state.sync()?;
    let store = state.store.as_ref();
    let me = &auth.user.id;
    let grantee = match &req.with {
        ShareWith::User(name) => match store.user_by_name(name)? {
            Some(user) if user.id == *me => {
                return Err(ApiError::bad_request(
                    "share_with_self",
                    "your recipes are yours already",
                ));
            }
            Some(user) => Grantee::User(user.id),
            None => return Err(no_such_grantee(name)),
        },
        ShareWith::Household(name) => match store.household_by_name(name)? {
            Some(h) => Grantee::Household(h.id),
            None => return Err(no_such_grantee(name)),
        },
    };
    let (scope, docs) = match (req.recipes, req.all_recipes) {
        (Some(ids), false) => {
            let ids = own_recipes(hub, store, me, ids).await?;
            (ShareScope::Recipes(ids.clone()), ids)
        }
        (None, true) => (
            ShareScope::AllRecipes,
            all_own_recipes(hub, store, me).await?,
        ),
        _ => {
            return Err(ApiError::bad_request(
                "bad_share",
                "give either recipes (a list of ids) or all_recipes: true",
            ));
        }
    };
    let share = Share {
        id: ShareId::random(),
        owner: me.clone(),
        scope,
        grantee,
        mode: req.mode,
        created_at: state.clock.now_ms(),
    };
    store.create_share(&share, &docs)?;
    hub.share_granted(&docs).await?;
    tracing::info!(user = %auth.user.name, share = %share.id, recipes = docs.len(), "recipes shared");
    Ok((StatusCode::CREATED, ApiJson(view(store, share)?)))
}

/// The shares you made.
#[utoipa::path(get, path = "/shares", tag = "shares",
    summary = "The shares you made, and who has access through each",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your shares, oldest first", body = ShareList),
        (status = 401, description = "No valid session", body = ApiErrorBody),
    ))]
pub async fn list_shares(
    State(state): State<Arc<AppState>>,
    auth: AuthUser,
) -> Result<ApiJson<ShareList>, ApiError> {
    let store = state.store.as_ref();
    let shares = store
        .shares_by(&auth.user.id)?
        .into_iter()
        .map(|s| view(store, s))
        .collect::<Result<_, _>>()?;
    Ok(ApiJson(ShareList { shares }))
}

/// Revoke a share.
#[utoipa::path(delete, path = "/shares/{id}", tag = "shares",
    summary = "Revoke a share: its grantees lose the recipes at once",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The share id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid session", body = ApiErrorBody),
        (status = 404, description = "No such share of yours", body = ApiErrorBody),
        (status = 503, description = "The relay is shutting down", body = ApiErrorBody),
    ))]
pub async fn revoke_share(
    State(state): State<Arc<AppState>>,
    auth: AuthUser,
    path: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let hub = state.sync()?;
    let store = state.store.as_ref();
    let id = path
        .ok()
        .and_then(|Path(id)| ShareId::parse(&id))
        .ok_or_else(share_not_found)?;
    let share = store
        .share(&id)?
        .filter(|s| s.owner == auth.user.id)
        .ok_or_else(share_not_found)?;
    let docs = match &share.scope {
        ShareScope::Recipes(ids) => ids.clone(),
        ShareScope::AllRecipes => recipes_of(store, &share.owner)?,
    };
    store.delete_share(&id)?;
    hub.share_revoked(&share, &docs).await?;
    tracing::info!(user = %auth.user.name, share = %id, "share revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// The recipes shared with you.
#[utoipa::path(get, path = "/shares/incoming", tag = "shares",
    summary = "The recipes others share with you (or with your household)",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Shared recipes, with their owners", body = IncomingShares),
        (status = 401, description = "No valid session", body = ApiErrorBody),
    ))]
pub async fn incoming_shares(
    State(state): State<Arc<AppState>>,
    auth: AuthUser,
) -> Result<ApiJson<IncomingShares>, ApiError> {
    let store = state.store.as_ref();
    let mut recipes: BTreeMap<String, (UserId, ShareMode)> = BTreeMap::new();
    for share in store.shares_to(&auth.user.id)? {
        if share.owner == auth.user.id {
            continue; // one's own recipes shared with one's household
        }
        let docs = match &share.scope {
            ShareScope::Recipes(ids) => ids.clone(),
            ShareScope::AllRecipes => recipes_of(store, &share.owner)?,
        };
        for doc in docs {
            let entry = recipes
                .entry(doc)
                .or_insert_with(|| (share.owner.clone(), share.mode));
            entry.1 = entry.1.max(share.mode);
        }
    }
    let mut names: BTreeMap<UserId, String> = BTreeMap::new();
    let mut out = Vec::with_capacity(recipes.len());
    for (doc_id, (owner, mode)) in recipes {
        if !names.contains_key(&owner) {
            let name = store.user(&owner)?.map(|u| u.name).unwrap_or_default();
            names.insert(owner.clone(), name);
        }
        out.push(IncomingRecipe {
            doc_id,
            owner: UserRef {
                id: owner.to_string(),
                name: names[&owner].clone(),
            },
            mode,
        });
    }
    Ok(ApiJson(IncomingShares { recipes: out }))
}

fn no_such_grantee(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_such_grantee",
        format!("no user or household is named {name:?}"),
    )
}

/// `ids`, checked to be recipes `me` owns, without repeats.
async fn own_recipes(
    hub: &SyncHub,
    store: &dyn RelayStore,
    me: &UserId,
    ids: Vec<String>,
) -> Result<Vec<String>, ApiError> {
    if ids.is_empty() || ids.len() > MAX_SHARED_RECIPES {
        return Err(ApiError::bad_request(
            "bad_share",
            format!("share 1 to {MAX_SHARED_RECIPES} recipes at a time (or all_recipes)"),
        ));
    }
    let mine = Principal::User(me.clone());
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if id.parse::<DocId>().is_err() {
            return Err(ApiError::bad_request(
                "bad_doc_id",
                format!("{id:?} is not a document id"),
            ));
        }
        if out.contains(&id) {
            continue;
        }
        let owned = store.doc_principal(&id)?.as_ref() == Some(&mine);
        if !owned || hub.doc_kind(&id).await?.as_deref() != Some(RECIPE_KIND) {
            return Err(recipe_not_found(&id));
        }
        out.push(id);
    }
    Ok(out)
}

/// Every recipe `me` owns, learning the kinds the relay has not recorded yet.
async fn all_own_recipes(
    hub: &SyncHub,
    store: &dyn RelayStore,
    me: &UserId,
) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for doc in store.docs_of(me)? {
        if hub.doc_kind(&doc).await?.as_deref() == Some(RECIPE_KIND) {
            out.push(doc);
        }
    }
    Ok(out)
}

/// The documents of `owner` recorded as recipes.
fn recipes_of(store: &dyn RelayStore, owner: &UserId) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for doc in store.docs_of(owner)? {
        if store.doc_kind(&doc)?.as_deref() == Some(RECIPE_KIND) {
            out.push(doc);
        }
    }
    Ok(out)
}

fn view(store: &dyn RelayStore, share: Share) -> Result<ShareView, ApiError> {
    let with = match &share.grantee {
        Grantee::User(id) => GranteeView {
            kind: "user",
            id: id.to_string(),
            name: store.user(id)?.map(|u| u.name).unwrap_or_default(),
        },
        Grantee::Household(id) => GranteeView {
            kind: "household",
            id: id.to_string(),
            name: store.household(id)?.map(|h| h.name).unwrap_or_default(),
        },
    };
    let (recipes, all_recipes) = match share.scope {
        ShareScope::Recipes(ids) => (Some(ids), false),
        ShareScope::AllRecipes => (None, true),
    };
    Ok(ShareView {
        id: share.id.to_string(),
        recipes,
        all_recipes,
        with,
        mode: share.mode,
        created_at: share.created_at,
    })
}
