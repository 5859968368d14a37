//! Spotting items added to a grocery list. The feed worker calls [`GroceryHook::observe`] for
//! every document change it records (before it clears the change's pending mark, so a crash in
//! between repeats the observation at the next start, which then finds nothing new). Only the
//! document that is its owner's grocery list counts: a user's own list (its additions go to the
//! global webhook, `webhook_url`) or a household's (they go to that household's webhook, set
//! with `larder-server household webhook`).
//!
//! The list's current item ids are compared with the ids recorded for it: new ids are recorded
//! and (with a webhook for that list) one delivery each is queued, in one atomic store update;
//! ids no longer in the list leave the record. A list the relay has never recorded (created
//! before the hook existed) is recorded as it is, without queueing. Lists the relay creates are
//! recorded empty at creation, so their first items are sent.

use std::collections::BTreeSet;

use larder_core::model::GroceryDoc;

use super::{GroceryHook, doc, payload};
use crate::clock::{Clock, SystemClock};
use crate::store::StoreError;
use crate::store::{Delivery, DeliveryHousehold, Household, Principal, RelayStore, User};

/// Whose grocery list a watched document is.
#[derive(Debug, Clone)]
pub enum ListOwner {
    User(User),
    Household(Household),
}

impl GroceryHook {
    /// The owner, if document `doc` is `owner`'s grocery list (the only documents the hook
    /// watches).
    pub fn watched_list(
        &self,
        store: &dyn RelayStore,
        owner: &Principal,
        doc: &str,
    ) -> Result<Option<ListOwner>, StoreError> {
        Ok(match owner {
            Principal::User(id) => store
                .user(id)?
                .filter(|user| user.grocery_list_id.as_deref() == Some(doc))
                .map(ListOwner::User),
            Principal::Household(id) => store
                .household(id)?
                .filter(|h| h.grocery_list_id.as_deref() == Some(doc))
                .map(ListOwner::Household),
        })
    }

    /// Whether additions to `owner`'s list are queued: with the global webhook configured for
    /// a user's list, with a webhook of its own for a household's (as stored now).
    fn queues_for(&self, owner: &ListOwner) -> bool {
        match owner {
            ListOwner::User(_) => self.is_queueing(),
            ListOwner::Household(h) => h.webhook.is_some(),
        }
    }

    /// See the module docs: `list` is `owner`'s grocery list `list_id` as just saved. Errors
    /// leave the change pending (it is observed again later).
    pub fn observe(
        &self,
        store: &dyn RelayStore,
        owner: &ListOwner,
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
        if self.queues_for(owner) {
            let now = SystemClock.now_ms();
            let (user_id, user_name, household) = match owner {
                ListOwner::User(u) => (Some(u.id.clone()), Some(u.name.clone()), None),
                ListOwner::Household(h) => (
                    None,
                    None,
                    Some(DeliveryHousehold {
                        id: h.id.clone(),
                        name: h.name.clone(),
                    }),
                ),
            };
            for id in &added {
                let Some(item) = doc::item(list, id) else {
                    continue;
                };
                queue.push(Delivery {
                    id: payload::delivery_id(list_id, id),
                    seq: store.next_seq()?,
                    user_id: user_id.clone(),
                    user_name: user_name.clone(),
                    household: household.clone(),
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

#[cfg(test)]
mod tests {
    use larder_core::grocery::{addition_from_parts, merge_addition};

    use super::*;
    use crate::config::Secret;
    use crate::store::sled_store::tests::stored_user;
    use crate::store::{HookStore, HouseholdStore, HouseholdWebhook, SledStore};

    fn add(list: &mut GroceryDoc, name: &str) -> String {
        merge_addition(
            list,
            addition_from_parts(name, None, None).unwrap(),
            list.items.len() as i64,
        )
        .item_id
    }

    fn queued(store: &SledStore) -> Vec<(String, Option<String>, Option<String>)> {
        store
            .outbox()
            .unwrap()
            .into_iter()
            .map(|d| (d.item.name, d.user_name, d.household.map(|h| h.name)))
            .collect()
    }

    #[test]
    fn additions_are_queued_only_for_a_list_with_a_webhook_and_name_its_owner() {
        let store = SledStore::temporary().unwrap();
        let alice = store.user(&stored_user(&store, "alice")).unwrap().unwrap();
        let home = crate::accounts::admin::create_household(&store, "home", 1).unwrap();
        let home = ListOwner::Household(home);
        let alices = ListOwner::User(alice);
        for list in ["own", "shared"] {
            store.grocery_record(list, &[], &[], &[]).unwrap();
        }
        let (mut own, mut shared) = (GroceryDoc::new(), GroceryDoc::new());
        let no_global = GroceryHook::new(false);
        let with_global = GroceryHook::new(true);

        // No webhook anywhere: recorded as seen, nothing queued (even with the global one, for
        // the household's list).
        let milk = add(&mut own, "milk");
        no_global.observe(&store, &alices, "own", &own).unwrap();
        let eggs = add(&mut shared, "eggs");
        with_global
            .observe(&store, &home, "shared", &shared)
            .unwrap();
        assert!(store.grocery_seen("own").unwrap().unwrap().contains(&milk));
        assert!(
            store
                .grocery_seen("shared")
                .unwrap()
                .unwrap()
                .contains(&eggs)
        );
        assert_eq!(queued(&store), vec![]);

        // The household's own webhook queues its list's additions, naming the household.
        let ListOwner::Household(h) = &home else {
            unreachable!()
        };
        let hook = HouseholdWebhook {
            url: "https://hook.example/home".into(),
            secret: Secret::new("a household secret"),
        };
        store.set_household_webhook(&h.id, Some(&hook)).unwrap();
        let home = ListOwner::Household(store.household(&h.id).unwrap().unwrap());
        add(&mut shared, "bread");
        no_global.observe(&store, &home, "shared", &shared).unwrap();
        assert_eq!(
            queued(&store),
            vec![("bread".to_owned(), None, Some("home".to_owned()))]
        );
        // The global one queues a user's, naming the user.
        add(&mut own, "tea");
        with_global.observe(&store, &alices, "own", &own).unwrap();
        assert_eq!(
            queued(&store),
            vec![
                ("bread".to_owned(), None, Some("home".to_owned())),
                ("tea".to_owned(), Some("alice".to_owned()), None),
            ]
        );
    }
}
