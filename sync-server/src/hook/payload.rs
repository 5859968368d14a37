//! The webhook request: a JSON body describing one added grocery item, signed with
//! HMAC-SHA256 over the exact body bytes.
//!
//! ```text
//! POST <webhook_url>
//! Content-Type: application/json
//! X-Larder-Event: grocery.item_added
//! X-Larder-Delivery: <delivery id>
//! X-Larder-Signature: sha256=<hex HMAC-SHA256(webhook_secret, body)>
//!
//! {"delivery_id": "…", "event": "grocery.item_added", "created_at": 1700000000000,
//!  "user": {"id": "…", "name": "alice"}, "household": null, "list_id": "…",
//!  "item": {"id": "…", "name": "milk", "quantity": 2.0, "unit": "l", "checked": false}}
//! ```
//!
//! An item added to a household's grocery list goes to that household's webhook (its URL, and
//! its secret for the signature) and names the household instead of a user: the list belongs
//! to the household, and the relay does not know which member's device or API call added the
//! item.
//!
//! ```text
//! {"delivery_id": "…", "event": "grocery.item_added", "created_at": 1700000000000,
//!  "user": null, "household": {"id": "…", "name": "home"}, "list_id": "…",
//!  "item": {"id": "…", "name": "milk", "quantity": 2.0, "unit": "l", "checked": false}}
//! ```

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::store::{Delivery, HookItem};

pub const EVENT_ITEM_ADDED: &str = "grocery.item_added";
pub const SIGNATURE_HEADER: &str = "x-larder-signature";
pub const DELIVERY_HEADER: &str = "x-larder-delivery";
pub const EVENT_HEADER: &str = "x-larder-event";

/// The webhook body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookPayload<'a> {
    /// The same as the `X-Larder-Delivery` header; one per (list, item) addition, so a receiver
    /// deduplicates redeliveries on it.
    pub delivery_id: &'a str,
    /// Always `grocery.item_added`.
    pub event: &'a str,
    /// When the relay saw the item added (Unix milliseconds).
    pub created_at: i64,
    /// The user whose own list it is; `null` for a household's list.
    pub user: Option<PayloadUser<'a>>,
    /// The household whose list it is; `null` for a user's own list.
    pub household: Option<PayloadHousehold<'a>>,
    /// The grocery-list document id.
    pub list_id: &'a str,
    pub item: &'a HookItem,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PayloadUser<'a> {
    pub id: &'a str,
    pub name: &'a str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PayloadHousehold<'a> {
    pub id: &'a str,
    pub name: &'a str,
}

/// The delivery id of `item` being added to `list`: the same every time it is computed (so a
/// re-queued addition deduplicates at the receiver), different for different items.
pub fn delivery_id(list: &str, item: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"larder grocery delivery\n")
        .chain_update(list.as_bytes())
        .chain_update(b"\n")
        .chain_update(item.as_bytes())
        .finalize();
    hex::encode(&digest[..16])
}

/// The JSON body of a delivery.
pub fn body(d: &Delivery) -> Vec<u8> {
    let payload = WebhookPayload {
        delivery_id: &d.id,
        event: EVENT_ITEM_ADDED,
        created_at: d.created_at,
        user: d.user_id.as_ref().map(|id| PayloadUser {
            id: id.as_str(),
            name: d.user_name.as_deref().unwrap_or_default(),
        }),
        household: d.household.as_ref().map(|h| PayloadHousehold {
            id: h.id.as_str(),
            name: &h.name,
        }),
        list_id: &d.list_id,
        item: &d.item,
    };
    // Serialising plain strings and numbers cannot fail.
    serde_json::to_vec(&payload).unwrap_or_default()
}

/// `sha256=<hex HMAC-SHA256(secret, body)>`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_known_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn delivery_ids_are_stable_and_distinct() {
        assert_eq!(delivery_id("l", "a"), delivery_id("l", "a"));
        assert_ne!(delivery_id("l", "a"), delivery_id("l", "b"));
        assert_ne!(delivery_id("l1", "a"), delivery_id("l", "1a"));
        assert_eq!(delivery_id("l", "a").len(), 32);
    }
}
