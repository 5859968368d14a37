//! The outbox worker: posts queued deliveries to their webhooks, oldest first. A delivery of a
//! user's list goes to the global webhook (`webhook_url`, `webhook_secret`); one of a
//! household's list goes to that household's, looked up in the store at every pass, so a
//! webhook set, replaced or removed while the relay runs counts from the next pass on.
//!
//! - A 2xx answer removes the delivery (counted in `larder_webhook_deliveries_total`).
//! - Anything else is a failed attempt (`larder_webhook_failures_total{reason}`): the delivery
//!   waits `retry_min · 2^(attempts-1)`, capped at `retry_max`, with jitter (a random point in
//!   the upper half), and is dropped once it has been failing for `give_up`.
//! - When a receiver looks down (no connection, timeout, 5xx, 408, 429) its destination stops
//!   there and every delivery for it waits for that delivery's retry, so a dead receiver costs
//!   one request per backoff step, not one per queued item. Destinations are sent to side by
//!   side: one that is down, or slow to answer, holds up no other.
//! - Deliveries for a household that no longer has a webhook are dropped
//!   (`reason="no_webhook"`); those for the global webhook while none is configured stay queued
//!   for when one is.
//! - Entries live in the store: after a restart every pending one is sent again (at-least-once;
//!   receivers deduplicate on the delivery id). Retry times are wall-clock times.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use reqwest::header::CONTENT_TYPE;
use tokio::task::JoinHandle;

use super::GroceryHook;
use super::payload::{self, DELIVERY_HEADER, EVENT_HEADER, EVENT_ITEM_ADDED, SIGNATURE_HEADER};
use crate::clock::{Clock, SystemClock, UnixMs};
use crate::config::WebhookConfig;
use crate::store::{Delivery, HouseholdId, RelayStore, StoreError};

/// How an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The receiver is unreachable or overloaded: stop sending to it for now.
    Down,
    /// The receiver answered but refused this delivery.
    Rejected,
}

/// Where a delivery goes: `None` is the global webhook, else a household's.
type Destination = Option<HouseholdId>;

/// A webhook to post to.
#[derive(Clone)]
struct Target {
    url: String,
    secret: Vec<u8>,
}

/// What sending to one destination in a pass came to.
struct Outcome {
    destination: Destination,
    /// Deliveries that left the outbox (sent, or given up).
    removed: usize,
    /// When the earliest delivery still queued for it is due.
    next: Option<UnixMs>,
    /// Set when its receiver looked down: the URL and when to try it again.
    down: Option<(String, UnixMs)>,
}

struct Sender {
    store: Arc<dyn RelayStore>,
    hook: Arc<GroceryHook>,
    client: reqwest::Client,
    global: Option<Target>,
    /// Destinations whose receiver looked down, with the URL that did and until when nothing
    /// more is sent to it.
    down: HashMap<Destination, (String, UnixMs)>,
    config: WebhookConfig,
}

/// Starts the worker. It always runs (a household's webhook may be set at any time); with
/// nothing queued it only waits to be woken.
pub fn spawn(
    config: &WebhookConfig,
    store: Arc<dyn RelayStore>,
    hook: Arc<GroceryHook>,
) -> Option<JoinHandle<()>> {
    let client = match reqwest::Client::builder()
        .timeout(config.timeout)
        .connect_timeout(config.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("larder-server/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook client; webhooks disabled");
            return None;
        }
    };
    let global = match (&config.url, &config.secret) {
        (Some(url), Some(secret)) => {
            tracing::info!(url = %url, "grocery webhook enabled");
            Some(Target {
                url: url.clone(),
                secret: secret.expose().as_bytes().to_vec(),
            })
        }
        _ => None,
    };
    let sender = Sender {
        store,
        hook,
        client,
        global,
        down: HashMap::new(),
        config: config.clone(),
    };
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

fn earliest(a: Option<UnixMs>, b: UnixMs) -> Option<UnixMs> {
    Some(a.map_or(b, |a| a.min(b)))
}

impl Sender {
    async fn run(mut self) {
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

    /// Sends every due delivery, each destination side by side; returns how long until the
    /// next one is due.
    async fn pass(&mut self) -> Result<Option<Duration>, StoreError> {
        let queued = self.store.outbox()?;
        let mut pending = queued.len();
        metrics::gauge!("larder_webhook_outbox_pending").set(pending as f64);
        // In enqueue order within each destination.
        let mut by_destination: BTreeMap<Destination, Vec<Delivery>> = BTreeMap::new();
        for d in queued {
            by_destination
                .entry(d.destination().cloned())
                .or_default()
                .push(d);
        }
        let now = SystemClock.now_ms();
        self.down.retain(|_, (_, until)| *until > now);
        let mut next: Option<UnixMs> = None;
        let mut sends = Vec::new();
        for (destination, deliveries) in by_destination {
            let target = match &destination {
                None => match &self.global {
                    Some(target) => target.clone(),
                    // Kept for when the global webhook is configured again.
                    None => continue,
                },
                Some(household) => match self.store.household(household)?.and_then(|h| h.webhook) {
                    Some(hook) => Target {
                        url: hook.url,
                        secret: hook.secret.expose().as_bytes().to_vec(),
                    },
                    None => {
                        pending = pending.saturating_sub(self.drop_all(household, &deliveries)?);
                        continue;
                    }
                },
            };
            match self.down.get(&destination) {
                // Still down: nothing goes to it before that delivery's retry.
                Some((url, until)) if *url == target.url => {
                    next = earliest(next, *until);
                    continue;
                }
                _ => {}
            }
            sends.push(self.send_all(destination, target, deliveries));
        }
        for outcome in futures::future::join_all(sends).await {
            let outcome = outcome?;
            pending = pending.saturating_sub(outcome.removed);
            if let Some(at) = outcome.next {
                next = earliest(next, at);
            }
            match outcome.down {
                Some(down) => {
                    self.down.insert(outcome.destination, down);
                }
                None => {
                    self.down.remove(&outcome.destination);
                }
            }
        }
        metrics::gauge!("larder_webhook_outbox_pending").set(pending as f64);
        Ok(next
            .map(|at| Duration::from_millis(u64::try_from(at - SystemClock.now_ms()).unwrap_or(0))))
    }

    /// Drops every delivery queued for a household that has no webhook (any more); returns
    /// how many.
    fn drop_all(
        &self,
        household: &HouseholdId,
        deliveries: &[Delivery],
    ) -> Result<usize, StoreError> {
        for d in deliveries {
            self.store.outbox_remove(&d.id)?;
        }
        tracing::info!(
            %household,
            deliveries = deliveries.len(),
            "the household has no webhook; dropped what was queued for it"
        );
        metrics::counter!("larder_webhook_failures_total", "reason" => "no_webhook")
            .increment(deliveries.len() as u64);
        Ok(deliveries.len())
    }

    /// Sends the due deliveries of one destination, oldest first, until its receiver looks
    /// down.
    async fn send_all(
        &self,
        destination: Destination,
        target: Target,
        deliveries: Vec<Delivery>,
    ) -> Result<Outcome, StoreError> {
        let mut outcome = Outcome {
            destination,
            removed: 0,
            next: None,
            down: None,
        };
        for mut d in deliveries {
            let now = SystemClock.now_ms();
            if d.next_attempt_at > now {
                outcome.next = earliest(outcome.next, d.next_attempt_at);
                continue;
            }
            match self.send(&target, &d).await {
                Ok(()) => {
                    self.store.outbox_remove(&d.id)?;
                    outcome.removed += 1;
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
                        outcome.removed += 1;
                        continue;
                    }
                    let delay = backoff(d.attempts, self.config.retry_min, self.config.retry_max);
                    d.next_attempt_at = now.saturating_add(ms(delay));
                    self.store.outbox_update(&d)?;
                    if failure == Failure::Down {
                        // Everything else for this receiver waits for this one's retry.
                        outcome.next = Some(d.next_attempt_at);
                        outcome.down = Some((target.url.clone(), d.next_attempt_at));
                        break;
                    }
                    outcome.next = earliest(outcome.next, d.next_attempt_at);
                }
            }
        }
        Ok(outcome)
    }

    async fn send(&self, target: &Target, d: &Delivery) -> Result<(), Failure> {
        let body = payload::body(d);
        let signature = payload::signature(&target.secret, &body);
        let result = self
            .client
            .post(&target.url)
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
