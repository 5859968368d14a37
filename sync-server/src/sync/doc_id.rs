//! Document ids as automerge-repo writes them: 16 random bytes, shown as base58check (the
//! bytes, then the first four bytes of their double SHA-256, in the Bitcoin alphabet). The
//! same text form samod and the JS automerge-repo use, so ids in URLs, storage keys and the
//! change feed match the clients'. Legacy UUID text (`xxxxxxxx-xxxx-…`) is accepted on input,
//! as the clients accept it.

use std::fmt;
use std::str::FromStr;

/// A document id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId([u8; 16]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a document id")]
pub struct BadDocId;

/// The longest text form of an id (base58check of 20 bytes is at most 28 characters; a UUID
/// is 36): anything longer is refused before decoding.
pub const MAX_DOC_ID_TEXT: usize = 40;

impl DocId {
    /// A fresh random id.
    pub fn random() -> Self {
        let mut bytes = [0u8; 16];
        getrandom(&mut bytes);
        // Marked as a version-4 UUID, as the clients make them.
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        DocId(bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BadDocId> {
        bytes.try_into().map(DocId).map_err(|_| BadDocId)
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Which of `shards` this document lives on: its bytes mixed down to one number, so
    /// documents spread evenly whatever bits their creator fixed.
    pub fn shard(&self, shards: usize) -> usize {
        let lo = u64::from_le_bytes(self.0[..8].try_into().unwrap_or_default());
        let hi = u64::from_le_bytes(self.0[8..].try_into().unwrap_or_default());
        let mixed = (lo ^ hi.rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        ((mixed >> 32) as usize) % shards.max(1)
    }
}

fn getrandom(buf: &mut [u8]) {
    use password_hash::rand_core::{OsRng, RngCore};
    OsRng.fill_bytes(buf);
}

impl FromStr for DocId {
    type Err = BadDocId;

    fn from_str(s: &str) -> Result<Self, BadDocId> {
        if s.len() > MAX_DOC_ID_TEXT {
            return Err(BadDocId);
        }
        if let Ok(bytes) = bs58::decode(s).with_check(None).into_vec() {
            return DocId::from_bytes(&bytes);
        }
        parse_uuid(s).ok_or(BadDocId)
    }
}

/// `8-4-4-4-12` hex digits.
fn parse_uuid(s: &str) -> Option<DocId> {
    let groups: Vec<&str> = s.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    if lengths != [8, 4, 4, 4, 12] {
        return None;
    }
    let digits: String = groups.concat();
    let bytes = hex::decode(digits).ok()?;
    DocId::from_bytes(&bytes).ok()
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(&self.0).with_check().into_string())
    }
}

impl fmt::Debug for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_matches_samods_text_form() {
        for _ in 0..100 {
            let id = DocId::random();
            let text = id.to_string();
            assert_eq!(text.parse::<DocId>(), Ok(id));
            let samods: samod::DocumentId = text.parse().expect("samod reads our ids");
            assert_eq!(samods.as_bytes(), id.as_bytes());
            assert_eq!(samods.to_string(), text);
        }
    }

    #[test]
    fn refuses_what_is_not_an_id() {
        let id = DocId::random().to_string();
        let mut typo = id.clone().into_bytes();
        typo[3] = if typo[3] == b'a' { b'b' } else { b'a' };
        for bad in [
            String::new(),
            "x".into(),
            String::from_utf8(typo).unwrap(),
            format!("{id}1"),
            "0".repeat(1000),
            bs58::encode([1u8; 15]).with_check().into_string(),
            "not-a-uuid-at-all-0000-000000000000".into(),
        ] {
            assert_eq!(bad.parse::<DocId>(), Err(BadDocId), "{bad:?}");
        }
        let uuid: DocId = "01234567-89ab-cdef-0123-456789abcdef".parse().unwrap();
        assert_eq!(uuid.as_bytes()[0], 0x01);
    }

    #[test]
    fn shards_spread_documents() {
        let mut counts = [0usize; 4];
        for _ in 0..4000 {
            counts[DocId::random().shard(4)] += 1;
        }
        for c in counts {
            assert!((700..1300).contains(&c), "{counts:?}");
        }
        assert_eq!(DocId::random().shard(1), 0);
    }
}
