//! This device's identity in the profile: a random id minted once per database (kept in `meta`,
//! erased with the rest of the data). Sync uses it in the peer id; the engine marks the
//! Automerge changes it makes with it (see `history::DeviceActor`).

use super::{Store, StoreError};

const DEVICE_META: &str = "device_id";

impl Store {
    /// This device's random id (32 hex digits), minted on first use.
    pub fn device_id(&self) -> Result<String, StoreError> {
        if let Some(id) = self.meta_get(DEVICE_META)? {
            return Ok(id);
        }
        let id = crate::ids::new_id();
        self.meta_set(DEVICE_META, &id)?;
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    #[test]
    fn the_device_id_is_minted_once() {
        let store = Store::open_in_memory().expect("store");
        let first = store.device_id().expect("id");
        assert_eq!(first.len(), 32);
        assert_eq!(store.device_id().expect("again"), first);
    }
}
