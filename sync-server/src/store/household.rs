//! Households, as the [`HouseholdStore`] trait (a supertrait of
//! [`RelayStore`](super::RelayStore), so every relay store has them): a named group of users
//! (names unique case-insensitively, like user names) that shares documents the relay creates
//! for it — its grocery list, claimed for the household the way a user's list is claimed for
//! the user. A user is in at most one household (so "the household list" of a user is one
//! list).
//!
//! Ownership: every document has one owner, a [`Principal`]: a user, or a household. Owner
//! records written before households existed are bare user ids, and stay valid as they are;
//! a household owner is recorded as `household:` followed by its id, which no user id can be.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{StoreError, UserId};
use crate::clock::UnixMs;
use crate::config::Secret;

/// How a household owner is told apart from a user owner in a stored owner record.
const HOUSEHOLD_OWNER_PREFIX: &str = "household:";

/// A household's id: 128 random bits as 32 lower-case hex digits, the same form as user ids.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HouseholdId(String);

impl HouseholdId {
    /// A fresh random id.
    pub fn random() -> Self {
        HouseholdId(crate::secret::random_hex(16))
    }

    /// Accepts an id as stored or sent: exactly 32 lower-case hex digits.
    pub fn parse(s: &str) -> Option<Self> {
        UserId::parse(s).map(|u| HouseholdId(u.as_str().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HouseholdId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for HouseholdId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HouseholdId({})", self.0)
    }
}

/// Who owns a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    User(UserId),
    Household(HouseholdId),
}

impl Principal {
    /// The owner record as stored: a bare user id, or `household:{id}`.
    pub fn to_record(&self) -> String {
        match self {
            Principal::User(u) => u.as_str().to_owned(),
            Principal::Household(h) => format!("{HOUSEHOLD_OWNER_PREFIX}{h}"),
        }
    }

    /// Reads a stored owner record; `None` if it is neither form.
    pub fn from_record(raw: &[u8]) -> Option<Self> {
        let s = std::str::from_utf8(raw).ok()?;
        match s.strip_prefix(HOUSEHOLD_OWNER_PREFIX) {
            Some(h) => HouseholdId::parse(h).map(Principal::Household),
            None => UserId::parse(s).map(Principal::User),
        }
    }

    /// The user, if a user owns it.
    pub fn user(&self) -> Option<&UserId> {
        match self {
            Principal::User(u) => Some(u),
            Principal::Household(_) => None,
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_record())
    }
}

/// A household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    pub id: HouseholdId,
    /// As the admin typed it; uniqueness is case-insensitive.
    pub name: String,
    pub created_at: UnixMs,
    /// Sorted by id.
    pub members: Vec<UserId>,
    /// The household's grocery-list document, created by the relay on first use.
    #[serde(default)]
    pub grocery_list_id: Option<String>,
    /// The household's meal-plan document, created by the relay on first use.
    #[serde(default)]
    pub meal_plan_id: Option<String>,
    /// Where items added to the household's grocery list are posted (`larder-server household
    /// webhook`); records from before it read as none.
    #[serde(default)]
    pub webhook: Option<HouseholdWebhook>,
}

/// A household's grocery webhook: the URL and the HMAC-SHA256 key of its
/// `X-Larder-Signature` (see [`crate::hook::payload`]). The secret is stored as given (the
/// relay signs with it) and never shows in `Debug` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdWebhook {
    pub url: String,
    pub secret: Secret,
}

impl Household {
    /// The documents the household owns that the relay knows by id (its members' feeds carry
    /// them).
    pub fn documents(&self) -> impl Iterator<Item = &str> {
        self.grocery_list_id
            .as_deref()
            .into_iter()
            .chain(self.meal_plan_id.as_deref())
    }
}

/// See the module docs. Every method is atomic.
pub trait HouseholdStore {
    /// Inserts a new household (normally with no members). Fails with
    /// [`StoreError::HouseholdNameTaken`] when the name (compared case-insensitively) is in use.
    fn create_household(&self, household: &Household) -> Result<(), StoreError>;
    fn household(&self, id: &HouseholdId) -> Result<Option<Household>, StoreError>;
    /// Looks a household up by name, case-insensitively.
    fn household_by_name(&self, name: &str) -> Result<Option<Household>, StoreError>;
    /// Every household, ordered by name key.
    fn list_households(&self) -> Result<Vec<Household>, StoreError>;
    /// Makes `user` a member; returns the household afterwards. Fails with
    /// [`StoreError::NoSuchHousehold`], [`StoreError::NoSuchUser`],
    /// [`StoreError::AlreadyMember`] or [`StoreError::InAnotherHousehold`]. In the same step
    /// marks the household's documents changed-but-not-in-the-feed, so the new member's feed
    /// gets them (the feed records them for every member whose entry is not current: the new
    /// one), even if the relay is stopped now and the feed catches up at its next start.
    fn add_member(&self, id: &HouseholdId, user: &UserId) -> Result<Household, StoreError>;
    /// Ends `user`'s membership and, in the same step, deletes their feed entries of the
    /// household's documents; returns the household afterwards. Fails with
    /// [`StoreError::NoSuchHousehold`] or [`StoreError::NotAMember`].
    fn remove_member(&self, id: &HouseholdId, user: &UserId) -> Result<Household, StoreError>;
    /// Whether `user` is a member of household `id` (one key read: on the path of sync
    /// messages).
    fn is_member(&self, id: &HouseholdId, user: &UserId) -> Result<bool, StoreError>;
    /// The household `user` is in, if any.
    fn household_of(&self, user: &UserId) -> Result<Option<Household>, StoreError>;
    fn set_household_grocery_list_id(
        &self,
        id: &HouseholdId,
        doc_id: Option<&str>,
    ) -> Result<(), StoreError>;
    fn set_household_meal_plan_id(
        &self,
        id: &HouseholdId,
        doc_id: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Sets or (`None`) removes the household's webhook. Fails with
    /// [`StoreError::NoSuchHousehold`].
    fn set_household_webhook(
        &self,
        id: &HouseholdId,
        webhook: Option<&HouseholdWebhook>,
    ) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_household_webhook_reads_from_old_records_and_hides_its_secret() {
        let id = HouseholdId::random();
        let old = format!(
            r#"{{"id":"{id}","name":"home","created_at":1,"members":[],"grocery_list_id":null}}"#
        );
        let h: Household = serde_json::from_str(&old).unwrap();
        assert_eq!(h.webhook, None);
        let with = Household {
            webhook: Some(HouseholdWebhook {
                url: "https://hook.example/in".into(),
                secret: Secret::new("a household secret, long enough"),
            }),
            ..h
        };
        let debug = format!("{with:?}");
        assert!(debug.contains("https://hook.example/in"), "{debug}");
        assert!(!debug.contains("household secret"), "{debug}");
        let back: Household = serde_json::from_slice(&serde_json::to_vec(&with).unwrap()).unwrap();
        assert_eq!(back, with);
    }

    #[test]
    fn owner_records_of_both_forms() {
        let user = UserId::random();
        let household = HouseholdId::random();
        // Records from before households: a bare user id.
        assert_eq!(
            Principal::from_record(user.as_str().as_bytes()),
            Some(Principal::User(user.clone()))
        );
        let p = Principal::Household(household.clone());
        assert_eq!(p.to_record(), format!("household:{household}"));
        assert_eq!(Principal::from_record(p.to_record().as_bytes()), Some(p));
        for bad in [
            "".to_owned(),
            "household:".to_owned(),
            format!("household:{}", user.as_str().to_uppercase()),
            format!("user:{user}"),
            format!("{household}x"),
        ] {
            assert_eq!(Principal::from_record(bad.as_bytes()), None, "{bad}");
        }
    }
}
