//! Recipe shares, as the [`ShareStore`] trait (a supertrait of
//! [`RelayStore`](super::RelayStore)): a user's grant of access to some of their recipes, or
//! to all of them, to another user or to a household, read-only or editable. The owner keeps
//! owning the documents; a share only adds readers (and, editable, writers).
//!
//! - "All my recipes" covers the owner's documents of kind [`RECIPE_KIND`], today's and
//!   tomorrow's; the relay learns each document's kind (its root `kind`) when it records the
//!   document in the change feed, or by reading it when a share needs it.
//! - Granting marks the shared documents pending in the change feed, in the same step, so the
//!   grantees' feeds get them; revoking deletes the grantees' feed entries of the documents
//!   they no longer reach by any means.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{HouseholdId, StoreError, UserId};
use crate::clock::UnixMs;

/// The root `kind` of a recipe document (larder-core's `model::RECIPE_KIND`).
pub const RECIPE_KIND: &str = larder_core::model::RECIPE_KIND;

/// A share's id: 128 random bits as 32 lower-case hex digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ShareId(String);

impl ShareId {
    pub fn random() -> Self {
        ShareId(crate::secret::random_hex(16))
    }

    /// Accepts an id as sent: exactly 32 lower-case hex digits.
    pub fn parse(s: &str) -> Option<Self> {
        UserId::parse(s).map(|u| ShareId(u.as_str().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ShareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ShareId({})", self.0)
    }
}

/// What a grantee may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareMode {
    /// Read only: what their devices send for the document is dropped.
    Read,
    /// Read and write.
    Edit,
}

/// Who a share is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Grantee {
    User(UserId),
    /// Every member of the household, for as long as they are members.
    Household(HouseholdId),
}

impl Grantee {
    /// The key prefix of the grantee in the indexes (`u:{id}` or `h:{id}`).
    pub fn index_key(&self) -> String {
        match self {
            Grantee::User(u) => format!("u:{u}"),
            Grantee::Household(h) => format!("h:{h}"),
        }
    }
}

/// Which recipes a share covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "docs", rename_all = "snake_case")]
pub enum ShareScope {
    /// These documents (recipes of the owner).
    Recipes(Vec<String>),
    /// Every recipe the owner has now or makes later.
    AllRecipes,
}

/// One share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub id: ShareId,
    pub owner: UserId,
    pub scope: ShareScope,
    pub grantee: Grantee,
    pub mode: ShareMode,
    pub created_at: UnixMs,
}

/// See the module docs. Every method is atomic.
pub trait ShareStore {
    /// Stores a share and marks the documents it covers pending in the change feed (`docs`:
    /// those documents, which the caller has checked are recipes of the owner).
    fn create_share(&self, share: &Share, docs: &[String]) -> Result<(), StoreError>;
    fn share(&self, id: &ShareId) -> Result<Option<Share>, StoreError>;
    /// The shares `owner` made, oldest first.
    fn shares_by(&self, owner: &UserId) -> Result<Vec<Share>, StoreError>;
    /// The shares that reach `user`: made for them, or for the household they are in.
    fn shares_to(&self, user: &UserId) -> Result<Vec<Share>, StoreError>;
    /// Deletes a share; returns it, if there was one.
    fn delete_share(&self, id: &ShareId) -> Result<Option<Share>, StoreError>;
    /// The widest access a share gives `user` to document `doc` of `owner`, if any.
    fn granted(
        &self,
        doc: &str,
        owner: &UserId,
        user: &UserId,
    ) -> Result<Option<ShareMode>, StoreError>;
    /// The users a share gives some access to document `doc` of `owner` (household grantees
    /// expanded to their members), each once.
    fn grantees_of(&self, doc: &str, owner: &UserId) -> Result<Vec<UserId>, StoreError>;
    /// The root `kind` recorded for `doc`.
    fn doc_kind(&self, doc: &str) -> Result<Option<String>, StoreError>;
    fn set_doc_kind(&self, doc: &str, kind: &str) -> Result<(), StoreError>;
    /// The documents `owner` owns.
    fn docs_of(&self, owner: &UserId) -> Result<Vec<String>, StoreError>;
    /// Deletes `user`'s feed entry of document `doc` (a document they no longer reach).
    fn forget_feed_entry(&self, doc: &str, user: &UserId) -> Result<(), StoreError>;
}
