//! A household's shared grocery list on one member's device: choosing it or the user's own,
//! "add ingredients" going to the chosen one, moving the user's unchecked items across in one
//! step, two members adding to the same item at once, and leaving the household.

mod common;

use common::{Device, block_on, device, draft, sync};
use larder_core::api::PlanAddition;
use larder_core::model::GroceryItem;
use larder_core::{GroceryListChoice, Household, LarderError};

fn household(list: &str) -> Household {
    Household {
        id: "h1".into(),
        name: "The Smiths".into(),
        grocery_list_id: list.into(),
        meal_plan_id: None,
    }
}

fn plan(device: &Device, date: &str, text: &str) {
    block_on(device.larder.plan_add(PlanAddition {
        date: date.into(),
        slot: "dinner".into(),
        recipe_id: None,
        text: Some(text.into()),
        servings: None,
    }))
    .expect("plan");
}

/// The meals planned in the week of 2026-12-07, with the plan's household.
fn week(device: &Device) -> (Vec<String>, Option<String>) {
    let week = block_on(device.larder.plan_week("2026-12-07")).expect("week");
    let meals = week
        .days
        .iter()
        .flat_map(|d| d.entries.iter().map(|e| format!("{} {}", e.date, e.title)))
        .collect();
    (meals, week.household_name)
}

fn texts(items: &[GroceryItem]) -> Vec<(String, bool)> {
    let mut texts: Vec<_> = items.iter().map(|i| (i.text.clone(), i.checked)).collect();
    texts.sort();
    texts
}

fn names(device: &Device) -> Vec<(String, bool)> {
    texts(&block_on(device.larder.grocery_items()).expect("items"))
}

#[test]
fn a_member_chooses_the_household_list_moves_items_to_it_and_loses_it_on_leaving() {
    let (me, partner) = (device(), device());
    // The household's list, made elsewhere (on the relay, in Larder) and synced here.
    let shared = block_on(partner.larder.grocery_list_id()).expect("list");
    block_on(partner.larder.add_grocery_item("2 eggs")).expect("eggs");
    sync(&partner, &me, &shared);

    block_on(me.larder.add_grocery_item("2 l milk")).expect("milk");
    let bread = block_on(me.larder.add_grocery_item("bread")).expect("bread");
    let bread = bread.iter().find(|i| i.name == "bread").expect("bread");
    block_on(me.larder.set_grocery_checked(&bread.id, true)).expect("check");

    let lists = block_on(me.larder.grocery_lists()).expect("lists");
    assert_eq!(lists.chosen, GroceryListChoice::Mine);
    assert_eq!(lists.household_name, None);
    assert!(matches!(
        block_on(me.larder.choose_grocery_list(GroceryListChoice::Household)),
        Err(LarderError::NoHousehold)
    ));
    assert!(matches!(
        block_on(me.larder.move_unchecked_to_household()),
        Err(LarderError::NoHousehold)
    ));

    // Joining: the household list is used unless the user chooses otherwise.
    block_on(me.larder.set_household(Some(&household(&shared)))).expect("join");
    let lists = block_on(me.larder.grocery_lists()).expect("lists");
    assert_eq!(lists.chosen, GroceryListChoice::Household);
    assert_eq!(lists.household_name.as_deref(), Some("The Smiths"));
    assert_eq!(lists.mine_unchecked, 1);
    assert_eq!(names(&me), [("2 eggs".to_string(), false)]);

    let cake = block_on(me.larder.create_recipe(&draft("Cake", &["3 eggs"]))).expect("cake");
    let added = block_on(me.larder.add_recipe_to_grocery(&cake.id, None)).expect("add");
    assert_eq!(added.household_name.as_deref(), Some("The Smiths"));
    assert_eq!(texts(&added.items), [("5 eggs".to_string(), false)]);

    let moved = block_on(me.larder.move_unchecked_to_household()).expect("move");
    assert_eq!(
        texts(&moved),
        [
            ("2 l milk".to_string(), false),
            ("5 eggs".to_string(), false)
        ]
    );
    let lists = block_on(me.larder.choose_grocery_list(GroceryListChoice::Mine)).expect("mine");
    assert_eq!(
        (lists.chosen, lists.mine_unchecked),
        (GroceryListChoice::Mine, 0)
    );
    assert_eq!(
        names(&me),
        [("bread".to_string(), true)],
        "checked items stay"
    );

    // The partner sees what was moved.
    sync(&me, &partner, &shared);
    assert_eq!(
        names(&partner),
        [
            ("2 l milk".to_string(), false),
            ("5 eggs".to_string(), false)
        ]
    );

    // Leaving: back to the user's own list, and the household's is gone from the view.
    block_on(me.larder.choose_grocery_list(GroceryListChoice::Household)).expect("household");
    block_on(me.larder.set_household(None)).expect("leave");
    let lists = block_on(me.larder.grocery_lists()).expect("lists");
    assert_eq!(
        (lists.chosen, lists.household_name),
        (GroceryListChoice::Mine, None)
    );
    assert_eq!(names(&me), [("bread".to_string(), true)]);
    assert!(
        me.larder
            .store()
            .grocery_items(&shared)
            .expect("items")
            .is_empty()
    );
}

#[test]
fn two_members_adding_a_recipe_each_offline_sum_on_the_household_list() {
    let (me, partner) = (device(), device());
    let shared = block_on(partner.larder.grocery_list_id()).expect("list");
    block_on(partner.larder.add_grocery_item("1 eggs")).expect("eggs");
    sync(&partner, &me, &shared);
    block_on(me.larder.set_household(Some(&household(&shared)))).expect("join");

    let mine = block_on(me.larder.create_recipe(&draft("Cake", &["3 eggs"]))).expect("cake");
    let theirs = block_on(
        partner
            .larder
            .create_recipe(&draft("Flan", &["2 eggs", "1 l milk"])),
    )
    .expect("flan");
    block_on(me.larder.add_recipe_to_grocery(&mine.id, None)).expect("mine");
    block_on(partner.larder.add_recipe_to_grocery(&theirs.id, None)).expect("theirs");
    sync(&me, &partner, &shared);
    sync(&partner, &me, &shared);

    let expected = [
        ("1 l milk".to_string(), false),
        ("6 eggs".to_string(), false),
    ];
    assert_eq!(names(&me), expected);
    assert_eq!(names(&partner), expected);
}

#[test]
fn a_member_plans_on_the_household_plan_and_gets_their_own_back_on_leaving() {
    let (me, partner) = (device(), device());
    let list = block_on(partner.larder.grocery_list_id()).expect("list");
    let shared = block_on(partner.larder.meal_plan_id()).expect("plan");
    plan(&partner, "2026-12-08", "Soup night");
    sync(&partner, &me, &list);
    sync(&partner, &me, &shared);
    plan(&me, "2026-12-09", "My own pasta");

    let home = Household {
        meal_plan_id: Some(shared.clone()),
        ..household(&list)
    };
    block_on(me.larder.set_household(Some(&home))).expect("join");
    assert_eq!(
        week(&me),
        (
            vec!["2026-12-08 Soup night".to_string()],
            Some("The Smiths".to_string())
        )
    );
    plan(&me, "2026-12-10", "Tacos");
    sync(&me, &partner, &shared);
    let (meals, _) = week(&partner);
    assert_eq!(meals, ["2026-12-08 Soup night", "2026-12-10 Tacos"]);

    block_on(me.larder.set_household(None)).expect("leave");
    assert_eq!(
        week(&me),
        (vec!["2026-12-09 My own pasta".to_string()], None)
    );
    assert!(
        me.larder
            .store()
            .plan_heads(&shared)
            .expect("heads")
            .is_none(),
        "the household plan left the view"
    );
}
