//! The meal plan's calendar feed on a native device ([`Request::PlanCalendar`]): the relay of
//! the signed-in session keeps the feed's token, so its state, a new address and revoking it
//! are all asked of the relay; the full address (the relay's base joined with the path it
//! answers) is known only in the answer that made it.
//!
//! [`Request::PlanCalendar`]: crate::rpc::Request::PlanCalendar

use super::relay::{RelayClient, RelayError};
use super::session::session;
use crate::api::Larder;
use crate::docstore::DocumentStore;
use crate::rpc::{CalendarAction, CalendarLink};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum PlanCalendarError {
    #[error("sign in to a relay to subscribe to your plan in a calendar")]
    NotSignedIn,
    #[error(transparent)]
    Relay(#[from] RelayError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Does `action` on the calendar feed of the signed-in user's plan.
pub async fn plan_calendar<S: DocumentStore>(
    larder: &Larder<S>,
    action: CalendarAction,
) -> Result<CalendarLink, PlanCalendarError> {
    let session = session(larder.store())?.ok_or(PlanCalendarError::NotSignedIn)?;
    let client = RelayClient::new(&session.server)?;
    Ok(match action {
        CalendarAction::Status => {
            let status = client.calendar_feed_status(&session.token).await?;
            CalendarLink {
                active: status.active,
                url: None,
                created_at: status.created_at,
            }
        }
        CalendarAction::Create => {
            let made = client.create_calendar_feed(&session.token).await?;
            CalendarLink {
                active: true,
                url: Some(client.address_of(&made.path)?),
                created_at: Some(made.created_at),
            }
        }
        CalendarAction::Revoke => {
            client.revoke_calendar_feed(&session.token).await?;
            CalendarLink {
                active: false,
                url: None,
                created_at: None,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_path_joins_the_relays_base_address_prefix_and_all() {
        let path = "/api/v1/plan/calendar/lcal_abc-_.ics";
        let plain = RelayClient::new("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            plain.address_of(path).unwrap(),
            "http://127.0.0.1:8080/api/v1/plan/calendar/lcal_abc-_.ics"
        );
        let prefixed = RelayClient::new("https://example.org/larder").unwrap();
        assert_eq!(
            prefixed.address_of(path).unwrap(),
            "https://example.org/larder/api/v1/plan/calendar/lcal_abc-_.ics"
        );
    }
}
