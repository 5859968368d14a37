//! Who may read which blob: one record per (blob, user) who uploaded its full, verified bytes,
//! with the media type of that upload and the size. [`BlobOwners`] is part of every
//! [`RelayStore`](crate::store::RelayStore); on sled it is the `blob_owners` tree, keyed by
//! the 64 hex digits of the hash followed by the 32 of the user id, valued by a JSON
//! [`BlobRecord`]. One key per grant, so a grant is atomic by itself.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{SledStore, StoreError, UserId};
use crate::clock::UnixMs;

const TREE: &str = "blob_owners";

/// A blob's SHA-256 as 64 lower-case hex digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BlobHash(String);

impl BlobHash {
    /// Exactly 64 lower-case hex digits, or nothing (upper case, other characters, other
    /// lengths and anything path-like are refused).
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| BlobHash(s.to_owned()))
    }

    pub fn from_digest(digest: &[u8]) -> Self {
        BlobHash(hex::encode(digest))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BlobHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for BlobHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobHash({})", self.0)
    }
}

/// What a user uploaded under a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRecord {
    pub size: u64,
    /// The upload's validated `Content-Type` (type/subtype, lower case, no parameters).
    pub media_type: String,
    pub uploaded_at: UnixMs,
}

pub trait BlobOwners {
    /// `user`'s record of blob `hash`, if they uploaded it.
    fn blob_record(&self, hash: &BlobHash, user: &UserId)
    -> Result<Option<BlobRecord>, StoreError>;
    /// Grants `user` the blob (or updates the record); returns whether the grant is new.
    fn put_blob_record(
        &self,
        hash: &BlobHash,
        user: &UserId,
        record: &BlobRecord,
    ) -> Result<bool, StoreError>;
    /// The blobs `user` holds a grant for and nobody else does.
    fn blobs_held_only_by(&self, user: &UserId) -> Result<Vec<BlobHash>, StoreError>;
    /// Withdraws every grant of `user`; returns how many there were.
    fn remove_user_blobs(&self, user: &UserId) -> Result<usize, StoreError>;
}

fn key(hash: &BlobHash, user: &UserId) -> Vec<u8> {
    let mut k = Vec::with_capacity(96);
    k.extend_from_slice(hash.as_str().as_bytes());
    k.extend_from_slice(user.as_str().as_bytes());
    k
}

/// The keys of `user`'s grants. Keys start with the hash (a grant is looked up by hash and
/// user), so this is a scan of every grant; removing a user is rare.
fn user_grants(tree: &sled::Tree, user: &UserId) -> Result<Vec<sled::IVec>, StoreError> {
    let mut keys = Vec::new();
    for k in tree.iter().keys() {
        let k = k?;
        if k.len() == 96 && &k[64..] == user.as_str().as_bytes() {
            keys.push(k);
        }
    }
    Ok(keys)
}

impl BlobOwners for SledStore {
    fn blob_record(
        &self,
        hash: &BlobHash,
        user: &UserId,
    ) -> Result<Option<BlobRecord>, StoreError> {
        let tree = self.db().open_tree(TREE)?;
        match tree.get(key(hash, user))? {
            None => Ok(None),
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|source| StoreError::Corrupt {
                    what: "blob record",
                    source,
                }),
        }
    }

    fn put_blob_record(
        &self,
        hash: &BlobHash,
        user: &UserId,
        record: &BlobRecord,
    ) -> Result<bool, StoreError> {
        let tree = self.db().open_tree(TREE)?;
        let value = serde_json::to_vec(record).map_err(StoreError::Encode)?;
        // Held like every store write, so a backup's export sees all of it or none.
        let _w = self.write_gate();
        Ok(tree.insert(key(hash, user), value)?.is_none())
    }

    fn blobs_held_only_by(&self, user: &UserId) -> Result<Vec<BlobHash>, StoreError> {
        let tree = self.db().open_tree(TREE)?;
        let mut only = Vec::new();
        for k in user_grants(&tree, user)? {
            let others = tree
                .scan_prefix(&k[..64])
                .keys()
                .filter(|other| other.as_ref().map_or(true, |other| *other != k))
                .count();
            if others == 0
                && let Some(hash) = std::str::from_utf8(&k[..64]).ok().and_then(BlobHash::parse)
            {
                only.push(hash);
            }
        }
        Ok(only)
    }

    fn remove_user_blobs(&self, user: &UserId) -> Result<usize, StoreError> {
        let tree = self.db().open_tree(TREE)?;
        let grants = user_grants(&tree, user)?;
        let _w = self.write_gate();
        for k in &grants {
            tree.remove(k)?;
        }
        Ok(grants.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_per_user() {
        let store = SledStore::temporary().unwrap();
        let hash = BlobHash::parse(&"ab".repeat(32)).unwrap();
        let (a, b) = (UserId::random(), UserId::random());
        let rec = BlobRecord {
            size: 3,
            media_type: "image/png".into(),
            uploaded_at: 1,
        };
        assert_eq!(store.blob_record(&hash, &a).unwrap(), None);
        assert!(store.put_blob_record(&hash, &a, &rec).unwrap());
        assert!(!store.put_blob_record(&hash, &a, &rec).unwrap());
        assert_eq!(store.blob_record(&hash, &a).unwrap(), Some(rec));
        assert_eq!(store.blob_record(&hash, &b).unwrap(), None);
    }
}
