//! The relay's persistent state behind one trait, [`RelayStore`]: user accounts (with a
//! case-insensitive name index), login sessions (keyed by the SHA-256 of their token, with a
//! per-user index so a user's sessions can be revoked together), and for sync: the samod
//! document chunks, who owns each document, and every user's change feed; for the grocery hook
//! ([`HookStore`], a supertrait): API tokens, grocery items seen, the webhook outbox; households
//! and who owns a document, a user or a household ([`HouseholdStore`], [`Principal`]); recipe
//! shares and the documents' kinds ([`ShareStore`]). The
//! embedded implementation is [`SledStore`]; a Postgres one can implement the same trait later.
//!
//! Every method is synchronous and quick (an embedded store answers in microseconds), except
//! [`RelayStore::flush_async`], which waits for the disk.

pub mod blob_owners;
pub mod calendar;
pub mod hook;
pub mod household;
pub mod share;
mod sled_calendar;
mod sled_hook;
mod sled_household;
mod sled_share;
pub(crate) mod sled_store;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use crate::clock::UnixMs;

pub use crate::secret::TokenHash;
pub use blob_owners::{BlobHash, BlobOwners, BlobRecord};
pub use calendar::{CalendarStore, CalendarToken};
pub use hook::{ApiToken, Delivery, DeliveryHousehold, HookItem, HookStore};
pub use household::{Household, HouseholdId, HouseholdStore, HouseholdWebhook, Principal};
pub use share::{Grantee, Share, ShareId, ShareMode, ShareScope, ShareStore};
pub use sled_store::SledStore;

/// Receives `(collection, key, value)` records from [`RelayStore::export`].
pub type ExportSink<'a> = dyn FnMut(&[u8], &[u8], &[u8]) -> std::io::Result<()> + 'a;

/// A boxed future, so the trait stays usable as `dyn RelayStore`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A user's id: 128 random bits as 32 lower-case hex digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    /// A fresh random id.
    pub fn random() -> Self {
        UserId(crate::secret::random_hex(16))
    }

    /// Accepts an id as stored or sent: exactly 32 lower-case hex digits.
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| UserId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserId({})", self.0)
    }
}

/// A user account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    /// As the admin typed it; uniqueness is case-insensitive.
    pub name: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: UnixMs,
    /// The user's one grocery-list document, created by the relay.
    #[serde(default)]
    pub grocery_list_id: Option<String>,
    /// The user's meal-plan document, created by the relay (records from before the meal plan
    /// have none).
    #[serde(default)]
    pub meal_plan_id: Option<String>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("password_hash", &"<redacted>")
            .field("disabled", &self.disabled)
            .field("created_at", &self.created_at)
            .field("grocery_list_id", &self.grocery_list_id)
            .field("meal_plan_id", &self.meal_plan_id)
            .finish()
    }
}

/// A login session; the token itself is never stored, only its [`TokenHash`] as the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user_id: UserId,
    pub created_at: UnixMs,
    pub expires_at: UnixMs,
    pub last_seen: UnixMs,
}

/// One entry of a user's change feed: document `doc_id` changed, and its heads (hex change
/// hashes, sorted) were `heads` when the entry was written. A user's feed keeps one entry per
/// document, the newest; `seq` orders entries and is what `?since=` cursors compare against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeedEntry {
    pub seq: u64,
    pub doc_id: String,
    pub heads: Vec<String>,
}

/// The entries one [`FeedUpdate`] wrote, each with the user whose feed it is in.
pub type FeedWritten = Vec<(UserId, FeedEntry)>;

/// One document's new heads, for [`RelayStore::feed_record`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedUpdate {
    /// Whose feeds the entry goes into: the user's, or every member's of the household.
    pub owner: Principal,
    pub doc: String,
    /// Sorted change hashes.
    pub heads: Vec<String>,
    /// The mark this update covers, cleared if still in place.
    pub mark: Option<u64>,
    /// The document's root `kind`, recorded for shares of "all my recipes" (`None`: not read).
    pub kind: Option<String>,
}

/// The key under which names are unique: ASCII lower case (names are ASCII, see
/// [`crate::accounts::admin::validate_name`]).
pub fn name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("user {0} already exists")]
    NameTaken(String),
    #[error("a user with id {0} already exists")]
    IdTaken(UserId),
    #[error("no such user: {0}")]
    NoSuchUser(String),
    #[error("user {0} is disabled")]
    UserDisabled(String),
    #[error("household {0} already exists")]
    HouseholdNameTaken(String),
    #[error("a household with id {0} already exists")]
    HouseholdIdTaken(HouseholdId),
    #[error("no such household: {0}")]
    NoSuchHousehold(String),
    #[error("user {user} is already a member of household {household}")]
    AlreadyMember { user: String, household: String },
    #[error("user {user} is already in another household (a user is in at most one)")]
    InAnotherHousehold { user: String },
    #[error("user {user} is not a member of household {household}")]
    NotAMember { user: String, household: String },
    #[error("stored record is unreadable ({what}): {source}")]
    Corrupt {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("could not encode a record: {0}")]
    Encode(#[source] serde_json::Error),
    #[error(
        "the data was written by a newer larder-server (schema {found}; this one reads up to {supported})"
    )]
    NewerSchema { found: u32, supported: u32 },
    #[error("storage error: {0}")]
    Backend(#[from] sled::Error),
    /// Internal to the sled store's feed (a transaction that needs more sequence numbers);
    /// never returned.
    #[doc(hidden)]
    #[error("too few feed sequence numbers")]
    FeedSeqsShort,
    #[error("exporting the store failed: {0}")]
    Export(#[source] std::io::Error),
}

/// Everything the relay keeps on disk. Implementations must make each method atomic: a crash
/// in the middle of one leaves either all of its writes or none of them.
pub trait RelayStore:
    BlobOwners + HookStore + CalendarStore + HouseholdStore + ShareStore + Send + Sync + 'static
{
    // --- users ---

    /// Inserts a new user. Fails with [`StoreError::NameTaken`] when the name (compared
    /// case-insensitively) is in use.
    fn create_user(&self, user: &User) -> Result<(), StoreError>;
    fn user(&self, id: &UserId) -> Result<Option<User>, StoreError>;
    /// Looks a user up by name, case-insensitively.
    fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError>;
    /// Every user, ordered by name key.
    fn list_users(&self) -> Result<Vec<User>, StoreError>;
    fn set_password_hash(&self, id: &UserId, password_hash: &str) -> Result<(), StoreError>;
    /// Enables or disables a user. Disabling also deletes all of the user's sessions; returns
    /// how many were deleted.
    fn set_disabled(&self, id: &UserId, disabled: bool) -> Result<usize, StoreError>;
    fn set_grocery_list_id(&self, id: &UserId, doc_id: Option<&str>) -> Result<(), StoreError>;
    fn set_meal_plan_id(&self, id: &UserId, doc_id: Option<&str>) -> Result<(), StoreError>;
    /// Removes the user, its name and all of its sessions; returns how many sessions went.
    fn remove_user(&self, id: &UserId) -> Result<usize, StoreError>;

    // --- sessions ---

    /// Stores a new session. Fails with [`StoreError::NoSuchUser`] or
    /// [`StoreError::UserDisabled`] when the user can't log in (checked in the same atomic step).
    fn create_session(&self, hash: &TokenHash, session: &Session) -> Result<(), StoreError>;
    fn session(&self, hash: &TokenHash) -> Result<Option<Session>, StoreError>;
    /// Slides a session's expiry; returns false (and writes nothing) if it no longer exists.
    fn touch_session(
        &self,
        hash: &TokenHash,
        last_seen: UnixMs,
        expires_at: UnixMs,
    ) -> Result<bool, StoreError>;
    /// Deletes one session; returns whether it existed.
    fn delete_session(&self, hash: &TokenHash) -> Result<bool, StoreError>;
    /// Deletes every session of a user; returns how many.
    fn revoke_user_sessions(&self, id: &UserId) -> Result<usize, StoreError>;
    /// Deletes sessions that expired at or before `now`, or whose user is gone; returns how many.
    fn purge_expired_sessions(&self, now: UnixMs) -> Result<usize, StoreError>;

    // --- documents (samod chunks and ownership) ---

    /// A document chunk by its storage key (samod's key parts joined with `/`).
    fn chunk(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Every chunk whose key is `prefix` or lies under `prefix/`.
    fn chunks_under(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
    /// Stores a chunk. With `doc`, also marks that document as changed-but-not-yet-in-the-feed
    /// and returns the mark (see [`RelayStore::feed_record`]): after a crash, a chunk that
    /// survived always has its mark (or the feed entry that cleared it). Not durable until
    /// [`RelayStore::flush_async`].
    fn put_chunk(
        &self,
        key: &str,
        data: &[u8],
        doc: Option<&str>,
    ) -> Result<Option<u64>, StoreError>;
    fn delete_chunk(&self, key: &str) -> Result<(), StoreError>;
    /// Who owns a document (a user or a household), if anyone does yet.
    fn doc_principal(&self, doc: &str) -> Result<Option<Principal>, StoreError>;
    /// The user who owns a document, if a user does (`None` for a household's documents).
    fn doc_owner(&self, doc: &str) -> Result<Option<UserId>, StoreError> {
        Ok(match self.doc_principal(doc)? {
            Some(Principal::User(u)) => Some(u),
            _ => None,
        })
    }
    /// Makes `owner` the owner of `doc` unless it already has one (atomically: of two racing
    /// claims exactly one wins); returns the owner afterwards.
    fn claim_doc(&self, doc: &str, owner: &Principal) -> Result<Principal, StoreError>;
    /// Deletes every document `user` owns (chunks, owner record, feed entry and mark) and the
    /// rest of the user's change feed; returns how many documents went. Each document's owner
    /// record goes last, so a removal cut short by a crash is finished by running it again.
    /// Only for a user whose repo is stopped: a running one would write chunks back.
    fn remove_user_documents(&self, user: &UserId) -> Result<usize, StoreError>;

    // --- change feed ---

    /// Documents with a stored change that the feed has not recorded yet, with their marks.
    fn feed_marks(&self) -> Result<Vec<(String, u64)>, StoreError>;
    /// The pending mark of one document.
    fn feed_mark(&self, doc: &str) -> Result<Option<u64>, StoreError>;
    /// Records, for each update, that its document now has its heads, in the feed of each of
    /// its readers: its owning user, or every member of its owning household as of this step
    /// (read in the same atomic step, so a member removed before it gets nothing). For each
    /// reader, replaces their previous entry of the document with a new one at a fresh, higher
    /// sequence number, unless the heads are the same as in the entry already there; clears the
    /// document's mark if it is still the update's (a newer mark means another change came in
    /// meanwhile). All updates in one atomic step, so a burst of changes costs one write to the
    /// store's log, not one per document; at most one update per document. Returns, in the
    /// updates' order, the entries written for each update, with the user whose they are.
    fn feed_record(&self, updates: &[FeedUpdate]) -> Result<Vec<FeedWritten>, StoreError>;
    /// Up to `limit` of `user`'s entries with `seq > since`, in `seq` order.
    fn feed_since(
        &self,
        user: &UserId,
        since: u64,
        limit: usize,
    ) -> Result<Vec<FeedEntry>, StoreError>;

    // --- backup and metrics ---

    /// How many documents have an owner (the `larder_documents` gauge).
    fn document_count(&self) -> Result<u64, StoreError>;
    /// Hands every record of every collection (`collection, key, value`) to `sink`, all from
    /// one point in time: writers wait meanwhile. Returns a number above every sequence number
    /// the store has given out, which a restored store must stay above
    /// ([`SledStore::finish_import`]).
    fn export(&self, sink: &mut ExportSink<'_>) -> Result<u64, StoreError>;

    // --- lifecycle ---

    /// Whether the store can serve requests (for `/readyz`).
    fn is_ready(&self) -> bool;
    /// Makes every write so far durable.
    fn flush_async(&self) -> BoxFuture<'_, Result<(), StoreError>>;
}
