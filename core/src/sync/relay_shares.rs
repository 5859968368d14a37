//! The relay's recipe-sharing routes, as a native device calls them: the recipes shared with
//! this user (adopted at every connection), and sharing, listing and revoking one's own
//! ([`shares`], what a native shell answers [`crate::rpc::Request::Shares`] with).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::rpc::{ShareAction, ShareMode, ShareTarget, ShareView};

use super::relay::{RelayClient, RelayError, json_or_refusal, send};
use super::session::session;
use crate::api::Larder;
use crate::docstore::DocumentStore;
use crate::store::IncomingShare;

const SHARE_TIMEOUT: Duration = Duration::from_secs(30);

/// The body of `POST /api/v1/shares`.
#[derive(Debug, Clone, Serialize)]
pub struct NewShare {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipes: Option<Vec<String>>,
    pub all_recipes: bool,
    pub with: ShareTarget,
    pub mode: ShareMode,
}

#[derive(Deserialize)]
struct OwnShares {
    shares: Vec<ShareView>,
}

#[derive(Deserialize)]
struct Incoming {
    recipes: Vec<IncomingShare>,
}

impl RelayClient {
    /// The recipes other users share with this one (`GET /api/v1/shares/incoming`); none from
    /// a relay older than sharing.
    pub async fn incoming_shares(&self, token: &str) -> Result<Vec<IncomingShare>, RelayError> {
        let response = send(
            self.http
                .get(self.url("api/v1/shares/incoming")?)
                .bearer_auth(token),
            SHARE_TIMEOUT,
        )
        .await?;
        match json_or_refusal::<Incoming>(response, "the list of shared recipes").await {
            Ok(incoming) => Ok(incoming.recipes),
            Err(RelayError::Refused { status: 404, .. }) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Shares recipes (`POST /api/v1/shares`).
    pub async fn share(&self, token: &str, share: &NewShare) -> Result<ShareView, RelayError> {
        let response = send(
            self.http
                .post(self.url("api/v1/shares")?)
                .bearer_auth(token)
                .json(share),
            SHARE_TIMEOUT,
        )
        .await?;
        json_or_refusal(response, "the share").await
    }

    /// The shares this user made (`GET /api/v1/shares`).
    pub async fn own_shares(&self, token: &str) -> Result<Vec<ShareView>, RelayError> {
        let response = send(
            self.http.get(self.url("api/v1/shares")?).bearer_auth(token),
            SHARE_TIMEOUT,
        )
        .await?;
        Ok(json_or_refusal::<OwnShares>(response, "the list of shares")
            .await?
            .shares)
    }

    /// Revokes one of this user's shares (`DELETE /api/v1/shares/{id}`).
    pub async fn revoke_share(&self, token: &str, id: &str) -> Result<(), RelayError> {
        let mut url = self.url("api/v1/shares/")?;
        url.path_segments_mut()
            .map_err(|()| RelayError::BadServer(self.base().to_string()))?
            .pop_if_empty()
            .push(id);
        let response = send(self.http.delete(url).bearer_auth(token), SHARE_TIMEOUT).await?;
        if response.status().as_u16() == 204 {
            return Ok(());
        }
        json_or_refusal::<serde_json::Value>(response, "revoking the share")
            .await
            .map(|_| ())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    #[error("sign in to a relay to share recipes: shares live on the relay")]
    NotSignedIn,
    #[error(transparent)]
    Relay(#[from] RelayError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Does `action` on the signed-in user's shares at their relay; the list afterwards.
pub async fn shares<S: DocumentStore>(
    larder: &Larder<S>,
    action: ShareAction,
) -> Result<Vec<ShareView>, ShareError> {
    let session = session(larder.store())?.ok_or(ShareError::NotSignedIn)?;
    let client = RelayClient::new(&session.server)?;
    match action {
        ShareAction::List => {}
        ShareAction::Create {
            recipes,
            all_recipes,
            with,
            mode,
        } => {
            let body = NewShare {
                recipes,
                all_recipes,
                with,
                mode,
            };
            client.share(&session.token, &body).await?;
        }
        ShareAction::Revoke { id } => client.revoke_share(&session.token, &id).await?,
    }
    Ok(client.own_shares(&session.token).await?)
}
