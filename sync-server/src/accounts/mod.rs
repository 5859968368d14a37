//! Accounts: who may use the relay and how they prove it. Password hashing, sessions and
//! login ([`auth`]), user administration ([`admin`]), login throttling ([`ratelimit`]) and
//! closing what a revoked session holds open ([`session_ends`]). Domain floor: it knows the
//! store and the base modules, nothing of HTTP (`http/` maps its errors to responses).

pub mod admin;
pub mod auth;
pub mod names;
pub mod ratelimit;
pub mod session_ends;
