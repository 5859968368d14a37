//! Recipe history: versions with who/when/what, a version read back as it was, restoring one as a
//! new change — also on two in-memory replicas that diverged and then merge — and the recently
//! deleted list.

mod common;

use common::{Device, START, block_on, device, draft, sync};
use larder_core::history::RecipeVersionSummary;
use larder_core::model::{Recipe, RecipeDraft};
use larder_core::rpc::{self, Request, Response, RpcErrorCode};

const MINUTE: i64 = 60_000;

fn history(d: &Device, id: &str) -> Vec<RecipeVersionSummary> {
    block_on(d.larder.recipe_history(id)).expect("history")
}

fn soup() -> RecipeDraft {
    RecipeDraft {
        servings: Some(2),
        steps: vec!["Chop the onions".into(), "Fry them".into()],
        ..draft("Onion soup", &["2 onions", "1 l stock"])
    }
}

fn update(d: &Device, id: &str, edit: impl FnOnce(&mut RecipeDraft)) -> Recipe {
    let current = d.larder.get_recipe(id).expect("recipe");
    let mut next = current.to_draft();
    edit(&mut next);
    block_on(d.larder.update_recipe(id, &next)).expect("update")
}

#[test]
fn versions_say_when_which_device_and_what_changed() {
    let d = device();
    let r = block_on(d.larder.create_recipe(&soup())).expect("create");
    d.clock.advance(5 * MINUTE);
    update(&d, &r.id, |x| {
        x.title = "French onion soup".into();
        x.servings = Some(4);
    });
    d.clock.advance(5 * MINUTE);
    update(&d, &r.id, |x| {
        x.ingredients
            .push(larder_core::api::ingredient_input("50 g butter"));
        x.ingredients.retain(|i| i.name != "stock");
    });
    d.clock.advance(5 * MINUTE);
    update(&d, &r.id, |x| x.steps[1] = "Fry them slowly".into());
    d.clock.advance(5 * MINUTE);
    block_on(
        d.larder
            .attach_file(&r.id, "bowl.png", "image/png", b"\x89PNG fake"),
    )
    .expect("attach");
    d.clock.advance(5 * MINUTE);
    block_on(d.larder.delete_recipe(&r.id)).expect("delete");
    d.clock.advance(5 * MINUTE);
    block_on(d.larder.restore_recipe(&r.id)).expect("restore");

    let list = history(&d, &r.id);
    let lines: Vec<&str> = list.iter().map(|v| v.summary.as_str()).collect();
    assert_eq!(
        lines,
        [
            "Brought back after a delete",
            "Deleted",
            "File added (bowl.png)",
            "Steps edited (+7 −0)",
            "1 ingredient added (butter); 1 ingredient removed (stock)",
            "Title and servings changed",
            "Created",
        ]
    );
    // Newest first, each at the time core's clock gave its change, all made here.
    assert_eq!(list[0].at, Some(START + 30 * MINUTE));
    assert_eq!(list[6].at, Some(START));
    assert!(list.iter().all(|v| v.device.this_device));
    assert_eq!(list[0].device.label, "This device");
    let rows = &list[4].changes;
    assert_eq!(rows.ingredients_added.len(), 1);
    let butter = d
        .larder
        .get_recipe(&r.id)
        .expect("recipe")
        .ingredients
        .into_iter()
        .find(|i| i.name == "butter")
        .expect("butter row");
    assert_eq!(rows.ingredients_added[0].id, butter.id, "rows by id");
    assert_eq!(rows.ingredients_removed[0].id, r.ingredients[1].id);
    assert_eq!(list[5].changes.fields, ["title", "servings"]);
}

#[test]
fn saves_close_together_are_one_version_and_unchanged_saves_say_so() {
    let d = device();
    let r = block_on(d.larder.create_recipe(&soup())).expect("create");
    d.clock.advance(10 * MINUTE);
    update(&d, &r.id, |x| x.title = "Soup A".into());
    d.clock.advance(30_000);
    update(&d, &r.id, |x| x.title = "Soup B".into());
    d.clock.advance(30_000);
    update(&d, &r.id, |x| x.notes = "Good with bread".into());
    d.clock.advance(10 * MINUTE);
    update(&d, &r.id, |_| {});

    let list = history(&d, &r.id);
    assert_eq!(list.len(), 3, "{list:#?}");
    assert_eq!(list[0].summary, "No visible change");
    assert_eq!(list[1].change_count, 3);
    assert_eq!(list[1].summary, "Title changed; notes edited (+15 −0)");
    assert_eq!(list[1].at, Some(START + 11 * MINUTE));
}

#[test]
fn a_version_reads_back_as_it_was_and_bad_versions_are_refused() {
    let d = device();
    let r = block_on(d.larder.create_recipe(&soup())).expect("create");
    d.clock.advance(5 * MINUTE);
    update(&d, &r.id, |x| {
        x.title = "Leek soup".into();
        x.steps = vec!["Wash the leeks".into()];
    });
    let list = history(&d, &r.id);
    let first = block_on(d.larder.recipe_version(&r.id, &list[1].version)).expect("version");
    assert_eq!(first.title, "Onion soup");
    assert_eq!(first.steps, ["Chop the onions", "Fry them"]);
    assert_eq!(first.ingredients, r.ingredients);
    let now = block_on(d.larder.recipe_version(&r.id, &list[0].version)).expect("latest");
    assert_eq!(now, d.larder.get_recipe(&r.id).expect("recipe"));

    let call = |request: Request| block_on(rpc::dispatch(&d.larder, request));
    let unknown = call(Request::RecipeVersion {
        id: r.id.clone(),
        version: "ab".repeat(32),
    })
    .expect_err("unknown");
    assert_eq!(unknown.code, RpcErrorCode::NotFound);
    let malformed = call(Request::RecipeVersion {
        id: r.id.clone(),
        version: "yesterday".into(),
    })
    .expect_err("malformed");
    assert_eq!(malformed.code, RpcErrorCode::Invalid);
    let Ok(Response::Version(view)) = call(Request::RecipeVersion {
        id: r.id.clone(),
        version: list[1].version.clone(),
    }) else {
        panic!("a version reply");
    };
    assert_eq!(view.recipe, first);
    let lines: Vec<&str> = view
        .ingredient_lines
        .iter()
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(lines, ["2 onions", "1 l stock"]);
    let Ok(Response::History(over_rpc)) = call(Request::RecipeHistory { id: r.id.clone() }) else {
        panic!("a history reply");
    };
    assert_eq!(over_rpc, list);
}

#[test]
fn restore_is_a_new_change_keeping_row_ids_and_can_be_undone() {
    let d = device();
    let r = block_on(d.larder.create_recipe(&soup())).expect("create");
    let v1 = history(&d, &r.id)[0].version.clone();
    d.clock.advance(5 * MINUTE);
    let v2 = update(&d, &r.id, |x| {
        x.title = "Thin soup".into();
        x.ingredients.truncate(1);
        x.steps.push("Season".into());
    });

    d.clock.advance(5 * MINUTE);
    let restored = block_on(d.larder.restore_version(&r.id, &v1)).expect("restore");
    assert_eq!(restored.recipe.title, "Onion soup");
    assert_eq!(restored.recipe.steps, r.steps);
    assert_eq!(
        restored.recipe.ingredients, r.ingredients,
        "same rows, same ids"
    );
    assert_eq!(restored.recipe.created_at, r.created_at);
    assert_eq!(d.larder.get_recipe(&r.id).expect("view"), restored.recipe);
    let list = history(&d, &r.id);
    assert_eq!(list.len(), 3, "a new version on top, none rewritten");
    assert_eq!(list[0].changes.restored_from.as_deref(), Some(v1.as_str()));
    assert!(list[0].summary.starts_with("Restored an earlier version"));

    // The undo puts back what the restore replaced.
    let undone = block_on(
        d.larder
            .undo_restore(&r.id, &restored.previous, &restored.restored),
    )
    .expect("undo");
    assert_eq!(undone.title, v2.title);
    assert_eq!(undone.ingredients, v2.ingredients);
    assert_eq!(undone.steps, v2.steps);
}

#[test]
fn restore_relinks_attachments_whose_bytes_are_here_and_keeps_current_ones() {
    let d = device();
    let r = block_on(d.larder.create_recipe(&soup())).expect("create");
    block_on(d.larder.attach_file(&r.id, "a.txt", "text/plain", b"first")).expect("a");
    d.clock.advance(5 * MINUTE);
    let with_a = history(&d, &r.id)[0].version.clone();
    let a = d.larder.get_recipe(&r.id).expect("r").attachments[0].clone();
    block_on(d.larder.remove_attachment(&r.id, &a.sha256)).expect("remove");
    block_on(
        d.larder
            .attach_file(&r.id, "b.txt", "text/plain", b"second"),
    )
    .expect("b");
    d.clock.advance(5 * MINUTE);
    let restored = block_on(d.larder.restore_version(&r.id, &with_a)).expect("restore");
    let names: Vec<&str> = restored
        .recipe
        .attachments
        .iter()
        .map(|a| a.file_name.as_str())
        .collect();
    assert_eq!(names, ["b.txt", "a.txt"]);
}

/// Device B restores an old version while device A, not yet in touch, edits the same recipe;
/// once their changes are exchanged both hold the same recipe with both edits in it, and each
/// names the other's change as another device's.
#[test]
fn restore_on_one_replica_merges_with_an_edit_on_another() {
    let a = device();
    let b = device();
    let r = block_on(a.larder.create_recipe(&soup())).expect("create");
    let v1 = history(&a, &r.id)[0].version.clone();
    a.clock.advance(5 * MINUTE);
    update(&a, &r.id, |x| {
        x.title = "Rich onion soup".into();
        x.steps[1] = "Fry them in butter".into();
    });
    sync(&a, &b, &r.id);
    assert_eq!(
        b.larder.get_recipe(&r.id).expect("on b").title,
        "Rich onion soup"
    );

    // Apart: A writes notes and a third step; B restores the first version.
    a.clock.advance(10 * MINUTE);
    b.clock.advance(11 * MINUTE);
    update(&a, &r.id, |x| {
        x.notes = "Use sweet onions".into();
        x.steps.push("Add the stock".into());
    });
    let restored = block_on(b.larder.restore_version(&r.id, &v1)).expect("restore on b");
    assert_eq!(restored.recipe.title, "Onion soup");

    sync(&a, &b, &r.id);
    sync(&b, &a, &r.id);
    let on_a = a.larder.get_recipe(&r.id).expect("a");
    let on_b = b.larder.get_recipe(&r.id).expect("b");
    assert_eq!(on_a, on_b, "both replicas agree");
    assert_eq!(on_a.title, "Onion soup", "the restore's title");
    assert_eq!(
        on_a.notes, "Use sweet onions",
        "A's concurrent notes survive"
    );
    assert_eq!(
        on_a.steps,
        ["Chop the onions", "Fry them", "Add the stock"],
        "the restore's step text and A's new step, spliced together"
    );

    let (ha, hb) = (history(&a, &r.id), history(&b, &r.id));
    assert_eq!(ha.len(), 4, "{ha:#?}");
    let versions = |h: &[RecipeVersionSummary]| {
        let mut v: Vec<String> = h.iter().map(|v| v.version.clone()).collect();
        v.sort();
        v
    };
    assert_eq!(versions(&ha), versions(&hb), "the same versions on both");
    let restore_on = |h: &[RecipeVersionSummary]| {
        h.iter()
            .find(|v| v.changes.restored_from.is_some())
            .expect("the restore")
            .device
            .clone()
    };
    assert!(restore_on(&hb).this_device);
    assert!(!restore_on(&ha).this_device);
    assert!(restore_on(&ha).label.starts_with("Another device ("));
    let notes_on_a = ha
        .iter()
        .find(|v| v.changes.notes.is_some())
        .expect("A's edit");
    assert!(notes_on_a.device.this_device);
    assert_eq!(notes_on_a.at, Some(START + 15 * MINUTE));

    // Undo on B after the merge: the title the restore set goes back; the steps, changed by A
    // since, and A's notes, never touched by the restore, stay.
    let undone = block_on(
        b.larder
            .undo_restore(&r.id, &restored.previous, &restored.restored),
    )
    .expect("undo");
    sync(&b, &a, &r.id);
    let on_a = a.larder.get_recipe(&r.id).expect("a");
    assert_eq!(on_a.title, "Rich onion soup");
    assert_eq!(on_a.notes, "Use sweet onions");
    assert_eq!(on_a.steps, ["Chop the onions", "Fry them", "Add the stock"]);
    assert_eq!(undone, on_a);
}

#[test]
fn recently_deleted_lists_deleted_recipes_newest_first_until_restored() {
    let d = device();
    let one = block_on(d.larder.create_recipe(&draft("Flatbread", &["flour"]))).expect("1");
    let two = block_on(d.larder.create_recipe(&draft("Dal", &["lentils"]))).expect("2");
    block_on(d.larder.create_recipe(&draft("Rice", &["rice"]))).expect("3");
    d.clock.advance(MINUTE);
    block_on(d.larder.delete_recipe(&one.id)).expect("delete 1");
    d.clock.advance(MINUTE);
    block_on(d.larder.delete_recipe(&two.id)).expect("delete 2");

    let Ok(Response::Deleted(list)) = block_on(rpc::dispatch(&d.larder, Request::RecentlyDeleted))
    else {
        panic!("a deleted list");
    };
    let titles: Vec<&str> = list.iter().map(|x| x.summary.title.as_str()).collect();
    assert_eq!(titles, ["Dal", "Flatbread"]);
    assert_eq!(list[0].deleted_at, START + 2 * MINUTE);
    assert_eq!(list[1].summary.ingredient_count, 1);

    block_on(d.larder.restore_recipe(&two.id)).expect("restore");
    let left = d.larder.recently_deleted().expect("list");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].summary.id, one.id);
}
