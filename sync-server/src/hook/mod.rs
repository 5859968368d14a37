//! The grocery hook: connects each user's and each household's grocery-list document to other
//! apps.
//!
//! - [`household`]: a household's own webhook (`larder-server household webhook`), for the
//!   household's grocery list
//! - [`tokens`]: per-user API tokens for the grocery REST API (`larder-server token …`)
//! - [`doc`]: reading and writing a grocery-list document with larder-core's model (the merge
//!   rules themselves are core's [`larder_core::grocery`])
//! - [`watch`]: spotting added items: the feed worker hands every recorded change of a user's
//!   or a household's grocery list to [`GroceryHook::observe`], which diffs the list's item ids
//!   against the ids already seen (kept durably per list) and queues one webhook delivery per
//!   new item (for the global webhook or the household's), in the same atomic step
//! - [`payload`]: the webhook body and its `X-Larder-Signature`
//! - [`sender`]: the outbox worker: sends queued deliveries to the global webhook or the
//!   household's, with retries and capped, jittered exponential backoff; entries survive
//!   restarts (at-least-once)
//!
//! The REST API itself is [`crate::http::grocery`].

pub mod doc;
pub mod household;
pub mod payload;
pub mod sender;
pub mod tokens;
pub mod watch;

use tokio::sync::Notify;

/// The hook's shared state: whether the global webhook is configured, and the sender's wake-up
/// call. (Whether a household has one is in its record.)
#[derive(Debug, Default)]
pub struct GroceryHook {
    /// With the global webhook URL configured, additions to users' own lists are queued;
    /// without one they are only recorded as seen (so enabling the webhook later doesn't replay
    /// old items).
    queueing: bool,
    wake: Notify,
}

impl GroceryHook {
    pub fn new(queueing: bool) -> Self {
        GroceryHook {
            queueing,
            wake: Notify::new(),
        }
    }

    pub fn is_queueing(&self) -> bool {
        self.queueing
    }

    /// Tells the sender there is something new in the outbox.
    pub fn wake_sender(&self) {
        self.wake.notify_one();
    }

    /// Resolves at the next [`wake_sender`](Self::wake_sender) (or at once if one came since the
    /// last wait).
    pub async fn woken(&self) {
        self.wake.notified().await;
    }
}
