//! The meal plan on the relay: each user's plan document (created by the sync core, see
//! [`SyncHub::meal_plan_id`](crate::sync::SyncHub::meal_plan_id)) read as larder-core's
//! [`PlanDoc`](larder_core::model::PlanDoc), and its iCalendar feed for calendar apps.
//!
//! - [`doc`]: reading a plan document (after checking its `kind`)
//! - [`ics`]: the plan as an iCalendar (RFC 5545) calendar, one all-day event per entry
//! - [`tokens`]: the feed's token: one per user, random, stored only hashed, revocable; the
//!   only credential of the feed address (calendar apps send no session)
//!
//! The HTTP routes are [`crate::http::plan`].

pub mod doc;
pub mod ics;
pub mod tokens;
