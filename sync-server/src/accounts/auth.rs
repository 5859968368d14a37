//! Authentication: argon2id password hashes, opaque session tokens and login ([`Accounts`]).
//! `http/` turns a request's bearer token into an [`AuthUser`] with it.
//!
//! - Passwords are hashed with argon2id into PHC strings with a random salt. Checking a login
//!   for a user that doesn't exist (or is disabled) still verifies against a dummy hash, so the
//!   response time doesn't reveal which names exist. Hashing runs on the blocking pool, at most
//!   one per core at a time (each takes ~19 MiB with the default cost).
//! - A session token is 32 random bytes, URL-safe base64 (43 characters), sent as
//!   `Authorization: Bearer`. Only its SHA-256 is stored.
//! - Sessions slide: each authenticated request pushes `expires_at` to now + TTL, writing at most
//!   once a minute per session ([`TOUCH_INTERVAL_MS`]).

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Version};
use tokio::sync::Semaphore;

use super::ratelimit::LoginLimiter;
use super::session_ends::SessionEnds;
use crate::clock::{Clock, UnixMs, duration_ms};
use crate::config::{ConfigError, HashParams};
use crate::secret::{hash_token, new_token};
use crate::store::{RelayStore, Session, StoreError, TokenHash, User};

/// A session's expiry is pushed forward at most this often.
pub const TOUCH_INTERVAL_MS: i64 = 60_000;
/// Length of a token: 32 bytes in unpadded base64.
const TOKEN_LEN: usize = 43;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed: {0}")]
    Task(String),
}

/// Password hashing and verification with the configured argon2id cost.
pub struct Passwords {
    argon2: Argon2<'static>,
    /// A hash of nothing in particular, verified against when the user doesn't exist.
    dummy: OnceLock<String>,
    /// Bounds concurrent hashes (CPU and memory).
    permits: Semaphore,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords").finish_non_exhaustive()
    }
}

impl Passwords {
    pub fn new(params: HashParams) -> Result<Self, ConfigError> {
        let params = params.to_argon2()?;
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Ok(Passwords {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            dummy: OnceLock::new(),
            permits: Semaphore::new(cores),
        })
    }

    /// A PHC string for `password` with a fresh random salt.
    pub fn hash(&self, password: &str) -> Result<String, AuthError> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AuthError::Hash(e.to_string()))
    }

    /// Computes the dummy hash now, so the first login of an unknown user costs no more than
    /// any other (the server calls this at start).
    pub fn warm_up(&self) {
        self.dummy_hash();
    }

    fn dummy_hash(&self) -> &str {
        self.dummy
            .get_or_init(|| self.hash("larder dummy password").unwrap_or_default())
    }

    /// Whether `password` matches `phc`. With `phc = None` (no such user) this still spends one
    /// hash and returns false. An unparseable stored hash never matches.
    pub fn verify(&self, password: &str, phc: Option<&str>) -> bool {
        let (phc, real) = match phc {
            Some(p) => (p, true),
            None => (self.dummy_hash(), false),
        };
        let Ok(parsed) = PasswordHash::new(phc) else {
            if real {
                tracing::warn!("a stored password hash is not a valid PHC string");
            }
            return false;
        };
        let ok = self
            .argon2
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        ok && real
    }

    /// [`hash`](Self::hash) on the blocking pool, bounded by the hashing permits.
    pub async fn hash_async(self: &Arc<Self>, password: String) -> Result<String, AuthError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AuthError::Task(e.to_string()))?;
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || this.hash(&password))
            .await
            .map_err(|e| AuthError::Task(e.to_string()))?
    }

    /// [`verify`](Self::verify) on the blocking pool, bounded by the hashing permits.
    pub async fn verify_async(
        self: &Arc<Self>,
        password: String,
        phc: Option<String>,
    ) -> Result<bool, AuthError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AuthError::Task(e.to_string()))?;
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || this.verify(&password, phc.as_deref()))
            .await
            .map_err(|e| AuthError::Task(e.to_string()))
    }
}

fn looks_like_token(s: &str) -> bool {
    s.len() == TOKEN_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A valid session's user, as [`Accounts::authenticate`] found it.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: User,
    /// The session this request came with (to revoke it, for instance).
    pub token_hash: TokenHash,
    /// When the session expires now (after sliding).
    pub expires_at: UnixMs,
}

/// Why a session or a login was refused.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("invalid or expired session")]
    InvalidSession,
    /// Wrong password, unknown and disabled users alike.
    #[error("invalid user name or password")]
    InvalidCredentials,
    #[error("too many failed attempts; try again in {0:?}")]
    RateLimited(std::time::Duration),
    #[error(transparent)]
    Hash(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What sessions and logins need, borrowed from the relay's state.
pub struct Accounts<'a> {
    pub store: &'a dyn RelayStore,
    pub clock: &'a dyn Clock,
    pub passwords: &'a Arc<Passwords>,
    pub limiter: &'a LoginLimiter,
    pub session_ttl: std::time::Duration,
    pub session_ends: &'a SessionEnds,
}

/// A session just created by [`Accounts::login`].
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The secret; returned to the client once and never stored.
    pub token: String,
    pub user: User,
    pub expires_at: UnixMs,
}

impl Accounts<'_> {
    /// Resolves a session token to its user, sliding the session's expiry.
    pub fn authenticate(&self, token: &str) -> Result<AuthUser, SessionError> {
        let invalid = || SessionError::InvalidSession;
        if !looks_like_token(token) {
            return Err(invalid());
        }
        let hash = hash_token(token);
        let Some(session) = self.store.session(&hash)? else {
            return Err(invalid());
        };
        let now = self.clock.now_ms();
        if session.expires_at <= now {
            self.store.delete_session(&hash)?;
            return Err(invalid());
        }
        let user = match self.store.user(&session.user_id)? {
            Some(user) if !user.disabled => user,
            _ => {
                self.store.delete_session(&hash)?;
                return Err(invalid());
            }
        };
        let mut expires_at = session.expires_at;
        if now.saturating_sub(session.last_seen) >= TOUCH_INTERVAL_MS {
            expires_at = now.saturating_add(duration_ms(self.session_ttl));
            if !self.store.touch_session(&hash, now, expires_at)? {
                // Revoked while we looked.
                return Err(invalid());
            }
        }
        Ok(AuthUser {
            user,
            token_hash: hash,
            expires_at,
        })
    }

    /// Checks a user name and password (rate limited per name and per client address) and
    /// opens a session. Wrong password, unknown and disabled users all get the same 401.
    pub async fn login(
        &self,
        username: &str,
        password: String,
        addr: Option<IpAddr>,
    ) -> Result<NewSession, SessionError> {
        let now = self.clock.now_ms();
        // What the client sent, cut short for the logs.
        let shown: String = username.chars().take(64).collect();
        if let Err(wait) = self.limiter.try_attempt(username, addr, now) {
            tracing::warn!(
                username = shown,
                ?addr,
                "login refused: too many failed attempts"
            );
            return Err(SessionError::RateLimited(wait));
        }
        let user = if super::names::is_valid_name(username) {
            self.store.user_by_name(username)?
        } else {
            None
        };
        let matches = self
            .passwords
            .verify_async(password, user.as_ref().map(|u| u.password_hash.clone()))
            .await?;
        let user = match user {
            Some(user) if matches && !user.disabled => user,
            _ => {
                tracing::info!(username = shown, ?addr, "login failed");
                return Err(SessionError::InvalidCredentials);
            }
        };

        let (token, hash) = new_token();
        let now = self.clock.now_ms();
        let expires_at = now.saturating_add(duration_ms(self.session_ttl));
        let session = Session {
            user_id: user.id.clone(),
            created_at: now,
            expires_at,
            last_seen: now,
        };
        match self.store.create_session(&hash, &session) {
            Ok(()) => {}
            // Disabled or removed between the check and now.
            Err(StoreError::NoSuchUser(_) | StoreError::UserDisabled(_)) => {
                return Err(SessionError::InvalidCredentials);
            }
            Err(e) => return Err(e.into()),
        }
        self.limiter.succeeded(username, addr, now);
        tracing::info!(user = %user.name, id = %user.id, ?addr, "login");
        Ok(NewSession {
            token,
            user,
            expires_at,
        })
    }

    /// Revokes the session a request came with.
    pub fn logout(&self, auth: &AuthUser) -> Result<(), SessionError> {
        self.store.delete_session(&auth.token_hash)?;
        // Its live feed and sync sockets close too.
        self.session_ends
            .end(crate::accounts::session_ends::SessionEnd::One(
                auth.token_hash,
            ));
        tracing::info!(user = %auth.user.name, "logout");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Passwords {
        Passwords::new(HashParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[test]
    fn hash_and_verify() {
        let p = cheap();
        let phc = p.hash("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(p.verify("correct horse", Some(&phc)));
        assert!(!p.verify("wrong horse", Some(&phc)));
        assert!(!p.verify("correct horse", None));
        assert!(!p.verify("larder dummy password", None));
        assert!(!p.verify("x", Some("not a phc string")));
        // Salts differ.
        assert_ne!(phc, p.hash("correct horse").unwrap());
    }

    #[test]
    fn tokens() {
        let (t1, h1) = new_token();
        let (t2, _) = new_token();
        assert_ne!(t1, t2);
        assert!(looks_like_token(&t1));
        assert_eq!(hash_token(&t1), h1);
        assert!(!looks_like_token("short"));
        assert_eq!(crate::secret::random_hex(16).len(), 32);
    }
}
