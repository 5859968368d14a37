//! [`RelayStore`] on sled, the embedded default: one database directory, zero set-up.
//!
//! Trees (all values are JSON):
//! - `users`: user id → [`User`]
//! - `user_names`: lower-cased name → user id
//! - `sessions`: SHA-256 of the token → [`Session`]
//! - `user_sessions`: user id ++ token hash → empty (to revoke all of a user's sessions)
//! - `chunks`: samod storage key (parts joined with `/`) → document chunk (raw bytes)
//! - `doc_owner`: document id → owner (raw: a user id, or `household:` ++ household id; see
//!   [`Principal`])
//! - `feed`: user id ++ seq (u64 big-endian) → [`FeedEntry`]; one live entry per document and
//!   reader
//! - `feed_docs`: document id → the key of its live `feed` entry (a user's own document), or
//!   document id ++ `#` ++ user id → the key of that member's entry (a household's document)
//! - `feed_marks`: document id → mark (u64 big-endian) of a stored change not yet in the feed
//! - the grocery hook's trees: see `sled_hook`
//! - the calendar feed's trees: see `sled_calendar`
//! - the households' trees: see `sled_household`
//! - the shares' trees: see `sled_share`
//! - the default tree holds `schema_version`.
//!
//! Every update that touches more than one key runs in one sled transaction, so a crash never
//! leaves a name pointing at a missing user or a session without its index entry — except a
//! chunk and its feed mark (two ordered writes; see `put_chunk`): a sled transaction writes its
//! own log buffers out, which on the path of every edit cost more than the edit.
//!
//! **Write gate.** sled has no snapshot across trees, so every write here holds the store's
//! write gate shared ([`SledStore::write_gate`]) and [`RelayStore::export`] holds it exclusively
//! while it copies every tree: the copy is one point in time across all trees. Code that writes
//! to trees of its own through [`SledStore::db`] should hold the gate too.

use std::path::Path;
use std::sync::{RwLock, RwLockReadGuard};

use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::Tree;
use sled::transaction::{
    ConflictableTransactionError, TransactionError, Transactional, TransactionalTree,
};

use super::share::ShareStore;
use super::{
    BoxFuture, ExportSink, FeedEntry, FeedUpdate, FeedWritten, Principal, RelayStore, Session,
    StoreError, TokenHash, User, UserId, name_key,
};
use crate::clock::UnixMs;

const SCHEMA_KEY: &[u8] = b"schema_version";
/// sled's name for the default tree, as [`sled::Db::tree_names`] lists it.
const DEFAULT_TREE: &[u8] = b"__sled__default";
const SCHEMA_VERSION: u32 = 1;

/// The embedded store. Cheap to share behind an `Arc`; all methods take `&self`.
pub struct SledStore {
    db: sled::Db,
    users: Tree,
    names: Tree,
    sessions: Tree,
    user_sessions: Tree,
    chunks: Tree,
    pub(super) doc_owner: Tree,
    pub(super) feed: Tree,
    pub(super) feed_docs: Tree,
    pub(super) feed_marks: Tree,
    /// The households' trees (see `sled_household`).
    pub(super) households: super::sled_household::HouseholdTrees,
    /// The grocery hook's trees (see `sled_hook`).
    pub(super) hook: super::sled_hook::HookTrees,
    /// The calendar feed's trees (see `sled_calendar`).
    pub(super) calendar: super::sled_calendar::CalendarTrees,
    /// The shares' trees (see `sled_share`).
    pub(super) shares: super::sled_share::ShareTrees,
    /// Held shared by every write, exclusively by an export (see the module docs).
    gate: RwLock<()>,
}

/// sled's background threads can hold the database's file lock for a moment after the last
/// handle is dropped; waits (bounded) until it is free. Only for a caller that holds the data
/// directory's lock, so that no running relay can be the holder.
pub(crate) fn wait_for_release(db_dir: &Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let Ok(file) = std::fs::File::open(db_dir.join("db")) else {
        return;
    };
    while std::time::Instant::now() < deadline {
        if file.try_lock().is_ok() {
            let _ = file.unlock();
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    tracing::warn!(db = %db_dir.display(), "the database is still locked");
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

impl SledStore {
    /// Opens (creating if needed) the database in directory `path`. The caller is expected to
    /// hold the data directory's lock (see [`crate::data_dir::DataDir`]).
    /// A handle dropped a moment ago (a relay just stopped, in this process or one that just
    /// exited) may still hold sled's file lock; opening waits for it, bounded.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        wait_for_release(path);
        let db = sled::Config::new().path(path).open()?;
        Self::from_db(db)
    }

    /// A store that lives in memory and a temporary file, gone when dropped (for tests).
    pub fn temporary() -> Result<Self, StoreError> {
        let db = sled::Config::new().temporary(true).open()?;
        Self::from_db(db)
    }

    fn from_db(db: sled::Db) -> Result<Self, StoreError> {
        match db.get(SCHEMA_KEY)? {
            None => {
                db.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())?;
            }
            Some(v) => {
                let found = <[u8; 4]>::try_from(v.as_ref())
                    .map(u32::from_be_bytes)
                    .unwrap_or(u32::MAX);
                if found > SCHEMA_VERSION {
                    return Err(StoreError::NewerSchema {
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
            }
        }
        Ok(SledStore {
            users: db.open_tree("users")?,
            names: db.open_tree("user_names")?,
            sessions: db.open_tree("sessions")?,
            user_sessions: db.open_tree("user_sessions")?,
            chunks: db.open_tree("chunks")?,
            doc_owner: db.open_tree("doc_owner")?,
            feed: db.open_tree("feed")?,
            feed_docs: db.open_tree("feed_docs")?,
            feed_marks: db.open_tree("feed_marks")?,
            hook: super::sled_hook::HookTrees::open(&db)?,
            calendar: super::sled_calendar::CalendarTrees::open(&db)?,
            households: super::sled_household::HouseholdTrees::open(&db)?,
            shares: super::sled_share::ShareTrees::open(&db)?,
            gate: RwLock::new(()),
            db,
        })
    }

    /// The underlying database, for opening further trees.
    pub fn db(&self) -> &sled::Db {
        &self.db
    }

    /// Holds off [`RelayStore::export`] while the guard lives: take it around writes to trees
    /// opened through [`Self::db`]. Not re-entrant: never take it twice on one thread.
    pub fn write_gate(&self) -> RwLockReadGuard<'_, ()> {
        self.gate.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes one exported record into this (freshly created) store; see [`Self::finish_import`].
    pub fn import_record(&self, tree: &[u8], key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        if tree == DEFAULT_TREE {
            self.db.insert(key, value)?;
        } else {
            self.db.open_tree(tree)?.insert(key, value)?;
        }
        Ok(())
    }

    /// Completes an import: moves the id generator past `watermark` (from
    /// [`RelayStore::export`]) so new feed entries sort after the restored ones; marks every
    /// owned document as changed, so the first start records each one's feed entry from the
    /// chunks actually restored (an entry exported a moment ahead of its chunk then moves to
    /// the stored heads, at a new sequence number clients will see); and flushes.
    pub fn finish_import(&self, watermark: u64) -> Result<(), StoreError> {
        while self.db.generate_id()? <= watermark {}
        for entry in self.doc_owner.iter() {
            let (doc, _) = entry?;
            let mark = self.db.generate_id()?;
            self.feed_marks.insert(doc, &mark.to_be_bytes())?;
        }
        self.db.flush()?;
        Ok(())
    }

    /// [`RelayStore::feed_record`]'s transaction, giving out `seqs` in order; `None` (nothing
    /// written) if there are more readers than `seqs`.
    fn feed_record_with(
        &self,
        updates: &[FeedUpdate],
        seqs: &[u64],
    ) -> Result<Option<Vec<FeedWritten>>, StoreError> {
        let _w = self.write_gate();
        let shares = &self.shares;
        let done = (
            &self.feed,
            &self.feed_docs,
            &self.feed_marks,
            &self.households.households,
            &shares.doc_grants,
            &shares.all_recipe_grants,
            &shares.doc_kinds,
        )
            .transaction(
                |(feed, feed_docs, marks, households, doc_grants, all_recipe_grants, kinds)| {
                    let mut seqs = seqs.iter().copied();
                    let mut written = Vec::with_capacity(updates.len());
                    for u in updates {
                        let doc = u.doc.as_bytes();
                        if let Some(mark) = u.mark
                            && marks.get(doc)?.as_deref() == Some(&mark.to_be_bytes()[..])
                        {
                            marks.remove(doc)?;
                        }
                        if let Some(kind) = &u.kind
                            && kinds.get(doc)?.as_deref() != Some(kind.as_bytes())
                        {
                            kinds.insert(doc, kind.as_bytes())?;
                        }
                        let members = |id: &super::HouseholdId| -> TxResult<Vec<UserId>> {
                            Ok(match households.get(id.as_str().as_bytes())? {
                                Some(raw) => {
                                    super::sled_household::decode(&raw).map_err(abort)?.members
                                }
                                None => Vec::new(),
                            })
                        };
                        // Each reader's slot in `feed_docs` (see the module docs).
                        let mut readers: Vec<(UserId, Vec<u8>)> = match &u.owner {
                            Principal::User(user) => vec![(user.clone(), doc.to_vec())],
                            Principal::Household(id) => members(id)?
                                .into_iter()
                                .map(|m| {
                                    let slot =
                                        super::sled_household::member_feed_doc_key(&u.doc, &m);
                                    (m, slot)
                                })
                                .collect(),
                        };
                        // Grantees of a user's document (see `sled_share`).
                        if let Principal::User(owner) = &u.owner {
                            let mut grants = super::sled_share::grants_in(doc_grants, doc)?;
                            let kind = match &u.kind {
                                Some(kind) => Some(kind.as_bytes().to_vec()),
                                None => kinds.get(doc)?.map(|k| k.to_vec()),
                            };
                            if kind.as_deref() == Some(super::share::RECIPE_KIND.as_bytes()) {
                                grants.extend(super::sled_share::grants_in(
                                    all_recipe_grants,
                                    owner.as_str().as_bytes(),
                                )?);
                            }
                            for grant in grants {
                                let users = match grant.grantee {
                                    super::Grantee::User(user) => vec![user],
                                    super::Grantee::Household(id) => members(&id)?,
                                };
                                for user in users {
                                    if !readers.iter().any(|(r, _)| *r == user) {
                                        let slot = super::sled_household::member_feed_doc_key(
                                            &u.doc, &user,
                                        );
                                        readers.push((user, slot));
                                    }
                                }
                            }
                        }
                        let mut entries = Vec::with_capacity(readers.len());
                        for (user, slot) in readers {
                            let old_key = feed_docs.get(slot.as_slice())?;
                            let unchanged = match &old_key {
                                Some(old_key) if old_key.starts_with(user.as_str().as_bytes()) => {
                                    match feed.get(old_key)? {
                                        Some(raw) => decode::<FeedEntry>(&raw, "feed entry")
                                            .map(|old| old.heads == u.heads)
                                            .unwrap_or(false),
                                        None => false,
                                    }
                                }
                                _ => false,
                            };
                            if unchanged {
                                continue;
                            }
                            if let Some(old_key) = old_key {
                                feed.remove(old_key)?;
                            }
                            let Some(seq) = seqs.next() else {
                                return Err(abort(StoreError::FeedSeqsShort));
                            };
                            let entry = FeedEntry {
                                seq,
                                doc_id: u.doc.clone(),
                                heads: u.heads.clone(),
                            };
                            let new_key = feed_key(&user, entry.seq);
                            feed.insert(new_key.as_slice(), encode(&entry)?)?;
                            feed_docs.insert(slot, new_key.as_slice())?;
                            entries.push((user, entry));
                        }
                        written.push(entries);
                    }
                    Ok(written)
                },
            )
            .map_err(tx_error);
        match done {
            Ok(written) => Ok(Some(written)),
            Err(StoreError::FeedSeqsShort) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Keys in `user_sessions` that belong to `id`.
    fn session_index_keys(&self, id: &UserId) -> Result<Vec<sled::IVec>, StoreError> {
        let mut keys = Vec::new();
        for entry in self.user_sessions.scan_prefix(id.as_str().as_bytes()) {
            let (k, _) = entry?;
            keys.push(k);
        }
        Ok(keys)
    }

    /// Applies `f` to a stored user in one transaction.
    fn update_user(&self, id: &UserId, f: impl Fn(&mut User)) -> Result<(), StoreError> {
        let _w = self.write_gate();
        self.users
            .transaction(|users| {
                let mut user: User = get_json(users, id.as_str().as_bytes(), "user")?
                    .ok_or_else(|| abort(StoreError::NoSuchUser(id.to_string())))?;
                f(&mut user);
                users.insert(id.as_str().as_bytes(), encode(&user)?)?;
                Ok(())
            })
            .map_err(tx_error)
    }
}

fn index_key(id: &UserId, hash: &TokenHash) -> Vec<u8> {
    let mut k = Vec::with_capacity(64);
    k.extend_from_slice(id.as_str().as_bytes());
    k.extend_from_slice(&hash.0);
    k
}

/// `feed` key: user id ++ seq, so a user's entries are contiguous and in `seq` order.
fn feed_key(user: &UserId, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(40);
    k.extend_from_slice(user.as_str().as_bytes());
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Inside a transaction: deletes the sessions behind `index_keys` (from
/// [`SledStore::session_index_keys`]) and those index entries; returns how many sessions there
/// were.
fn remove_indexed_sessions(
    sessions: &TransactionalTree,
    user_sessions: &TransactionalTree,
    index_keys: &[sled::IVec],
) -> TxResult<usize> {
    let mut removed = 0;
    for k in index_keys {
        if sessions.remove(&k[32..])?.is_some() {
            removed += 1;
        }
        user_sessions.remove(k)?;
    }
    Ok(removed)
}

fn be_u64(bytes: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(bytes).ok().map(u64::from_be_bytes)
}

fn abort(e: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(e)
}

fn tx_error(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Backend(e),
    }
}

fn encode<T: Serialize>(value: &T) -> TxResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| abort(StoreError::Encode(e)))
}

fn decode<T: DeserializeOwned>(bytes: &[u8], what: &'static str) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt { what, source })
}

fn get_json<T: DeserializeOwned>(
    tree: &TransactionalTree,
    key: &[u8],
    what: &'static str,
) -> TxResult<Option<T>> {
    match tree.get(key)? {
        None => Ok(None),
        Some(v) => decode(&v, what).map(Some).map_err(abort),
    }
}

impl RelayStore for SledStore {
    fn create_user(&self, user: &User) -> Result<(), StoreError> {
        let key = name_key(&user.name);
        let _w = self.write_gate();
        (&self.users, &self.names)
            .transaction(|(users, names)| {
                if names.get(key.as_bytes())?.is_some() {
                    return Err(abort(StoreError::NameTaken(user.name.clone())));
                }
                if users.get(user.id.as_str().as_bytes())?.is_some() {
                    return Err(abort(StoreError::IdTaken(user.id.clone())));
                }
                users.insert(user.id.as_str().as_bytes(), encode(user)?)?;
                names.insert(key.as_bytes(), user.id.as_str().as_bytes())?;
                Ok(())
            })
            .map_err(tx_error)
    }

    fn user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        match self.users.get(id.as_str().as_bytes())? {
            None => Ok(None),
            Some(v) => decode(&v, "user").map(Some),
        }
    }

    fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        let Some(id) = self.names.get(name_key(name).as_bytes())? else {
            return Ok(None);
        };
        match self.users.get(&id)? {
            None => Ok(None),
            Some(v) => decode(&v, "user").map(Some),
        }
    }

    fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let mut users = Vec::new();
        for entry in self.users.iter() {
            let (_, v) = entry?;
            users.push(decode::<User>(&v, "user")?);
        }
        users.sort_by_cached_key(|u| name_key(&u.name));
        Ok(users)
    }

    fn set_password_hash(&self, id: &UserId, password_hash: &str) -> Result<(), StoreError> {
        self.update_user(id, |u| u.password_hash = password_hash.to_owned())
    }

    fn set_disabled(&self, id: &UserId, disabled: bool) -> Result<usize, StoreError> {
        let index_keys = if disabled {
            self.session_index_keys(id)?
        } else {
            Vec::new()
        };
        let w = self.write_gate();
        let revoked = (&self.users, &self.sessions, &self.user_sessions)
            .transaction(|(users, sessions, user_sessions)| {
                let mut user: User = get_json(users, id.as_str().as_bytes(), "user")?
                    .ok_or_else(|| abort(StoreError::NoSuchUser(id.to_string())))?;
                user.disabled = disabled;
                users.insert(id.as_str().as_bytes(), encode(&user)?)?;
                remove_indexed_sessions(sessions, user_sessions, &index_keys)
            })
            .map_err(tx_error)?;
        drop(w);
        // Sessions created between the scan and the transaction (the user was still enabled).
        let stragglers = if disabled {
            self.revoke_user_sessions(id)?
        } else {
            0
        };
        Ok(revoked + stragglers)
    }

    fn set_grocery_list_id(&self, id: &UserId, doc_id: Option<&str>) -> Result<(), StoreError> {
        self.update_user(id, |u| u.grocery_list_id = doc_id.map(str::to_owned))
    }

    fn set_meal_plan_id(&self, id: &UserId, doc_id: Option<&str>) -> Result<(), StoreError> {
        self.update_user(id, |u| u.meal_plan_id = doc_id.map(str::to_owned))
    }

    fn remove_user(&self, id: &UserId) -> Result<usize, StoreError> {
        let index_keys = self.session_index_keys(id)?;
        let w = self.write_gate();
        let revoked = (
            &self.users,
            &self.names,
            &self.sessions,
            &self.user_sessions,
        )
            .transaction(|(users, names, sessions, user_sessions)| {
                let user: User = get_json(users, id.as_str().as_bytes(), "user")?
                    .ok_or_else(|| abort(StoreError::NoSuchUser(id.to_string())))?;
                let key = name_key(&user.name);
                if names.get(key.as_bytes())?.as_deref() == Some(id.as_str().as_bytes()) {
                    names.remove(key.as_bytes())?;
                }
                users.remove(id.as_str().as_bytes())?;
                remove_indexed_sessions(sessions, user_sessions, &index_keys)
            })
            .map_err(tx_error)?;
        drop(w);
        Ok(revoked + self.revoke_user_sessions(id)?)
    }

    fn create_session(&self, hash: &TokenHash, session: &Session) -> Result<(), StoreError> {
        let id = &session.user_id;
        let _w = self.write_gate();
        (&self.users, &self.sessions, &self.user_sessions)
            .transaction(|(users, sessions, user_sessions)| {
                let user: User = get_json(users, id.as_str().as_bytes(), "user")?
                    .ok_or_else(|| abort(StoreError::NoSuchUser(id.to_string())))?;
                if user.disabled {
                    return Err(abort(StoreError::UserDisabled(user.name)));
                }
                sessions.insert(&hash.0, encode(session)?)?;
                user_sessions.insert(index_key(id, hash), &[])?;
                Ok(())
            })
            .map_err(tx_error)
    }

    fn session(&self, hash: &TokenHash) -> Result<Option<Session>, StoreError> {
        match self.sessions.get(hash.0)? {
            None => Ok(None),
            Some(v) => decode(&v, "session").map(Some),
        }
    }

    fn touch_session(
        &self,
        hash: &TokenHash,
        last_seen: UnixMs,
        expires_at: UnixMs,
    ) -> Result<bool, StoreError> {
        let _w = self.write_gate();
        self.sessions
            .transaction(|sessions| {
                let Some(mut session) = get_json::<Session>(sessions, &hash.0, "session")? else {
                    return Ok(false);
                };
                session.last_seen = last_seen;
                session.expires_at = expires_at;
                sessions.insert(&hash.0, encode(&session)?)?;
                Ok(true)
            })
            .map_err(tx_error)
    }

    fn delete_session(&self, hash: &TokenHash) -> Result<bool, StoreError> {
        let _w = self.write_gate();
        (&self.sessions, &self.user_sessions)
            .transaction(|(sessions, user_sessions)| {
                let Some(raw) = sessions.remove(&hash.0)? else {
                    return Ok(false);
                };
                // A record that can't be read still goes; only its index entry is left behind,
                // and `purge_expired_sessions` drops such entries.
                if let Ok(session) = decode::<Session>(&raw, "session") {
                    user_sessions.remove(index_key(&session.user_id, hash))?;
                }
                Ok(true)
            })
            .map_err(tx_error)
    }

    fn revoke_user_sessions(&self, id: &UserId) -> Result<usize, StoreError> {
        let index_keys = self.session_index_keys(id)?;
        if index_keys.is_empty() {
            return Ok(0);
        }
        let _w = self.write_gate();
        (&self.sessions, &self.user_sessions)
            .transaction(|(sessions, user_sessions)| {
                remove_indexed_sessions(sessions, user_sessions, &index_keys)
            })
            .map_err(tx_error)
    }

    fn purge_expired_sessions(&self, now: UnixMs) -> Result<usize, StoreError> {
        let mut doomed = Vec::new();
        for entry in self.sessions.iter() {
            let (k, v) = entry?;
            let Ok(hash) = <[u8; 32]>::try_from(k.as_ref()) else {
                continue;
            };
            let expired = match decode::<Session>(&v, "session") {
                Ok(s) => {
                    s.expires_at <= now || self.users.get(s.user_id.as_str().as_bytes())?.is_none()
                }
                Err(_) => true,
            };
            if expired {
                doomed.push(TokenHash(hash));
            }
        }
        let mut purged = 0;
        for hash in &doomed {
            if self.delete_session(hash)? {
                purged += 1;
            }
        }
        // Index entries whose session is gone.
        for entry in self.user_sessions.iter() {
            let (k, _) = entry?;
            if k.len() != 64 || !self.sessions.contains_key(&k[32..])? {
                let _w = self.write_gate();
                self.user_sessions.remove(&k)?;
            }
        }
        Ok(purged)
    }

    fn chunk(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.chunks.get(key.as_bytes())?.map(|v| v.to_vec()))
    }

    fn chunks_under(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let mut out = Vec::new();
        if let Some(v) = self.chunks.get(prefix.as_bytes())? {
            out.push((prefix.to_owned(), v.to_vec()));
        }
        let mut under = String::with_capacity(prefix.len() + 1);
        under.push_str(prefix);
        under.push('/');
        for entry in self.chunks.scan_prefix(under.as_bytes()) {
            let (k, v) = entry?;
            // Keys are written from strings; anything else is not ours to hand out.
            if let Ok(k) = String::from_utf8(k.to_vec()) {
                out.push((k, v.to_vec()));
            }
        }
        Ok(out)
    }

    fn put_chunk(
        &self,
        key: &str,
        data: &[u8],
        doc: Option<&str>,
    ) -> Result<Option<u64>, StoreError> {
        let _w = self.write_gate();
        let Some(doc) = doc else {
            self.chunks.insert(key.as_bytes(), data)?;
            return Ok(None);
        };
        // Two plain writes, mark first, instead of a transaction: sled recovers a prefix of
        // one thread's writes after a crash, so a chunk that survives has its mark, and a
        // sled transaction costs two log-buffer writes of its own (each waking sled's whole
        // I/O thread pool) — on the path of every edit a device sends.
        let mark = self.db.generate_id()?;
        self.feed_marks
            .insert(doc.as_bytes(), &mark.to_be_bytes())?;
        self.chunks.insert(key.as_bytes(), data)?;
        Ok(Some(mark))
    }

    fn delete_chunk(&self, key: &str) -> Result<(), StoreError> {
        let _w = self.write_gate();
        self.chunks.remove(key.as_bytes())?;
        Ok(())
    }

    fn doc_principal(&self, doc: &str) -> Result<Option<Principal>, StoreError> {
        Ok(self
            .doc_owner
            .get(doc.as_bytes())?
            .and_then(|v| Principal::from_record(&v)))
    }

    fn claim_doc(&self, doc: &str, owner: &Principal) -> Result<Principal, StoreError> {
        let record = owner.to_record();
        let _w = self.write_gate();
        match self.doc_owner.compare_and_swap(
            doc.as_bytes(),
            None::<&[u8]>,
            Some(record.as_bytes()),
        )? {
            Ok(()) => Ok(owner.clone()),
            Err(cas) => {
                let current = cas.current.as_deref().and_then(Principal::from_record);
                match current {
                    Some(owner) => Ok(owner),
                    // An unreadable owner record: nobody may have it.
                    None => Err(StoreError::Corrupt {
                        what: "document owner",
                        source: serde::de::Error::custom("not a user or household id"),
                    }),
                }
            }
        }
    }

    fn remove_user_documents(&self, user: &UserId) -> Result<usize, StoreError> {
        let mut owned = Vec::new();
        for entry in self.doc_owner.iter() {
            let (doc, owner) = entry?;
            if owner.as_ref() == user.as_str().as_bytes() {
                owned.push(doc);
            }
        }
        let _w = self.write_gate();
        for doc in &owned {
            let mut under = doc.to_vec();
            under.push(b'/');
            self.chunks.remove(doc)?;
            for key in self.chunks.scan_prefix(&under).keys() {
                self.chunks.remove(key?)?;
            }
            self.feed_marks.remove(doc)?;
            self.feed_docs.remove(doc)?;
            self.doc_owner.remove(doc)?;
        }
        for key in self.feed.scan_prefix(user.as_str().as_bytes()).keys() {
            self.feed.remove(key?)?;
        }
        Ok(owned.len())
    }

    fn feed_marks(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.feed_marks.iter() {
            let (k, v) = entry?;
            if let (Ok(doc), Some(mark)) = (String::from_utf8(k.to_vec()), be_u64(&v)) {
                out.push((doc, mark));
            }
        }
        Ok(out)
    }

    fn feed_mark(&self, doc: &str) -> Result<Option<u64>, StoreError> {
        Ok(self
            .feed_marks
            .get(doc.as_bytes())?
            .and_then(|v| be_u64(&v)))
    }

    fn feed_record(&self, updates: &[FeedUpdate]) -> Result<Vec<FeedWritten>, StoreError> {
        if updates.is_empty() {
            return Ok(Vec::new());
        }
        // Sequence numbers are taken before the transaction (sled's id generator takes the
        // lock a transaction holds), as many as there are readers now; should a household
        // gain members in between, the transaction asks for more and runs again.
        let mut wanted = 0;
        for u in updates {
            wanted += match &u.owner {
                // The owner, and (a guess; the transaction asks for more if short) the
                // grantees of a shared document.
                Principal::User(owner) => 1 + self.grantees_of(&u.doc, owner)?.len(),
                Principal::Household(id) => self
                    .households
                    .households
                    .get(id.as_str().as_bytes())?
                    .map(|raw| super::sled_household::decode(&raw).map(|h| h.members.len()))
                    .transpose()?
                    .unwrap_or(0),
            };
        }
        loop {
            let seqs = (0..wanted)
                .map(|_| Ok(self.db.generate_id()? + 1))
                .collect::<Result<Vec<u64>, StoreError>>()?;
            match self.feed_record_with(updates, &seqs)? {
                Some(written) => return Ok(written),
                None => wanted += 8,
            }
        }
    }

    fn feed_since(
        &self,
        user: &UserId,
        since: u64,
        limit: usize,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let mut out = Vec::new();
        if limit == 0 || since == u64::MAX {
            return Ok(out);
        }
        let start = feed_key(user, since + 1);
        let end = feed_key(user, u64::MAX);
        for entry in self.feed.range(start..=end) {
            let (_, v) = entry?;
            out.push(decode::<FeedEntry>(&v, "feed entry")?);
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }

    fn document_count(&self) -> Result<u64, StoreError> {
        Ok(self.doc_owner.len() as u64)
    }

    fn export(&self, sink: &mut ExportSink<'_>) -> Result<u64, StoreError> {
        // Exclusive: no write is half-way through while the trees are read (module docs).
        let _all = self.gate.write().unwrap_or_else(|p| p.into_inner());
        let watermark = self.db.generate_id()?;
        let mut names = self.db.tree_names();
        names.sort();
        for name in names {
            let tree = self.db.open_tree(&name)?;
            for entry in tree.iter() {
                let (k, v) = entry?;
                sink(&name, &k, &v).map_err(StoreError::Export)?;
            }
        }
        Ok(watermark)
    }

    fn is_ready(&self) -> bool {
        self.db.get(SCHEMA_KEY).is_ok()
    }

    fn flush_async(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            self.db.flush_async().await?;
            Ok(())
        })
    }
}

#[cfg(test)]
pub(crate) mod tests;
