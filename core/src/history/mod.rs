//! A recipe's history, derived from its Automerge document: the list of versions (who, when, what
//! changed), the recipe as it was at any of them, and which device made a change.
//!
//! A *version* is a run of changes by one actor, each building directly on the one before
//! (its only dependency), less than [`GROUP_WINDOW_MS`] apart, none carrying a message (a
//! restore marks its change with one, so it is always a version of its own); the change that
//! made the recipe is a version of its own too, so it can always be gone back to. Each
//! `update_recipe` is one change already; the grouping folds a burst of saves, or an attach
//! right after an edit, into one row. A version is identified by its heads: the hash of its last
//! change, as a [`heads_string`](crate::docstore::heads_string) (the format view rows record).
//!
//! The list is computed in one pass over the document's changes, op by op ([`walk`]): put values
//! are compared with the ones they overwrite (autosurgeon re-puts every scalar on every
//! reconcile), text edits are counted, and ingredient rows and attachments are followed by
//! their list elements, so no earlier state is ever materialised. Viewing one version hydrates
//! the recipe at its heads through [`at_heads::AtHeads`], without forking the document.
//!
//! Devices: the engine makes its changes as an actor whose first 8 bytes are derived from this
//! device's id ([`DeviceActor`]), with 8 random bytes per session, so "this device" can be told
//! from "another device", which is shown with a short tag of its actor. Changes made before this
//! (random actors) show as other devices; changes without a time (made before the engine set
//! change times) show no time.

pub mod at_heads;
mod summary;
mod walk;

use automerge::{ActorId, Automerge, ChangeHash};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use summary::describe;

/// Changes by one device closer together than this make one version.
pub const GROUP_WINDOW_MS: i64 = 2 * 60 * 1000;

/// The commit message of a restore's change: this prefix, then the restored version.
pub const RESTORE_MESSAGE: &str = "larder:restore ";

/// One version of a recipe, as the history list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecipeVersionSummary {
    /// The version's heads: what `recipe_version` and `restore_version` take.
    pub version: String,
    /// When its last change was made (ms since the Unix epoch); absent for changes that carry no
    /// time.
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub at: Option<i64>,
    pub device: VersionDevice,
    /// How many Automerge changes it groups.
    pub change_count: u32,
    pub changes: VersionChanges,
    /// One line for people, e.g. "Title changed; 2 ingredients added (flour, eggs)".
    pub summary: String,
}

/// Which device made a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VersionDevice {
    pub this_device: bool,
    /// A short tag of the device's actor (6 hex digits), the same for all its changes.
    pub tag: String,
    /// "This device" or "Another device (1a2b3c)".
    pub label: String,
}

/// What a version changed, compared with the state it was made on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VersionChanges {
    /// The version that made the recipe.
    pub created: bool,
    /// Scalar fields whose value changed, by document name (`title`, `servings`, `tags`, …), in
    /// the recipe's field order.
    pub fields: Vec<String>,
    pub ingredients_added: Vec<RowRef>,
    pub ingredients_removed: Vec<RowRef>,
    /// Rows kept whose quantity, unit, name or note (or place) changed.
    pub ingredients_changed: Vec<RowRef>,
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub steps: Option<TextEdit>,
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub notes: Option<TextEdit>,
    /// File names.
    pub attachments_added: Vec<String>,
    pub attachments_removed: Vec<String>,
    pub deleted: bool,
    /// Brought back after a delete.
    pub undeleted: bool,
    /// When this version is a restore: the version it restored.
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub restored_from: Option<String>,
}

/// An ingredient row, by id, with its name (as of the version) for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RowRef {
    pub id: String,
    pub name: String,
}

/// Characters a version typed and removed in a text field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TextEdit {
    pub inserted: u32,
    pub deleted: u32,
}

/// This device's mark on the actors it makes changes as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceActor {
    prefix: [u8; 8],
}

impl DeviceActor {
    /// The mark of the device with this id (see `Store::device_id`).
    pub fn for_device(device_id: &str) -> Self {
        let digest = Sha256::digest(device_id.as_bytes());
        let mut prefix = [0u8; 8];
        prefix.copy_from_slice(&digest[..8]);
        DeviceActor { prefix }
    }

    /// A fresh actor of this device: the mark, then 8 random bytes (one per engine session, so
    /// two sessions never reuse a sequence number).
    pub fn new_actor(&self) -> ActorId {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.prefix);
        // The OS random source failing is unrecoverable for an app that must mint unique ids.
        getrandom::fill(&mut bytes[8..])
            .expect("the system random number generator is unavailable");
        ActorId::from(&bytes[..])
    }

    pub fn made(&self, actor: &ActorId) -> bool {
        actor.to_bytes().starts_with(&self.prefix)
    }

    fn device(&self, actor: &ActorId) -> VersionDevice {
        let tag: String = actor.to_hex_string().chars().take(6).collect();
        let this_device = self.made(actor);
        let label = if this_device {
            "This device".to_string()
        } else {
            format!("Another device ({tag})")
        };
        VersionDevice {
            this_device,
            tag,
            label,
        }
    }
}

/// A change's time as milliseconds: Larder stamps milliseconds; other writers follow
/// Automerge's convention of seconds (told apart by size: 10^11 ms is 1973, 10^11 s is
/// the year 5138); 0 is no time at all.
pub fn change_time_ms(timestamp: i64) -> Option<i64> {
    match timestamp {
        t if t <= 0 => None,
        t if t < 100_000_000_000 => Some(t.saturating_mul(1000)),
        t => Some(t),
    }
}

/// The versions of a recipe document, newest first.
pub fn versions(doc: &Automerge, device: &DeviceActor) -> Vec<RecipeVersionSummary> {
    let mut list: Vec<RecipeVersionSummary> = walk::walk(doc)
        .into_iter()
        .map(|group| {
            let summary = describe(&group.changes);
            RecipeVersionSummary {
                version: group.last.to_string(),
                at: change_time_ms(group.time),
                device: device.device(&group.actor),
                change_count: group.count,
                changes: group.changes,
                summary,
            }
        })
        .collect();
    list.reverse();
    list
}

/// Why a version string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("{0:?} is not a version (hex change hashes joined by ',')")]
    Malformed(String),
    #[error("this recipe has no version {0}")]
    Unknown(String),
}

/// The heads a version string names, each checked to be a change of `doc`.
pub fn parse_version(doc: &Automerge, version: &str) -> Result<Vec<ChangeHash>, VersionError> {
    let mut heads = Vec::new();
    for part in version.split(',') {
        let hash: ChangeHash = part
            .trim()
            .parse()
            .map_err(|_| VersionError::Malformed(version.to_string()))?;
        if doc.get_change_meta_by_hash(&hash).is_none() {
            return Err(VersionError::Unknown(version.to_string()));
        }
        heads.push(hash);
    }
    if heads.is_empty() {
        return Err(VersionError::Malformed(version.to_string()));
    }
    Ok(heads)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_times_in_either_unit() {
        assert_eq!(change_time_ms(0), None);
        assert_eq!(change_time_ms(1_700_000_000), Some(1_700_000_000_000));
        assert_eq!(change_time_ms(1_700_000_000_123), Some(1_700_000_000_123));
    }

    #[test]
    fn a_device_knows_its_actors() {
        let mine = DeviceActor::for_device("device-a");
        let other = DeviceActor::for_device("device-b");
        let a1 = mine.new_actor();
        let a2 = mine.new_actor();
        assert_ne!(a1, a2, "one actor per session");
        assert!(mine.made(&a1) && mine.made(&a2));
        assert!(!other.made(&a1));
        let label = mine.device(&a1);
        assert!(label.this_device);
        assert_eq!(label.label, "This device");
        let theirs = other.device(&a1);
        assert_eq!(theirs.label, format!("Another device ({})", label.tag));
    }

    #[test]
    fn versions_must_name_changes_of_the_document() {
        let doc = Automerge::new();
        assert!(matches!(
            parse_version(&doc, "zz"),
            Err(VersionError::Malformed(_))
        ));
        let absent = "00".repeat(32);
        assert!(matches!(
            parse_version(&doc, &absent),
            Err(VersionError::Unknown(_))
        ));
    }
}
