//! larder-core: the whole client engine of Larder, the same code natively and in wasm.
//!
//! - `model`: recipe and grocery-list documents, views and validation
//! - `docstore`: the document-store trait (samod natively)
//! - `store`: the profile's SQLite database (document chunks, materialised view, FTS5 search)
//! - `api`: the one API every shell calls
//! - `rpc`: that API as serde-tagged requests and replies, for the shells' transports
//! - `ingredient`, `servings`, `grocery`, `schema_org`: parsing, scaling, grocery rules,
//!   import/export
//! - `history`: a recipe's versions derived from its Automerge history, and one version's state
//! - `import`: other apps' exports and recipe files, read by content, with the grouped report
//! - `bulk_wire`: the frames of bulk document transfer with the relay
//! - `bulk_upload`: a first upload in bulk from the store (batches read, the relay's answer
//!   applied), driven by the native engine and the browser's alike
//! - `sync_plan`: what the sync client transfers and how (bulk or live), without the network
//! - `sync_client`: the sync client's policy (feed, pulls, retries, status) for both clients
//! - `page_import`: a web page's recipes as the relay fetches them for import by address
//! - `cook`: cook mode's view of a recipe (scaled ingredients, steps with their timers)

pub mod api;
pub mod archive;
pub mod blob_transfer;
pub mod bulk_upload;
pub mod bulk_wire;
pub mod clock;
pub mod cook;
pub mod docstore;
pub mod grocery;
pub mod history;
pub mod ids;
pub mod import;
pub mod ingredient;
pub mod model;
pub mod page_import;
pub mod plan;
#[cfg(feature = "native")]
pub mod profile;
pub mod rpc;
pub mod schema_org;
pub mod servings;
pub mod store;
#[cfg(feature = "native")]
pub mod sync;
pub mod sync_client;
pub mod sync_plan;

pub use api::{
    ChangeEvent, GroceryAdded, GroceryListChoice, GroceryLists, Household, ImportReport, Larder,
    LarderError, SkippedRecipe, WarningGroup,
};
pub use store::{RecipeSummary, Store, StoreError, TagCount};
