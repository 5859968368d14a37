//! One-time websocket tickets. A browser can't put a bearer token on a websocket upgrade, and
//! the long-lived session token must not travel in a URL, so a client first asks
//! `POST /api/v1/sync/ticket` (with its bearer token) for a ticket bound to its user and samod
//! peer id, then opens `GET /sync?ticket=…` within [`TICKET_TTL_MS`]. A ticket is 32 random
//! bytes (URL-safe base64), kept in memory only, under its SHA-256, and works once.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::UnixMs;
use crate::secret::{hash_token, new_token};
use crate::store::{TokenHash, UserId};

/// How long a ticket stays valid.
pub const TICKET_TTL_MS: i64 = 60_000;
/// At most this many unredeemed tickets at once (expired ones are swept first).
pub const MAX_TICKETS: usize = 100_000;

/// What a redeemed ticket vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub user: UserId,
    pub peer_id: String,
    /// The session it was issued to: the connection closes when that session ends.
    pub session: TokenHash,
}

#[derive(Debug)]
struct Entry {
    ticket: Ticket,
    expires_at: UnixMs,
}

#[derive(Debug, Default)]
pub struct Tickets {
    map: Mutex<HashMap<TokenHash, Entry>>,
}

#[derive(Debug, thiserror::Error)]
#[error("too many unredeemed sync tickets")]
pub struct TooManyTickets;

impl Tickets {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TokenHash, Entry>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A fresh ticket for `user` connecting as `peer_id`.
    pub fn issue(&self, ticket: Ticket, now: UnixMs) -> Result<String, TooManyTickets> {
        let (token, hash) = new_token();
        let mut map = self.lock();
        // Amortised sweep: only when the map has doubled since it was last this small.
        if map.len() >= 1024 && map.len().is_power_of_two() || map.len() >= MAX_TICKETS {
            map.retain(|_, e| e.expires_at > now);
        }
        if map.len() >= MAX_TICKETS {
            return Err(TooManyTickets);
        }
        map.insert(
            hash,
            Entry {
                ticket,
                expires_at: now.saturating_add(TICKET_TTL_MS),
            },
        );
        Ok(token)
    }

    /// Takes a ticket: `Some` once, for an unexpired ticket; `None` otherwise.
    pub fn redeem(&self, token: &str, now: UnixMs) -> Option<Ticket> {
        if token.len() != 43 {
            return None;
        }
        let entry = self.lock().remove(&hash_token(token))?;
        (entry.expires_at > now).then_some(entry.ticket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket() -> Ticket {
        Ticket {
            user: UserId::random(),
            peer_id: "p".into(),
            session: TokenHash([7; 32]),
        }
    }

    #[test]
    fn one_time_and_expiring() {
        let tickets = Tickets::default();
        let t = ticket();
        let token = tickets.issue(t.clone(), 1_000).unwrap();
        assert_eq!(token.len(), 43);
        assert_eq!(tickets.redeem(&token, 1_000), Some(t));
        assert_eq!(tickets.redeem(&token, 1_000), None);

        let token = tickets.issue(ticket(), 1_000).unwrap();
        assert_eq!(tickets.redeem(&token, 1_000 + TICKET_TTL_MS), None);
        assert_eq!(tickets.redeem("nonsense", 0), None);
    }

    #[test]
    fn expired_tickets_are_swept() {
        let tickets = Tickets::default();
        for _ in 0..1024 {
            tickets.issue(ticket(), 0).unwrap();
        }
        tickets.issue(ticket(), TICKET_TTL_MS + 1).unwrap();
        assert_eq!(tickets.lock().len(), 1);
    }
}
