//! The one API contract every shell speaks: a serde-tagged [`Request`] per operation, a
//! [`Response`] per kind of answer, a typed user-readable [`RpcError`], and [`dispatch`], which
//! runs a request against a [`Larder`]. The wasm worker calls it with JSON from the UI; the Tauri
//! shells will call it from their commands. TypeScript types for all of it are generated from
//! these definitions (`ts` feature, see `tests/ts_bindings.rs`), so the UI never copies a type.
//!
//! Bytes (attachments, imported files) travel as standard base64 strings, since the wire is JSON.
//! Requests about the session and sync ([`Request::SyncStatus`], [`Request::SignIn`],
//! [`Request::SignOut`], [`Request::Session`]) and [`Request::ImportUrl`] belong to the shell, which owns the network,
//! and [`Request::PlanCalendar`], and so does [`Request::KeepScreenOn`] (the device): `dispatch` answers them with
//! [`RpcErrorCode::Unsupported`]; [`dispatch_with`] answers them through a [`Shell`] (see
//! `shell`), and is what the shells call.

use serde::{Deserialize, Serialize};

use crate::api::{
    GroceryAdded, GroceryListChoice, GroceryLists, ImportReport, Larder, LarderError, PlanAddition,
    PlanView, RestoredVersion,
};
use crate::cook::CookView;
use crate::docstore::DocumentStore;
use crate::grocery::GroceryUndo;
use crate::history::RecipeVersionSummary;
use crate::model::{Attachment, GroceryItem, IngredientInput, Recipe, RecipeDraft};
use crate::page_import::PageImport;
use crate::plan::{PlanError, PlanGroceryPreview, PlanSlotInput};
use crate::servings::IngredientLine;
use crate::store::{DeletedRecipe, LastSignIn, RecipeSummary, StoreError, TagCount};

mod dispatch;
mod shell;
use dispatch::encode_reply;
pub use dispatch::{MAX_PASTED_LINES, dispatch, dispatch_json};
pub use shell::{Shell, dispatch_json_with, dispatch_with};

/// Default and largest page of search results.
pub const DEFAULT_SEARCH_LIMIT: u32 = 50;
pub const MAX_SEARCH_LIMIT: u32 = 500;

/// One operation of the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Recipes matching the words typed (blank: every recipe, by title).
    Search {
        query: String,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        limit: Option<u32>,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        offset: Option<u32>,
        /// Only recipes other users share with this one.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        shared_only: Option<bool>,
    },
    GetRecipe {
        id: String,
    },
    /// The draft an editor starts from: recipe `id`'s own (saved unchanged, it changes
    /// nothing), or a blank one without an id.
    RecipeDraft {
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        id: Option<String>,
    },
    CreateRecipe {
        draft: RecipeDraft,
    },
    UpdateRecipe {
        id: String,
        draft: RecipeDraft,
    },
    DeleteRecipe {
        id: String,
    },
    /// Brings a deleted recipe back (undo of a delete).
    RestoreRecipe {
        id: String,
    },
    /// A recipe's versions, newest first: when, which device, what changed.
    RecipeHistory {
        id: String,
    },
    /// A recipe as it was at one of its versions (read-only), with its ingredient lines.
    RecipeVersion {
        id: String,
        /// A version from `recipe_history` (its heads).
        version: String,
    },
    /// Makes a recipe read as it did at `version` again, as a new edit (undone by restoring
    /// the reply's `previous`).
    RestoreVersion {
        id: String,
        version: String,
    },
    /// Takes back a `restore_version` (its reply's `previous` and `restored`): what the restore
    /// set and nobody changed since goes back.
    UndoRestore {
        id: String,
        previous: String,
        restored: String,
    },
    /// Deleted recipes, most recently deleted first (each can be brought back with
    /// `restore_recipe`).
    RecentlyDeleted,
    /// A recipe's ingredient rows scaled to `servings` (the recipe's own when absent), with
    /// each line formatted for reading.
    IngredientLines {
        recipe_id: String,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        servings: Option<f64>,
    },
    /// A recipe for cook mode: ingredients scaled to `servings` (the recipe's own when absent),
    /// steps cut into text and timer phrases.
    CookView {
        id: String,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        servings: Option<f64>,
    },
    /// Turns pasted text into ingredient rows, one per non-blank line.
    ParseIngredients {
        text: String,
    },
    ListTags,
    /// Keeps a file with a recipe.
    AttachFile {
        recipe_id: String,
        file_name: String,
        media_type: String,
        bytes_base64: String,
    },
    /// Takes an attachment off a recipe (its bytes stay).
    RemoveAttachment {
        recipe_id: String,
        sha256: String,
    },
    /// The bytes of an attachment kept on this device.
    AttachmentBytes {
        sha256: String,
    },
    /// Imports schema.org recipes from a JSON-LD or HTML file.
    ImportFile {
        file_name: String,
        bytes_base64: String,
    },
    /// Imports a folder of files (a Nextcloud Cookbook folder picked whole), each by its path
    /// inside the folder.
    ImportFolder {
        files: Vec<FolderFileInput>,
    },
    /// Fetches a recipe page by its address through the relay and imports it. Answered by the
    /// shell (it owns the network), which asks the relay and then dispatches [`Request::ImportPage`].
    ImportUrl {
        url: String,
    },
    /// Makes local recipes from a page the relay fetched ([`PageImport`]).
    ImportPage {
        page: PageImport,
    },
    /// This user's recipe shares, kept by the relay: list, make one, revoke one (each answers
    /// the list afterwards). Answered by the shell, which owns the network.
    Shares {
        action: ShareAction,
    },
    /// Keeps an address as a recipe of its own, for when the page cannot be fetched now.
    SaveLink {
        url: String,
    },
    /// Every recipe with its attachments, as Larder's own zip (imported back by `ImportFile`).
    ExportAll,
    /// One recipe as schema.org JSON-LD.
    ExportJsonLd {
        id: String,
    },
    GroceryItems,
    AddRecipeToGrocery {
        recipe_id: String,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        servings: Option<f64>,
    },
    /// Takes back one `add_recipe_to_grocery` (its reply's `undo`), once.
    UndoGroceryAddition {
        undo: GroceryUndo,
    },
    AddGroceryItem {
        text: String,
    },
    SetGroceryChecked {
        item_id: String,
        checked: bool,
    },
    RemoveGroceryItem {
        item_id: String,
    },
    ClearCheckedGrocery,
    /// The grocery lists this user can choose between (their own, their household's) and the
    /// one in use.
    GroceryLists,
    /// Uses the user's own list or the household's from now on, for the grocery screen and
    /// for additions.
    ChooseGroceryList {
        list: GroceryListChoice,
    },
    /// Moves the unchecked items of the user's own list into the household's list and uses
    /// that list from now on.
    MoveGroceryToHousehold,
    /// Answered by the shell (it owns the connection to the relay).
    SyncStatus,
    /// Signs in to a relay and starts syncing (shell).
    SignIn {
        /// The relay's address, e.g. `https://larder.example.org`.
        server: String,
        username: String,
        password: String,
    },
    /// Signs out: revokes the session on the relay (when reachable) and stops syncing. Local
    /// recipes stay unless `remove_data` (shell).
    SignOut {
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        remove_data: Option<bool>,
    },
    /// The signed-in session, if any (shell).
    Session,
    /// The relay and user name this device last signed in with, kept after signing out (for
    /// the sign-in form).
    LastSignIn,
    /// Keeps the screen on (`on`) or lets it sleep again, for cook mode where the UI's web view
    /// has no Screen Wake Lock API (shell: the Linux desktop app asks the desktop's screen
    /// saver; elsewhere `Unsupported`).
    KeepScreenOn {
        on: bool,
    },
    /// The week (Monday to Sunday) of the meal plan holding `date` (`YYYY-MM-DD`).
    PlanWeek {
        date: String,
    },
    /// Plans a recipe or a free-text meal on a day's slot; answers the entry's id.
    PlanAdd {
        addition: PlanAddition,
    },
    PlanMove {
        entry_id: String,
        date: String,
        slot: String,
    },
    PlanSetServings {
        entry_id: String,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        servings: Option<f64>,
    },
    PlanRemove {
        entry_id: String,
    },
    /// Renames, reorders, adds or removes the plan's slots.
    PlanSetSlots {
        slots: Vec<PlanSlotInput>,
    },
    /// What sending the recipes planned `from..=to` to the grocery list would add.
    PlanGroceryPreview {
        from: String,
        to: String,
    },
    /// Adds those ingredients (undo with [`Request::UndoGroceryAddition`]).
    PlanToGrocery {
        from: String,
        to: String,
    },
    /// The meal plan's calendar feed (an iCalendar address calendar apps subscribe to): its
    /// state, a new address (replacing any earlier one), or revoking it (shell: the relay
    /// keeps the feed's token).
    PlanCalendar {
        action: CalendarAction,
    },
}

/// One file of [`Request::ImportFolder`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FolderFileInput {
    /// `/`-separated, inside the folder (e.g. `Soup/recipe.json`).
    pub path: String,
    pub bytes_base64: String,
}

/// What [`Request::PlanCalendar`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CalendarAction {
    /// Whether a feed address exists (the address itself is shown only when made).
    Status,
    /// Makes a new address; an earlier one stops working.
    Create,
    /// The address stops working.
    Revoke,
}

/// What to do with this user's recipe shares, which the relay keeps ([`Request::Shares`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ShareAction {
    /// The shares this user made.
    List,
    /// Shares `recipes` (or, `all_recipes`, every recipe now and later) with `with`.
    Create {
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional = nullable))]
        recipes: Option<Vec<String>>,
        #[serde(default)]
        all_recipes: bool,
        with: ShareTarget,
        mode: ShareMode,
    },
    /// Revokes one of this user's shares.
    Revoke { id: String },
}

/// Who to share with, by name: `{"user": "bob"}` or `{"household": "smiths"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ShareTarget {
    User(String),
    Household(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ShareMode {
    Read,
    Edit,
}

/// A share as the relay lists it for its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ShareView {
    pub id: String,
    /// The recipes shared; none for `all_recipes`.
    pub recipes: Option<Vec<String>>,
    pub all_recipes: bool,
    pub with: ShareGrantee,
    pub mode: ShareMode,
    pub created_at: i64,
}

/// Who a share reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ShareGrantee {
    /// `user` or `household`.
    pub kind: String,
    pub id: String,
    pub name: String,
}

/// The calendar feed as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CalendarLink {
    pub active: bool,
    /// The full address, only in the answer to [`CalendarAction::Create`].
    pub url: Option<String>,
    /// When the active address was made (ms since the epoch).
    pub created_at: Option<i64>,
}

/// What a request answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Response {
    Done,
    Recipe(Box<Recipe>),
    Draft(Box<RecipeDraft>),
    IngredientLines(Vec<IngredientLine>),
    CookView(CookView),
    Ingredients(Vec<IngredientInput>),
    Summaries(Vec<RecipeSummary>),
    History(Vec<RecipeVersionSummary>),
    Version(Box<VersionView>),
    Restored(Box<RestoredVersion>),
    Deleted(Vec<DeletedRecipe>),
    Tags(Vec<TagCount>),
    Attachment(Attachment),
    Bytes { bytes_base64: String },
    Import(ImportReport),
    JsonLd(#[cfg_attr(feature = "ts", ts(type = "unknown"))] serde_json::Value),
    Export(ExportedArchive),
    Grocery(Vec<GroceryItem>),
    GroceryAdded(GroceryAdded),
    GroceryLists(GroceryLists),
    SyncStatus(SyncStatusView),
    Session(Option<SessionView>),
    LastSignIn(Option<LastSignIn>),
    CalendarLink(CalendarLink),
    Plan(PlanView),
    PlanEntry { id: String },
    PlanGroceryPreview(PlanGroceryPreview),
    Shares(Vec<ShareView>),
}

/// A recipe as it was at one of its versions, with its ingredient lines formatted for reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VersionView {
    pub recipe: Recipe,
    pub ingredient_lines: Vec<IngredientLine>,
}

/// An export of every recipe: the zip's suggested file name, its bytes, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExportedArchive {
    pub file_name: String,
    pub bytes_base64: String,
    pub summary: crate::archive::ExportSummary,
}

/// Who is signed in, where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SessionView {
    pub server: String,
    pub user_id: String,
    pub user_name: String,
}

/// Where sync stands, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatusView {
    pub state: SyncStateView,
    /// Documents with local changes the relay has not confirmed yet.
    pub pending: u32,
    pub last_error: Option<String>,
    /// While many documents move (a new device catching up, a big upload): how far it got.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub progress: Option<crate::sync_plan::SyncProgress>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SyncStateView {
    SignedOut,
    Offline,
    Connecting,
    Syncing,
    UpToDate,
}

impl From<&crate::sync_client::SyncStatus> for SyncStatusView {
    fn from(status: &crate::sync_client::SyncStatus) -> Self {
        use crate::sync_client::SyncState;
        SyncStatusView {
            state: match status.state {
                SyncState::SignedOut => SyncStateView::SignedOut,
                SyncState::Offline => SyncStateView::Offline,
                SyncState::Connecting => SyncStateView::Connecting,
                SyncState::Syncing => SyncStateView::Syncing,
                SyncState::UpToDate => SyncStateView::UpToDate,
            },
            pending: u32::try_from(status.pending).unwrap_or(u32::MAX),
            last_error: status.last_error.clone(),
            progress: status.progress,
        }
    }
}

/// The kind of failure, for a UI to react to (the message is for people).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RpcErrorCode {
    /// The request could not be read (not JSON, unknown operation, bad base64).
    BadRequest,
    /// The input breaks a rule (empty title, quantity out of range, …).
    Invalid,
    NotFound,
    TooLarge,
    /// The recipe is another user's, shared with this one read-only.
    ReadOnly,
    /// The file could not be imported.
    Import,
    /// The local database failed.
    Storage,
    /// The relay refused the credentials or the session (the message is the relay's).
    Unauthorized,
    /// Too many attempts; try again later.
    RateLimited,
    /// The relay could not be reached.
    Unreachable,
    /// The operation is not answered here (see the module documentation).
    Unsupported,
    Internal,
}

/// A failed request: a code and a sentence a person can read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[error("{message}")]
pub struct RpcError {
    pub code: RpcErrorCode,
    pub message: String,
}

impl RpcError {
    pub fn new(code: RpcErrorCode, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
        }
    }
}

/// What travels back over a JSON transport: exactly one of `ok` and `err`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Ok(Response),
    Err(RpcError),
}

impl From<Result<Response, RpcError>> for Reply {
    fn from(result: Result<Response, RpcError>) -> Self {
        match result {
            Ok(response) => Reply::Ok(response),
            Err(err) => Reply::Err(err),
        }
    }
}

impl From<LarderError> for RpcError {
    fn from(err: LarderError) -> Self {
        let code = match &err {
            LarderError::Plan(PlanError::NoSuchEntry(_)) => RpcErrorCode::NotFound,
            LarderError::Invalid(_)
            | LarderError::NoHousehold
            | LarderError::Plan(_)
            | LarderError::BadFileName(_)
            | LarderError::BadAddress(_) => RpcErrorCode::Invalid,
            LarderError::RecipeNotFound(_)
            | LarderError::ItemNotFound(_)
            | LarderError::AttachmentNotFound { .. }
            | LarderError::BlobMissing(_) => RpcErrorCode::NotFound,
            LarderError::Version(crate::history::VersionError::Malformed(_)) => {
                RpcErrorCode::Invalid
            }
            LarderError::Version(crate::history::VersionError::Unknown(_)) => {
                RpcErrorCode::NotFound
            }
            LarderError::AttachmentTooLarge { .. } => RpcErrorCode::TooLarge,
            LarderError::ReadOnly { .. } => RpcErrorCode::ReadOnly,
            LarderError::Import(_) | LarderError::ImportFile(_) => RpcErrorCode::Import,
            LarderError::Store(StoreError::Sqlite(_) | StoreError::Io(_)) => RpcErrorCode::Storage,
            LarderError::Store(_)
            | LarderError::Docs(_)
            | LarderError::WrongDocumentKind { .. }
            | LarderError::BadDocument { .. }
            | LarderError::Export(_) => RpcErrorCode::Internal,
        };
        RpcError::new(code, err.to_string())
    }
}

#[cfg(test)]
mod tests;
