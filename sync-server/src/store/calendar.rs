//! What the meal plan's calendar feed keeps on disk, as the [`CalendarStore`] trait (a
//! supertrait of [`RelayStore`](super::RelayStore)): at most one feed token per user, stored
//! only as its SHA-256 (like sessions and API tokens), so a stolen database does not hand out
//! working feed addresses. Making a new token replaces the user's earlier one in the same step.

use serde::{Deserialize, Serialize};

use super::{StoreError, TokenHash, UserId};
use crate::clock::UnixMs;

/// A calendar feed token's record; the token itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarToken {
    pub user_id: UserId,
    pub created_at: UnixMs,
}

/// See the module docs. Every method is atomic.
pub trait CalendarStore {
    /// Stores `token` as its user's feed token under `hash`, deleting the user's earlier one
    /// (which stops working at once). Fails with [`StoreError::NoSuchUser`] when the user is
    /// gone.
    fn replace_calendar_token(
        &self,
        hash: &TokenHash,
        token: &CalendarToken,
    ) -> Result<(), StoreError>;
    /// The record of the token with this hash, if it exists.
    fn calendar_token(&self, hash: &TokenHash) -> Result<Option<CalendarToken>, StoreError>;
    /// The user's current feed token, if any.
    fn user_calendar_token(&self, user: &UserId) -> Result<Option<CalendarToken>, StoreError>;
    /// Deletes the user's feed token; returns whether there was one.
    fn revoke_calendar_token(&self, user: &UserId) -> Result<bool, StoreError>;
}
