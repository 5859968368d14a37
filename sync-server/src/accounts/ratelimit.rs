//! Login throttling: a keyed token bucket of *failed* attempts, one bucket per user name and one
//! per client address. Each attempt takes a token from both before the password is checked
//! (so concurrent guesses can't overrun the limit) and a successful login gives them back, so
//! only failures count. A login is refused (429) while either bucket is empty. Time comes from the [`Clock`](crate::clock::Clock), so tests refill buckets
//! without sleeping.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use crate::clock::UnixMs;
use crate::config::RateLimit;
use crate::store::name_key;

/// Buckets kept before full (idle) ones are pruned.
const PRUNE_ABOVE: usize = 10_000;
/// Longest user name kept as a key; longer names can't exist anyway.
const MAX_NAME_KEY: usize = 64;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: UnixMs,
}

/// One token bucket per key.
#[derive(Debug)]
pub struct FailureLimiter {
    per_ms: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl FailureLimiter {
    pub fn new(limit: RateLimit) -> Self {
        FailureLimiter {
            per_ms: f64::from(limit.failures_per_minute.max(1)) / 60_000.0,
            burst: f64::from(limit.burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refilled(&self, bucket: Bucket, now: UnixMs) -> Bucket {
        // Precision loss only matters for spans of millions of years.
        #[allow(clippy::cast_precision_loss)]
        let elapsed = now.saturating_sub(bucket.at).max(0) as f64;
        Bucket {
            tokens: (bucket.tokens + elapsed * self.per_ms).min(self.burst),
            at: now,
        }
    }

    /// Takes one attempt from `key`'s bucket, or `Err(wait)` when it has none left (`wait`:
    /// until it has one again).
    pub fn try_take(&self, key: &str, now: UnixMs) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= PRUNE_ABOVE && !buckets.contains_key(key) {
            buckets.retain(|_, b| self.refilled(*b, now).tokens < self.burst);
        }
        let bucket = buckets.get(key).copied().unwrap_or(Bucket {
            tokens: self.burst,
            at: now,
        });
        let mut bucket = self.refilled(bucket, now);
        if bucket.tokens < 1.0 {
            let ms = ((1.0 - bucket.tokens) / self.per_ms).ceil();
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            return Err(Duration::from_millis(ms.max(1.0) as u64));
        }
        bucket.tokens -= 1.0;
        buckets.insert(key.to_owned(), bucket);
        Ok(())
    }

    /// Gives back an attempt taken by [`try_take`](Self::try_take) (it was not a failure).
    pub fn refund(&self, key: &str, now: UnixMs) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = buckets.get(key).copied() {
            let mut b = self.refilled(b, now);
            b.tokens = (b.tokens + 1.0).min(self.burst);
            if b.tokens >= self.burst {
                buckets.remove(key);
            } else {
                buckets.insert(key.to_owned(), b);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The login limiter: buckets per user name and per client address.
#[derive(Debug)]
pub struct LoginLimiter {
    buckets: FailureLimiter,
}

impl LoginLimiter {
    pub fn new(limit: RateLimit) -> Self {
        LoginLimiter {
            buckets: FailureLimiter::new(limit),
        }
    }

    fn keys(username: &str, addr: Option<IpAddr>) -> (String, Option<String>) {
        let mut name = name_key(username);
        if name.len() > MAX_NAME_KEY {
            let mut cut = MAX_NAME_KEY;
            while !name.is_char_boundary(cut) {
                cut -= 1;
            }
            name.truncate(cut);
        }
        (
            format!("user:{name}"),
            addr.map(|a| format!("addr:{}", addr_key(a))),
        )
    }

    /// Takes an attempt from the name's and the address's buckets before a password is
    /// checked (so concurrent guesses can't overrun the limit); `Err(wait)` when either is
    /// spent. Call [`succeeded`](Self::succeeded) when the password was right.
    pub fn try_attempt(
        &self,
        username: &str,
        addr: Option<IpAddr>,
        now: UnixMs,
    ) -> Result<(), Duration> {
        let (user_key, addr_key) = Self::keys(username, addr);
        self.buckets.try_take(&user_key, now)?;
        if let Some(k) = addr_key
            && let Err(wait) = self.buckets.try_take(&k, now)
        {
            self.buckets.refund(&user_key, now);
            return Err(wait);
        }
        Ok(())
    }

    /// Gives back the attempt of a successful login.
    pub fn succeeded(&self, username: &str, addr: Option<IpAddr>, now: UnixMs) {
        let (user_key, addr_key) = Self::keys(username, addr);
        self.buckets.refund(&user_key, now);
        if let Some(k) = addr_key {
            self.buckets.refund(&k, now);
        }
    }
}

/// IPv4 addresses as they are; IPv6 by /64, the block one host usually controls.
fn addr_key(addr: IpAddr) -> String {
    match addr.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateLimit = RateLimit {
        failures_per_minute: 5,
        burst: 10,
    };

    #[test]
    fn burst_then_refill() {
        let l = FailureLimiter::new(LIMIT);
        for _ in 0..10 {
            l.try_take("k", 0).unwrap();
        }
        let wait = l.try_take("k", 0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(12));
        assert!(l.try_take("k", 11_999).is_err());
        assert!(l.try_take("k", 12_000).is_ok());
        assert!(l.try_take("k", 12_000).is_err());
        assert!(l.try_take("other", 0).is_ok());
    }

    #[test]
    fn refunds_restore_and_full_buckets_are_dropped() {
        let l = FailureLimiter::new(LIMIT);
        l.try_take("k", 0).unwrap();
        assert_eq!(l.len(), 1);
        l.refund("k", 0);
        assert!(l.is_empty());
    }

    #[test]
    fn login_limits_per_name_and_per_address() {
        let l = LoginLimiter::new(LIMIT);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for i in 0..10 {
            l.try_attempt(&format!("user{i}"), Some(a), 0).unwrap();
        }
        // The address is spent, whatever the name; another address is fine.
        assert!(l.try_attempt("fresh", Some(a), 0).is_err());
        // ...and the refused attempt did not cost "fresh" anything.
        l.try_attempt("fresh", Some(b), 0).unwrap();
        l.succeeded("fresh", Some(b), 0);
        for _ in 0..10 {
            l.try_attempt("Alice", Some(b), 0).unwrap();
        }
        // The name is spent (case-insensitively), from any address.
        let c: IpAddr = "10.0.0.3".parse().unwrap();
        assert!(l.try_attempt("alice", Some(c), 0).is_err());
    }

    #[test]
    fn ipv6_is_grouped_by_slash_64() {
        let x: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let y: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert_eq!(addr_key(x), addr_key(y));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(addr_key(mapped), "10.0.0.1");
    }
}
