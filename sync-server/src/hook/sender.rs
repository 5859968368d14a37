//! The outbox worker: posts queued deliveries to the webhook, oldest first.
//!
//! - A 2xx answer removes the delivery (counted in `larder_webhook_deliveries_total`).
//! - Anything else is a failed attempt (`larder_webhook_failures_total{reason}`): the delivery
//!   waits `retry_min · 2^(attempts-1)`, capped at `retry_max`, with jitter (a random point in
//!   the upper half), and is dropped once it has been failing for `give_up`.
//! - When the receiver looks down (no connection, timeout, 5xx, 408, 429) the pass stops there
//!   and the whole queue waits for that delivery's retry, so a dead receiver costs one request
//!   per backoff step, not one per queued item.
//! - Entries live in the store: after a restart every pending one is sent again (at-least-once;
//!   receivers deduplicate on the delivery id). Retry times are wall-clock times.

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use reqwest::header::CONTENT_TYPE;
use tokio::task::JoinHandle;

use super::GroceryHook;
use super::payload::{self, DELIVERY_HEADER, EVENT_HEADER, EVENT_ITEM_ADDED, SIGNATURE_HEADER};
use crate::clock::{Clock, SystemClock, UnixMs};
use crate::config::WebhookConfig;
use crate::store::{Delivery, RelayStore, StoreError};

/// How an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The receiver is unreachable or overloaded: stop this pass.
    Down,
    /// The receiver answered but refused this delivery.
    Rejected,
}

struct Sender {
    store: Arc<dyn RelayStore>,
    hook: Arc<GroceryHook>,
    client: reqwest::Client,
    url: String,
    secret: Vec<u8>,
    config: WebhookConfig,
}

/// Starts the worker when a webhook is configured.
pub fn spawn(
    config: &WebhookConfig,
    store: Arc<dyn RelayStore>,
    hook: Arc<GroceryHook>,
) -> Option<JoinHandle<()>> {
    let (Some(url), Some(secret)) = (&config.url, &config.secret) else {
        return None;
    };
    let client = match reqwest::Client::builder()
        .timeout(config.timeout)
        .connect_timeout(config.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("larder-server/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook client; webhook disabled");
            return None;
        }
    };
    let sender = Sender {
        store,
        hook,
        client,
        url: url.clone(),
        secret: secret.0.as_bytes().to_vec(),
        config: config.clone(),
    };
    tracing::info!(url = %url, "grocery webhook enabled");
    Some(tokio::spawn(sender.run()))
}

/// The wait before attempt `attempts + 1`: exponential from `min`, capped at `max`, the upper
/// half randomised.
pub fn backoff(attempts: u32, min: Duration, max: Duration) -> Duration {
    let exp = min
        .saturating_mul(2u32.saturating_pow(attempts.saturating_sub(1)))
        .min(max);
    let half = exp / 2;
    let spread = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
    let jitter = if spread == 0 {
        0
    } else {
        OsRng.next_u64() % (spread + 1)
    };
    half + Duration::from_millis(jitter)
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Sender {
    async fn run(self) {
        loop {
            let wait = match self.pass().await {
                Ok(wait) => wait,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the webhook outbox failed");
                    Some(self.config.retry_max.min(Duration::from_secs(5)))
                }
            };
            match wait {
                Some(wait) => {
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        () = self.hook.woken() => {}
                    }
                }
                None => self.hook.woken().await,
            }
        }
    }

    /// Sends every due delivery; returns how long until the next one is due.
    async fn pass(&self) -> Result<Option<Duration>, StoreError> {
        let queued = self.store.outbox()?;
        let mut pending = queued.len();
        metrics::gauge!("larder_webhook_outbox_pending").set(pending as f64);
        let mut next: Option<UnixMs> = None;
        for mut d in queued {
            let now = SystemClock.now_ms();
            if d.next_attempt_at > now {
                next = Some(next.map_or(d.next_attempt_at, |n| n.min(d.next_attempt_at)));
                continue;
            }
            match self.send(&d).await {
                Ok(()) => {
                    self.store.outbox_remove(&d.id)?;
                    pending -= 1;
                    metrics::counter!("larder_webhook_deliveries_total").increment(1);
                    tracing::debug!(delivery = d.id, "webhook delivered");
                }
                Err(failure) => {
                    let now = SystemClock.now_ms();
                    d.attempts = d.attempts.saturating_add(1);
                    if now.saturating_sub(d.created_at) >= ms(self.config.give_up) {
                        tracing::warn!(
                            delivery = d.id,
                            attempts = d.attempts,
                            "webhook delivery still failing; giving up"
                        );
                        metrics::counter!("larder_webhook_failures_total", "reason" => "gave_up")
                            .increment(1);
                        self.store.outbox_remove(&d.id)?;
                        pending -= 1;
                        continue;
                    }
                    let delay = backoff(d.attempts, self.config.retry_min, self.config.retry_max);
                    d.next_attempt_at = now.saturating_add(ms(delay));
                    self.store.outbox_update(&d)?;
                    next = Some(next.map_or(d.next_attempt_at, |n| n.min(d.next_attempt_at)));
                    if failure == Failure::Down {
                        // Everything else waits for this one's retry.
                        next = Some(d.next_attempt_at);
                        break;
                    }
                }
            }
        }
        metrics::gauge!("larder_webhook_outbox_pending").set(pending as f64);
        Ok(next
            .map(|at| Duration::from_millis(u64::try_from(at - SystemClock.now_ms()).unwrap_or(0))))
    }

    async fn send(&self, d: &Delivery) -> Result<(), Failure> {
        let body = payload::body(d);
        let signature = payload::signature(&self.secret, &body);
        let result = self
            .client
            .post(&self.url)
            .header(CONTENT_TYPE, "application/json")
            .header(EVENT_HEADER, EVENT_ITEM_ADDED)
            .header(DELIVERY_HEADER, &d.id)
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await;
        let failure = match result {
            Ok(res) if res.status().is_success() => return Ok(()),
            Ok(res) => {
                let status = res.status();
                tracing::info!(delivery = d.id, %status, "webhook refused a delivery");
                if status.is_server_error() || matches!(status.as_u16(), 408 | 429) {
                    Failure::Down
                } else {
                    Failure::Rejected
                }
            }
            Err(e) => {
                tracing::info!(delivery = d.id, error = %e, "webhook unreachable");
                Failure::Down
            }
        };
        let reason = match failure {
            Failure::Down => "unavailable",
            Failure::Rejected => "rejected",
        };
        metrics::counter!("larder_webhook_failures_total", "reason" => reason).increment(1);
        Err(failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters_within_bounds() {
        let (min, max) = (Duration::from_millis(100), Duration::from_secs(2));
        for attempts in 1..40 {
            let full = (min * 2u32.saturating_pow(attempts - 1)).min(max);
            for _ in 0..20 {
                let d = backoff(attempts, min, max);
                assert!(d >= full / 2 && d <= full, "{attempts}: {d:?} vs {full:?}");
            }
        }
        assert!(backoff(30, min, max) <= max);
    }
}
