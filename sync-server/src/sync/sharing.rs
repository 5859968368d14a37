//! What the sync core does when a share is made or revoked: the grantees' change feeds get the
//! shared documents at once (backfill), and on revocation lose every document they no longer
//! reach, while their open connections stop getting those documents' changes. The decision
//! itself stays [`super::access`]'s; this module only makes the feed and the connections
//! follow it. Also the documents' kinds, which "all my recipes" shares depend on.

use super::{SyncError, SyncHub};
use crate::store::{Grantee, Principal, Share, UserId};

impl SyncHub {
    /// The root `kind` of document `doc`: as recorded by the feed, or read from the document
    /// (and recorded) when the feed has not seen it since the relay started recording kinds.
    pub async fn doc_kind(&self, doc: &str) -> Result<Option<String>, SyncError> {
        let store = self.slot.get()?;
        if let Some(kind) = store.doc_kind(doc)? {
            return Ok(Some(kind));
        }
        let kind = self
            .read_document(doc, larder_core::model::doc_kind)
            .await?
            .flatten();
        if let Some(kind) = &kind {
            store.set_doc_kind(doc, kind)?;
        }
        Ok(kind)
    }

    /// A share of `docs` was stored (the store marked them pending): the grantees' feeds get
    /// them before this returns.
    pub async fn share_granted(&self, docs: &[String]) -> Result<(), SyncError> {
        self.announce(docs.iter().map(String::as_str)).await
    }

    /// `share` of `docs` was deleted: every grantee who no longer reaches one of them by any
    /// means (another share, a household) loses its feed entry, and their open connections
    /// are told it is unavailable and get nothing more of it.
    pub async fn share_revoked(&self, share: &Share, docs: &[String]) -> Result<(), SyncError> {
        let store = self.slot.get()?;
        let users: Vec<UserId> = match &share.grantee {
            Grantee::User(user) => vec![user.clone()],
            Grantee::Household(id) => store.household(id)?.map(|h| h.members).unwrap_or_default(),
        };
        // A burst the feed worker is recording now was decided with the share still there.
        self.feed_settled().await?;
        let owner = Principal::User(share.owner.clone());
        for user in users.iter().filter(|u| **u != share.owner) {
            for doc in docs {
                if !super::access::decide_for(store.as_ref(), doc, &owner, user)?.allowed() {
                    store.forget_feed_entry(doc, user)?;
                }
            }
            let _ = self
                .shards
                .ask_all(|done| super::shard::Command::ForgetReader {
                    owner: owner.clone(),
                    user: user.clone(),
                    done,
                })
                .await;
        }
        Ok(())
    }
}
