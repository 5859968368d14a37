//! The relay and user name this profile last signed in with. Kept across sign-outs (a 401 or
//! the user signing out), so the sign-in form of a signed-out device starts filled in; erased
//! with the rest of the device's data. Written by whoever stores the session (the native sync
//! client, the browser's worker through the wasm engine).

use serde::{Deserialize, Serialize};

use super::{Store, StoreError};

const LAST_SIGN_IN_META: &str = "last_sign_in";

/// Where and as whom this profile last signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LastSignIn {
    pub server: String,
    pub user_name: String,
}

impl Store {
    pub fn remember_sign_in(&self, last: &LastSignIn) -> Result<(), StoreError> {
        self.meta_set(LAST_SIGN_IN_META, &serde_json::to_string(last)?)
    }

    /// The last sign-in, if any (an unreadable record counts as none: it only fills a form).
    pub fn last_sign_in(&self) -> Result<Option<LastSignIn>, StoreError> {
        Ok(self
            .meta_get(LAST_SIGN_IN_META)?
            .and_then(|json| serde_json::from_str(&json).ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::LastSignIn;
    use crate::store::Store;

    #[test]
    fn kept_until_the_device_is_erased() {
        let store = Store::open_in_memory().expect("store");
        assert_eq!(store.last_sign_in().expect("read"), None);
        let last = LastSignIn {
            server: "https://larder.example.org".into(),
            user_name: "alice".into(),
        };
        store.remember_sign_in(&last).expect("remember");
        assert_eq!(store.last_sign_in().expect("read"), Some(last));
        store.erase_all().expect("erase");
        assert_eq!(store.last_sign_in().expect("read"), None);
    }
}
