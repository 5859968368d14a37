//! The meal plan through the API: a week of it, planning recipes and free-text meals, moving and
//! re-serving them, the slot names; two replicas editing the same week merge (and adopt one
//! plan); a range of the plan sent to the grocery list, scaled by each entry's servings and
//! merged by the grocery rules, previewed first and undoable; bad input refused.

mod common;

use common::{Device, block_on, device, draft, sync};
use larder_core::api::{PlanAddition, PlanView};
use larder_core::model::RecipeDraft;
use larder_core::plan::PlanSlotInput;
use larder_core::rpc::{self, Request, RpcErrorCode};

fn add(d: &Device, date: &str, slot: &str, recipe: Option<&str>, text: Option<&str>) -> String {
    d.clock.advance(1_000);
    block_on(d.larder.plan_add(PlanAddition {
        date: date.into(),
        slot: slot.into(),
        recipe_id: recipe.map(str::to_string),
        text: text.map(str::to_string),
        servings: None,
    }))
    .expect("plan")
}

fn week(d: &Device, date: &str) -> PlanView {
    block_on(d.larder.plan_week(date)).expect("week")
}

/// (date, slot, title) of every entry of the week, in order.
fn meals(view: &PlanView) -> Vec<(String, String, String)> {
    view.days
        .iter()
        .flat_map(|day| {
            day.entries
                .iter()
                .map(|e| (e.date.clone(), e.slot.clone(), e.title.clone()))
        })
        .collect()
}

fn create(d: &Device, recipe: RecipeDraft) -> String {
    block_on(d.larder.create_recipe(&recipe))
        .expect("create")
        .id
}

#[test]
fn a_week_runs_monday_to_sunday_with_its_meals_in_slot_order() {
    let d = device();
    let soup = create(&d, draft("Onion soup", &["2 onions"]));
    // 2026-12-09 is a Wednesday.
    add(&d, "2026-12-09", "dinner", Some(&soup), None);
    add(&d, "2026-12-09", "breakfast", None, Some("Porridge"));
    add(&d, "2026-12-13", "lunch", None, Some("Leftovers"));
    add(&d, "2026-12-14", "lunch", None, Some("Next week"));

    let view = week(&d, "2026-12-09");
    assert_eq!(
        (view.from.as_str(), view.to.as_str()),
        ("2026-12-07", "2026-12-13")
    );
    assert_eq!(view.days.len(), 7);
    assert_eq!(
        view.slots
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["Breakfast", "Lunch", "Dinner", "Snack"]
    );
    assert_eq!(
        meals(&view),
        [
            ("2026-12-09".into(), "breakfast".into(), "Porridge".into()),
            ("2026-12-09".into(), "dinner".into(), "Onion soup".into()),
            ("2026-12-13".into(), "lunch".into(), "Leftovers".into()),
        ]
    );
    // The planned recipe shows its current title, and a deleted one is marked missing.
    let mut renamed = d.larder.get_recipe(&soup).expect("soup").to_draft();
    renamed.title = "French onion soup".into();
    block_on(d.larder.update_recipe(&soup, &renamed)).expect("rename");
    let dinner = &week(&d, "2026-12-07").days[2].entries[1];
    assert_eq!(
        (dinner.title.as_str(), dinner.missing),
        ("French onion soup", false)
    );
    block_on(d.larder.delete_recipe(&soup)).expect("delete");
    let dinner = &week(&d, "2026-12-07").days[2].entries[1];
    assert_eq!(
        (dinner.title.as_str(), dinner.missing),
        ("Onion soup", true)
    );
}

#[test]
fn moving_re_serving_and_removing_change_only_that_meal() {
    let d = device();
    let porridge = add(&d, "2026-12-07", "breakfast", None, Some("Porridge"));
    let pasta = add(&d, "2026-12-07", "dinner", None, Some("Pasta"));
    block_on(d.larder.plan_move(&pasta, "2026-12-08", "lunch")).expect("move");
    block_on(d.larder.plan_set_servings(&porridge, Some(3.0))).expect("servings");
    let view = week(&d, "2026-12-07");
    assert_eq!(
        meals(&view),
        [
            ("2026-12-07".into(), "breakfast".into(), "Porridge".into()),
            ("2026-12-08".into(), "lunch".into(), "Pasta".into()),
        ]
    );
    assert_eq!(view.days[0].entries[0].servings, Some(3.0));
    block_on(d.larder.plan_remove(&porridge)).expect("remove");
    assert_eq!(meals(&week(&d, "2026-12-07")).len(), 1);
}

#[test]
fn two_replicas_editing_the_same_week_merge_and_adopt_one_plan() {
    let a = device();
    let b = device();
    // B planned offline before it knew A's plan; adopting A's keeps B's meal.
    add(&b, "2026-12-10", "snack", None, Some("Fruit"));
    let plan = block_on(a.larder.meal_plan_id()).expect("plan");
    let monday = add(&a, "2026-12-07", "dinner", None, Some("Curry"));
    sync(&a, &b, &plan);
    block_on(b.larder.use_meal_plan(&plan)).expect("adopt");
    sync(&b, &a, &plan);
    assert_eq!(
        meals(&week(&a, "2026-12-07")),
        meals(&week(&b, "2026-12-07"))
    );
    assert_eq!(meals(&week(&a, "2026-12-07")).len(), 2);

    // Concurrently: A moves Monday's curry to Tuesday, B plans lunch and re-serves the curry.
    block_on(a.larder.plan_move(&monday, "2026-12-08", "dinner")).expect("move");
    add(&b, "2026-12-07", "lunch", None, Some("Soup"));
    block_on(b.larder.plan_set_servings(&monday, Some(6.0))).expect("servings");
    sync(&a, &b, &plan);
    sync(&b, &a, &plan);
    let (wa, wb) = (week(&a, "2026-12-07"), week(&b, "2026-12-07"));
    assert_eq!(wa, wb);
    assert_eq!(
        meals(&wa),
        [
            ("2026-12-07".into(), "lunch".into(), "Soup".into()),
            ("2026-12-08".into(), "dinner".into(), "Curry".into()),
            ("2026-12-10".into(), "snack".into(), "Fruit".into()),
        ]
    );
    let curry = &wa.days[1].entries[0];
    assert_eq!(curry.servings, Some(6.0), "both edits of the curry survive");
}

#[test]
fn a_range_goes_to_the_grocery_list_scaled_merged_previewed_and_undoable() {
    let d = device();
    let bread = create(
        &d,
        RecipeDraft {
            servings: Some(4),
            ..draft("Bread", &["500 g flour", "2 tsp salt"])
        },
    );
    let pancakes = create(
        &d,
        RecipeDraft {
            servings: Some(2),
            ..draft("Pancakes", &["0.25 kg flour", "2 eggs", "500 ml milk"])
        },
    );
    let empty = create(&d, draft("Toast", &[]));
    d.clock.advance(1_000);
    block_on(d.larder.plan_add(PlanAddition {
        date: "2026-12-07".into(),
        slot: "dinner".into(),
        recipe_id: Some(bread.clone()),
        text: None,
        servings: Some(8.0),
    }))
    .expect("plan bread for 8");
    add(&d, "2026-12-09", "breakfast", Some(&pancakes), None);
    add(&d, "2026-12-09", "lunch", Some(&empty), None);
    add(&d, "2026-12-10", "dinner", None, Some("Eat out"));
    add(&d, "2026-12-20", "dinner", Some(&pancakes), None);
    // Milk already on the list merges; the preview is not the list.
    block_on(d.larder.add_grocery_item("1 l milk")).expect("milk");

    let preview =
        block_on(d.larder.plan_grocery_preview("2026-12-07", "2026-12-13")).expect("preview");
    let lines: Vec<&str> = preview.lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        lines,
        ["1250 g flour", "4 tsp salt", "2 eggs", "500 ml milk"]
    );
    assert_eq!(preview.recipes, 2);
    assert_eq!(preview.skipped.len(), 1);
    assert_eq!(preview.skipped[0].title, "Toast");
    assert_eq!(block_on(d.larder.grocery_items()).expect("list").len(), 1);

    d.clock.advance(1_000);
    let added = block_on(d.larder.plan_to_grocery("2026-12-07", "2026-12-13")).expect("send");
    let list: Vec<&str> = added.items.iter().map(|i| i.text.as_str()).collect();
    assert_eq!(
        list,
        ["1 1/2 l milk", "1250 g flour", "4 tsp salt", "2 eggs"]
    );
    let back = block_on(d.larder.undo_grocery_addition(added.undo)).expect("undo");
    let list: Vec<&str> = back.iter().map(|i| i.text.as_str()).collect();
    assert_eq!(list, ["1 l milk"]);
}

#[test]
fn slots_rename_add_and_refuse_removal_while_they_hold_meals() {
    let d = device();
    add(&d, "2026-12-07", "snack", None, Some("Cake"));
    let slots = |names: &[(Option<&str>, &str)]| -> Vec<PlanSlotInput> {
        names
            .iter()
            .map(|(id, name)| PlanSlotInput {
                id: id.map(str::to_string),
                name: (*name).into(),
            })
            .collect()
    };
    block_on(d.larder.plan_set_slots(slots(&[
        (Some("breakfast"), "Frühstück"),
        (Some("dinner"), "Supper"),
        (Some("snack"), "Tea"),
        (None, "Late"),
    ])))
    .expect("rename, drop lunch, add one");
    let view = week(&d, "2026-12-07");
    assert_eq!(
        view.slots
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["Frühstück", "Supper", "Tea", "Late"]
    );
    assert_eq!(
        view.days[0].entries[0].slot, "snack",
        "the renamed slot keeps its meal"
    );

    let err = block_on(
        d.larder
            .plan_set_slots(slots(&[(Some("breakfast"), "Breakfast")])),
    )
    .expect_err("snack holds a meal");
    assert!(
        err.to_string().contains("1 planned meals are in Tea"),
        "{err}"
    );
    for bad in [
        slots(&[]),
        slots(&[(None, " ")]),
        slots(&[(None, "A"), (None, "a")]),
        slots(&[(Some("nope"), "Nope")]),
    ] {
        assert!(block_on(d.larder.plan_set_slots(bad)).is_err());
    }
    assert_eq!(
        week(&d, "2026-12-07").slots.len(),
        4,
        "refusals change nothing"
    );
}

#[test]
fn bad_plan_requests_are_refused_with_a_clear_code_and_change_nothing() {
    let d = device();
    let ask = |request: serde_json::Value| {
        let request: Request = serde_json::from_value(request).expect("request");
        block_on(rpc::dispatch(&d.larder, request))
    };
    let refused = |request: serde_json::Value| ask(request).expect_err("refused").code;
    let plan = |date: &str, slot: &str, text: &str| serde_json::json!({"op": "plan_add", "addition": {"date": date, "slot": slot, "text": text}});
    assert_eq!(
        refused(plan("2026-13-01", "dinner", "x")),
        RpcErrorCode::Invalid
    );
    assert_eq!(
        refused(plan("tomorrow", "dinner", "x")),
        RpcErrorCode::Invalid
    );
    assert_eq!(
        refused(plan("2026-12-07", "elevenses", "x")),
        RpcErrorCode::Invalid
    );
    assert_eq!(
        refused(plan("2026-12-07", "dinner", "  ")),
        RpcErrorCode::Invalid
    );
    assert_eq!(
        refused(plan("2026-12-07", "dinner", &"x".repeat(201))),
        RpcErrorCode::Invalid
    );
    assert_eq!(
        refused(serde_json::json!({"op": "plan_add", "addition":
            {"date": "2026-12-07", "slot": "dinner", "recipe_id": "nope"}})),
        RpcErrorCode::NotFound
    );
    assert_eq!(
        refused(serde_json::json!({"op": "plan_remove", "entry_id": "nope"})),
        RpcErrorCode::NotFound
    );
    assert_eq!(
        refused(
            serde_json::json!({"op": "plan_to_grocery", "from": "2026-12-07", "to": "2027-03-01"})
        ),
        RpcErrorCode::Invalid
    );
    assert_eq!(
        refused(
            serde_json::json!({"op": "plan_grocery_preview", "from": "2026-12-08", "to": "2026-12-07"})
        ),
        RpcErrorCode::Invalid
    );
    assert!(ask(plan("2026-12-07", "dinner", "Pizza")).is_ok());
    assert_eq!(
        meals(&week(&d, "2026-12-07")).len(),
        1,
        "only the good request planned"
    );
}
