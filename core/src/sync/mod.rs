//! Sync with a Larder relay (native only): signing in and out, the session kept in the profile,
//! the websocket dialer samod uses, and the sync engine (catch up from the relay's change feed,
//! push local changes, follow live changes, report status), and attachments (the upload queue,
//! on-demand downloads), importing a page by its address through the relay, and the meal
//! plan's calendar feed address (kept by the relay), and recipe shares.

mod blobs;
mod dialer;
mod engine;
mod import_url;
mod plan_calendar;
mod relay;
mod relay_shares;
mod session;

pub use blobs::{AttachmentError, UploadRound, fetch_attachment, fetch_blob, upload_queued};
pub use engine::{SyncEngine, SyncError, SyncReport, SyncState, SyncStatus};
pub use import_url::{ImportUrlError, fetch_page, import_url};
pub use plan_calendar::{PlanCalendarError, plan_calendar};
pub use relay::{CalendarFeedStatus, NewCalendarFeed, RelayBlob, RelayClient, RelayError};
pub use relay_shares::{NewShare, ShareError, shares};
pub use session::{Session, login, logout, peer_id_for, session};
