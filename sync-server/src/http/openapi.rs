//! The OpenAPI 3 document, generated from the handlers' `#[utoipa::path]` annotations and the
//! bodies' `ToSchema` derives, served at `GET /api/v1/openapi.json`. A copy is committed as
//! `sync-server/openapi.json`; a test fails when it differs from what the handlers produce
//! (regenerate with `larder-server openapi > sync-server/openapi.json`).

use std::sync::Arc;

use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiErrorBody, health};
use crate::http::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Larder relay",
        description = "The Larder relay's HTTP API. Sign in with POST /api/v1/session and send \
                       the token as `Authorization: Bearer <token>`. Every error is a JSON \
                       ApiError with a stable `error` code.",
        license(name = "MIT"),
    ),
    components(schemas(ApiErrorBody)),
    modifiers(&BearerAuth),
    tags(
        (name = "session", description = "Signing in and out"),
        (name = "sync", description = "Sync tickets and the change feed"),
        (name = "health", description = "Liveness and readiness"),
        (name = "plan", description = "The meal plan's calendar feed"),
        (name = "shares", description = "Sharing recipes with other users and households"),
    ),
)]
struct ApiDoc;

/// The `bearer` security scheme the authenticated operations name.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A session token from POST /api/v1/session"))
                    .build(),
            ),
        );
    }
}

/// Documented routes outside `/api/v1`.
fn root_routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
}

/// The whole document, for `api` (the routes under `/api/v1`, see [`super::api_routes`]).
pub fn document(api: &OpenApiRouter<Arc<AppState>>) -> Document {
    let mut doc = ApiDoc::openapi();
    doc.merge(root_routes().into_openapi());
    doc.nest("/api/v1", api.get_openapi().clone())
}

/// The document as the relay serves it: pretty JSON with a final newline.
pub fn to_json(doc: &Document) -> String {
    let mut json = doc
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot encode the OpenAPI document: {e}\"}}"));
    json.push('\n');
    json
}
