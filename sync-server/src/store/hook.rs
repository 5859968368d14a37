//! What the grocery hook keeps on disk, as the [`HookStore`] trait (a supertrait of
//! [`RelayStore`](super::RelayStore), so every relay store has it): per-user API tokens for the
//! grocery REST API (stored by the SHA-256 of the token, like sessions), the item ids of each
//! grocery list the relay has already seen (so an addition is queued exactly once, across
//! restarts), and the webhook outbox (one entry per added item, keyed by its delivery id).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{HouseholdId, StoreError, TokenHash, UserId};
use crate::clock::UnixMs;

/// A grocery API token's record; the token itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// Public id (16 hex digits) for listing and revoking.
    pub id: String,
    pub user_id: UserId,
    pub label: String,
    pub created_at: UnixMs,
    pub last_used: Option<UnixMs>,
}

/// A grocery item as the hook shows it to other apps (REST responses and webhook payloads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HookItem {
    /// The item's id in the grocery list (32 hex digits).
    pub id: String,
    pub name: String,
    pub quantity: Option<f64>,
    /// A unit symbol such as `g` or `tbsp`, or empty for a count.
    pub unit: String,
    pub checked: bool,
}

/// One queued webhook delivery: one added item of one list. A user's list goes to the global
/// webhook (`webhook_url`), a household's to that household's (looked up when it is sent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Stable per (list, item): receivers deduplicate on it.
    pub id: String,
    /// Enqueue order (monotonic).
    pub seq: u64,
    /// The user whose list it is; `None` for a household's list.
    pub user_id: Option<UserId>,
    pub user_name: Option<String>,
    /// The household whose list it is; `None` (as in every entry from before household
    /// webhooks) for a user's list.
    #[serde(default)]
    pub household: Option<DeliveryHousehold>,
    pub list_id: String,
    pub item: HookItem,
    /// When the relay saw the item added (Unix ms).
    pub created_at: UnixMs,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Not to be sent before this (Unix ms).
    pub next_attempt_at: UnixMs,
}

/// The household a delivery is for: its id picks the webhook, its name goes in the payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryHousehold {
    pub id: HouseholdId,
    pub name: String,
}

impl Delivery {
    /// Where it goes: `None` for the global webhook, else the household's.
    pub fn destination(&self) -> Option<&HouseholdId> {
        self.household.as_ref().map(|h| &h.id)
    }
}

/// See the module docs. Every method is atomic.
pub trait HookStore {
    // --- API tokens ---

    /// Stores a new token. Fails with [`StoreError::NoSuchUser`] when the user is gone.
    fn create_api_token(&self, hash: &TokenHash, token: &ApiToken) -> Result<(), StoreError>;
    fn api_token(&self, hash: &TokenHash) -> Result<Option<ApiToken>, StoreError>;
    /// Records a use; false (nothing written) if the token no longer exists.
    fn touch_api_token(&self, hash: &TokenHash, now: UnixMs) -> Result<bool, StoreError>;
    /// A user's tokens, oldest first.
    fn list_api_tokens(&self, user: &UserId) -> Result<Vec<ApiToken>, StoreError>;
    /// Deletes a user's token by id; returns whether it existed.
    fn revoke_api_token(&self, user: &UserId, token_id: &str) -> Result<bool, StoreError>;

    // --- grocery lists seen ---

    /// The item ids recorded for a list; `None` if the list has never been recorded.
    fn grocery_seen(&self, list: &str) -> Result<Option<BTreeSet<String>>, StoreError>;
    /// Forgets a list's record (its user is gone).
    fn grocery_forget(&self, list: &str) -> Result<(), StoreError>;
    /// Records a list's item ids: `added` join the record, `removed` leave it, and `queue` goes
    /// into the outbox (replacing entries with the same delivery id), all in one step. With
    /// empty `added`, just makes sure the list counts as recorded.
    fn grocery_record(
        &self,
        list: &str,
        added: &[String],
        removed: &[String],
        queue: &[Delivery],
    ) -> Result<(), StoreError>;

    // --- webhook outbox ---

    /// Every queued delivery, in enqueue order.
    fn outbox(&self) -> Result<Vec<Delivery>, StoreError>;
    fn outbox_len(&self) -> Result<usize, StoreError>;
    /// Replaces a queued delivery (after a failed attempt); false if it is gone.
    fn outbox_update(&self, delivery: &Delivery) -> Result<bool, StoreError>;
    /// Removes a delivery (sent, or given up).
    fn outbox_remove(&self, id: &str) -> Result<(), StoreError>;
    /// A fresh, increasing sequence number (for [`Delivery::seq`]).
    fn next_seq(&self) -> Result<u64, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_entries_from_before_household_webhooks_go_to_the_global_one() {
        let user = UserId::random();
        let old = format!(
            r#"{{"id":"d","seq":1,"user_id":"{user}","user_name":"alice","list_id":"l",
            "item":{{"id":"i","name":"milk","quantity":null,"unit":"","checked":false}},
            "created_at":5,"attempts":2,"next_attempt_at":9}}"#
        );
        let d: Delivery = serde_json::from_str(&old).unwrap();
        assert_eq!(d.user_id, Some(user));
        assert_eq!(d.user_name.as_deref(), Some("alice"));
        assert_eq!(d.destination(), None);
    }
}
