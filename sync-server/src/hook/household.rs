//! A household's own grocery webhook, as the admin manages it (`larder-server household
//! webhook NAME --url URL | --off`): the checks a new one passes (the URL as the global
//! `webhook_url` is checked, a secret of at least
//! [`MIN_WEBHOOK_SECRET_BYTES`](crate::config::MIN_WEBHOOK_SECRET_BYTES)) and storing it in the
//! household record. Where deliveries go is [`super::sender`]'s business; which additions are
//! queued for it, [`super::watch`]'s.

use crate::accounts::admin::AdminError;
use crate::config::{MIN_WEBHOOK_SECRET_BYTES, WebhookUrlError, check_webhook_url};
use crate::store::{Household, HouseholdWebhook, RelayStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum HouseholdWebhookError {
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error("webhook URL {url:?} {reason}")]
    InvalidUrl {
        url: String,
        reason: WebhookUrlError,
    },
    #[error("webhook secret too short: use at least {MIN_WEBHOOK_SECRET_BYTES} bytes")]
    SecretTooShort,
}

impl From<StoreError> for HouseholdWebhookError {
    fn from(e: StoreError) -> Self {
        HouseholdWebhookError::Admin(e.into())
    }
}

impl HouseholdWebhookError {
    /// Whether the operator asked for something impossible (as opposed to the store failing).
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            HouseholdWebhookError::Admin(AdminError::Store(_) | AdminError::Hash(_))
        )
    }
}

/// Checks a webhook before it is stored.
pub fn validate(webhook: &HouseholdWebhook) -> Result<(), HouseholdWebhookError> {
    check_webhook_url(&webhook.url).map_err(|reason| HouseholdWebhookError::InvalidUrl {
        url: webhook.url.clone(),
        reason,
    })?;
    if webhook.secret.expose().len() < MIN_WEBHOOK_SECRET_BYTES {
        return Err(HouseholdWebhookError::SecretTooShort);
    }
    Ok(())
}

fn find(store: &dyn RelayStore, name: &str) -> Result<Household, HouseholdWebhookError> {
    store
        .household_by_name(name)?
        .ok_or_else(|| AdminError::NoSuchHousehold(name.to_owned()).into())
}

/// Gives household `name` the webhook `webhook` (replacing any); returns the household as it
/// was before. Nothing changes when the webhook or the name is refused.
pub fn set(
    store: &dyn RelayStore,
    name: &str,
    webhook: &HouseholdWebhook,
) -> Result<Household, HouseholdWebhookError> {
    validate(webhook)?;
    let household = find(store, name)?;
    store.set_household_webhook(&household.id, Some(webhook))?;
    Ok(household)
}

/// Removes household `name`'s webhook; returns the household as it was before (its `webhook`
/// says whether it had one). Deliveries still queued for it are dropped by the sender.
pub fn remove(store: &dyn RelayStore, name: &str) -> Result<Household, HouseholdWebhookError> {
    let household = find(store, name)?;
    if household.webhook.is_some() {
        store.set_household_webhook(&household.id, None)?;
    }
    Ok(household)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use crate::store::{HouseholdStore, SledStore};

    fn hook(url: &str, secret: &str) -> HouseholdWebhook {
        HouseholdWebhook {
            url: url.into(),
            secret: Secret::new(secret),
        }
    }

    #[test]
    fn hook_set_and_remove_refuse_bad_input_and_change_nothing_then() {
        let store = SledStore::temporary().unwrap();
        crate::accounts::admin::create_household(&store, "Home", 1).unwrap();
        let good = hook("https://hook.example/in", "sixteen bytes!!!");
        for (bad, message) in [
            (
                hook("ftp://hook.example/in", "sixteen bytes!!!"),
                "must be an http",
            ),
            (hook("not a url", "sixteen bytes!!!"), "is not a valid URL"),
            (
                hook("https://hook.example/in", "fifteen bytes!!"),
                "too short",
            ),
        ] {
            let err = set(&store, "home", &bad).unwrap_err();
            assert!(err.is_refusal());
            assert!(err.to_string().contains(message), "{err}");
        }
        let err = set(&store, "cabin", &good).unwrap_err();
        assert!(err.is_refusal() && err.to_string().contains("household cabin does not exist"));
        let stored = |store: &SledStore| store.household_by_name("home").unwrap().unwrap();
        assert_eq!(stored(&store).webhook, None);

        set(&store, "home", &good).unwrap();
        assert_eq!(stored(&store).webhook, Some(good.clone()));
        // A refused replacement keeps the one there is.
        assert!(set(&store, "home", &hook("http://", "sixteen bytes!!!")).is_err());
        assert_eq!(stored(&store).webhook, Some(good.clone()));

        assert_eq!(remove(&store, "HOME").unwrap().webhook, Some(good));
        assert_eq!(stored(&store).webhook, None);
        assert_eq!(remove(&store, "home").unwrap().webhook, None);
    }
}
