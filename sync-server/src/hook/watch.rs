//! Spotting items added to a grocery list. The feed worker calls [`GroceryHook::observe`] for
//! every document change it records (before it clears the change's pending mark, so a crash in
//! between repeats the observation at the next start, which then finds nothing new). Only the
//! document that is its owner's grocery list counts.
//!
//! The list's current item ids are compared with the ids recorded for it: new ids are recorded
//! and (with a webhook configured) one delivery each is queued, in one atomic store update;
//! ids no longer in the list leave the record. A list the relay has never recorded (created
//! before the hook existed) is recorded as it is, without queueing. Lists the relay creates are
//! recorded empty at creation, so their first items are sent.

use std::collections::BTreeSet;

use larder_core::model::GroceryDoc;

use super::{GroceryHook, doc, payload};
use crate::clock::{Clock, SystemClock};
use crate::store::StoreError;
use crate::store::{Delivery, RelayStore, User, UserId};

impl GroceryHook {
    /// The owner, if document `doc` is `owner`'s grocery list (the only document the hook
    /// watches).
    pub fn watched_list(
        &self,
        store: &dyn RelayStore,
        owner: &UserId,
        doc: &str,
    ) -> Result<Option<User>, StoreError> {
        Ok(store
            .user(owner)?
            .filter(|user| user.grocery_list_id.as_deref() == Some(doc)))
    }

    /// See the module docs: `list` is `user`'s grocery list `list_id` as just saved. Errors
    /// leave the change pending (it is observed again later).
    pub fn observe(
        &self,
        store: &dyn RelayStore,
        user: &User,
        list_id: &str,
        list: &GroceryDoc,
    ) -> Result<(), StoreError> {
        let current: BTreeSet<String> = list.items.keys().cloned().collect();
        let Some(seen) = store.grocery_seen(list_id)? else {
            let all: Vec<String> = current.into_iter().collect();
            store.grocery_record(list_id, &all, &[], &[])?;
            return Ok(());
        };
        let added: Vec<String> = current.difference(&seen).cloned().collect();
        let removed: Vec<String> = seen.difference(&current).cloned().collect();
        if added.is_empty() && removed.is_empty() {
            return Ok(());
        }
        let mut queue = Vec::new();
        if self.is_queueing() {
            let now = SystemClock.now_ms();
            for id in &added {
                let Some(item) = doc::item(list, id) else {
                    continue;
                };
                queue.push(Delivery {
                    id: payload::delivery_id(list_id, id),
                    seq: store.next_seq()?,
                    user_id: user.id.clone(),
                    user_name: user.name.clone(),
                    list_id: list_id.to_owned(),
                    item,
                    created_at: now,
                    attempts: 0,
                    next_attempt_at: now,
                });
            }
        }
        store.grocery_record(list_id, &added, &removed, &queue)?;
        if !queue.is_empty() {
            tracing::debug!(
                doc = list_id,
                items = queue.len(),
                "grocery items queued for the webhook"
            );
            metrics::gauge!("larder_webhook_outbox_pending").set(store.outbox_len()? as f64);
            self.wake_sender();
        }
        Ok(())
    }
}
