//! The TypeScript types of the one API (`larder_core::rpc`), generated from the Rust types into
//! `web/src/generated/larder.ts`. Fails when the committed file is stale; run with
//! `LARDER_WRITE_TS=1` to rewrite it:
//! `LARDER_WRITE_TS=1 cargo test -p larder-core --features ts --test ts_bindings`.
#![cfg(feature = "ts")]

use larder_core::api::{
    ImportStage, PlanAddition, PlanDay, PlanEntryView, PlanView, RestoredVersion,
};
use larder_core::archive::ExportSummary;
use larder_core::cook::{CookStep, CookView, StepPart, StepTimer};
use larder_core::grocery::{GroceryUndo, MergedAddition};
use larder_core::history::{RecipeVersionSummary, RowRef, TextEdit, VersionChanges, VersionDevice};
use larder_core::model::{
    Attachment, GroceryItem, IngredientInput, IngredientRow, PlanSlotDoc, Recipe, RecipeDraft,
};
use larder_core::page_import::{PageImage, PageImport, PageRecipe};
use larder_core::plan::{PlanGroceryPreview, PlanSkip, PlanSlotInput};
use larder_core::rpc::{
    CalendarAction, CalendarLink, ExportedArchive, FolderFileInput, Reply, Request, Response,
    RpcError, RpcErrorCode, SessionView, ShareAction, ShareGrantee, ShareMode, ShareTarget,
    ShareView, SyncStateView, SyncStatusView, VersionView,
};
use larder_core::servings::IngredientLine;
use larder_core::store::{DeletedRecipe, LastSignIn, SharedFrom};
use larder_core::sync_client::Action as SyncAction;
use larder_core::sync_plan::SyncProgress;
use larder_core::{
    ChangeEvent, GroceryAdded, GroceryListChoice, GroceryLists, Household, ImportReport,
    RecipeSummary, SkippedRecipe, TagCount, WarningGroup,
};
use ts_rs::{Config, TS};

fn decl<T: TS>(cfg: &Config) -> String {
    format!("export {}\n", T::decl(cfg))
}

fn generated() -> String {
    // Every integer the API carries (timestamps in ms, counts, sizes) is far below 2^53, and
    // JSON numbers arrive in JavaScript as numbers.
    let cfg = Config::new().with_large_int("number");
    let mut out = String::from(
        "// Generated from larder-core's Rust types by core/tests/ts_bindings.rs; do not edit.\n\
         // Regenerate: LARDER_WRITE_TS=1 cargo test -p larder-core --features ts --test ts_bindings\n\n",
    );
    for part in [
        decl::<Request>(&cfg),
        decl::<Response>(&cfg),
        decl::<Reply>(&cfg),
        decl::<RpcError>(&cfg),
        decl::<RpcErrorCode>(&cfg),
        decl::<SyncStatusView>(&cfg),
        decl::<SessionView>(&cfg),
        decl::<CalendarAction>(&cfg),
        decl::<CalendarLink>(&cfg),
        decl::<ShareAction>(&cfg),
        decl::<ShareTarget>(&cfg),
        decl::<ShareMode>(&cfg),
        decl::<ShareView>(&cfg),
        decl::<ShareGrantee>(&cfg),
        decl::<LastSignIn>(&cfg),
        decl::<SyncStateView>(&cfg),
        decl::<SyncProgress>(&cfg),
        decl::<SyncAction>(&cfg),
        decl::<Recipe>(&cfg),
        decl::<RecipeDraft>(&cfg),
        decl::<IngredientRow>(&cfg),
        decl::<IngredientInput>(&cfg),
        decl::<IngredientLine>(&cfg),
        decl::<CookView>(&cfg),
        decl::<CookStep>(&cfg),
        decl::<StepPart>(&cfg),
        decl::<StepTimer>(&cfg),
        decl::<Attachment>(&cfg),
        decl::<RecipeSummary>(&cfg),
        decl::<TagCount>(&cfg),
        decl::<ImportReport>(&cfg),
        decl::<SkippedRecipe>(&cfg),
        decl::<WarningGroup>(&cfg),
        decl::<ExportedArchive>(&cfg),
        decl::<ExportSummary>(&cfg),
        decl::<PageImport>(&cfg),
        decl::<PageRecipe>(&cfg),
        decl::<PageImage>(&cfg),
        decl::<GroceryItem>(&cfg),
        decl::<PlanView>(&cfg),
        decl::<PlanDay>(&cfg),
        decl::<PlanEntryView>(&cfg),
        decl::<PlanAddition>(&cfg),
        decl::<PlanSlotDoc>(&cfg),
        decl::<PlanSlotInput>(&cfg),
        decl::<PlanGroceryPreview>(&cfg),
        decl::<PlanSkip>(&cfg),
        decl::<GroceryAdded>(&cfg),
        decl::<GroceryLists>(&cfg),
        decl::<GroceryListChoice>(&cfg),
        decl::<Household>(&cfg),
        decl::<SharedFrom>(&cfg),
        decl::<GroceryUndo>(&cfg),
        decl::<MergedAddition>(&cfg),
        decl::<ChangeEvent>(&cfg),
        decl::<ImportStage>(&cfg),
        decl::<FolderFileInput>(&cfg),
        decl::<RecipeVersionSummary>(&cfg),
        decl::<VersionDevice>(&cfg),
        decl::<VersionChanges>(&cfg),
        decl::<RowRef>(&cfg),
        decl::<TextEdit>(&cfg),
        decl::<RestoredVersion>(&cfg),
        decl::<VersionView>(&cfg),
        decl::<DeletedRecipe>(&cfg),
    ] {
        out.push_str(&part);
        out.push('\n');
    }
    out
}

#[test]
fn generated_typescript_is_up_to_date() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/src/generated/larder.ts");
    let fresh = generated();
    if std::env::var_os("LARDER_WRITE_TS").is_some() {
        std::fs::write(&path, &fresh).expect("write the generated types");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale; regenerate it with \
         LARDER_WRITE_TS=1 cargo test -p larder-core --features ts --test ts_bindings",
        path.display()
    );
}
