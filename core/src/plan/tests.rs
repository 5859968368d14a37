use super::*;
use crate::model::{IngredientRow, PlanEntryDoc};

fn date(text: &str) -> NaiveDate {
    parse_date(text).expect("date")
}

#[test]
fn dates_read_only_as_calendar_days() {
    assert_eq!(format_date(date(" 2026-02-28 ")), "2026-02-28");
    for bad in [
        "2026-02-30",
        "2026-2-3x",
        "",
        "07/12/2026",
        "2026-12-07T10:00",
    ] {
        assert!(
            matches!(parse_date(bad), Err(PlanError::BadDate(_))),
            "{bad}"
        );
    }
}

#[test]
fn a_week_starts_on_monday_across_months_and_years() {
    let days: Vec<String> = week_of(date("2027-01-01"))
        .into_iter()
        .map(format_date)
        .collect();
    assert_eq!(days.first().map(String::as_str), Some("2026-12-28"));
    assert_eq!(days.last().map(String::as_str), Some("2027-01-03"));
    assert_eq!(
        week_of(date("2026-12-07"))[0],
        date("2026-12-07"),
        "a Monday is its own start"
    );
    assert_eq!(
        week_of(date("2026-12-13"))[0],
        date("2026-12-07"),
        "Sunday ends the week"
    );
}

#[test]
fn ranges_are_forwards_and_bounded() {
    assert!(parse_range("2026-12-07", "2026-12-07").is_ok());
    assert!(parse_range("2026-12-01", "2027-01-31").is_ok(), "62 days");
    assert_eq!(
        parse_range("2026-12-01", "2027-02-01"),
        Err(PlanError::RangeTooLong)
    );
    assert!(matches!(
        parse_range("2026-12-08", "2026-12-07"),
        Err(PlanError::BackwardsRange { .. })
    ));
}

fn recipe(title: &str, servings: Option<u32>, rows: &[(Option<f64>, &str, &str)]) -> Recipe {
    Recipe {
        id: title.to_lowercase(),
        title: title.into(),
        servings,
        ingredients: rows
            .iter()
            .enumerate()
            .map(|(i, (quantity, unit, name))| IngredientRow {
                id: format!("row{i}"),
                quantity: *quantity,
                quantity_max: None,
                unit: (*unit).into(),
                name: (*name).into(),
                note: String::new(),
            })
            .collect(),
        ..Default::default()
    }
}

#[test]
fn a_preview_scales_each_entry_and_merges_compatible_units() {
    let stew = recipe(
        "Stew",
        Some(2),
        &[(Some(1.0), "lb", "beef"), (Some(2.0), "", "carrots")],
    );
    let planned = [
        PlannedRecipe {
            title: "Stew".into(),
            servings: Some(4.0),
            recipe: Some(stew.clone()),
        },
        PlannedRecipe {
            title: "Stew".into(),
            servings: None,
            recipe: Some(stew),
        },
        PlannedRecipe {
            title: "Roast".into(),
            servings: None,
            recipe: Some(recipe("Roast", Some(4), &[(Some(500.0), "g", "beef")])),
        },
        PlannedRecipe {
            title: "Gone".into(),
            servings: None,
            recipe: None,
        },
    ];
    let preview = preview("2026-12-07", "2026-12-13", &planned);
    let lines: Vec<&str> = preview.lines.iter().map(|l| l.text.as_str()).collect();
    // 2 lb + 1 lb of beef, then 500 g converted into pounds; carrots 4 + 2.
    assert_eq!(lines, ["4.1 lb beef", "6 carrots"]);
    assert_eq!(preview.recipes, 3);
    assert_eq!(preview.skipped.len(), 1);
    assert_eq!(preview.skipped[0].title, "Gone");
}

#[test]
fn slots_keep_ids_when_renamed_and_get_new_ones_when_added() {
    let mut plan = PlanDoc::new();
    set_slots(
        &mut plan,
        &[
            PlanSlotInput {
                id: Some("dinner".into()),
                name: " Supper ".into(),
            },
            PlanSlotInput {
                id: None,
                name: "Brunch".into(),
            },
        ],
    )
    .expect("slots");
    assert_eq!(plan.slots[0].id, "dinner");
    assert_eq!(plan.slots[0].name, "Supper");
    assert!(!plan.slots[1].id.is_empty() && plan.slots[1].id != "dinner");
    plan.entries.insert(
        "e".into(),
        PlanEntryDoc {
            date: "2026-12-07".into(),
            slot: "dinner".into(),
            recipe_id: None,
            title: "Soup".into(),
            servings: None,
            added_at: 0,
        },
    );
    let keep_brunch = [PlanSlotInput {
        id: Some(plan.slots[1].id.clone()),
        name: "Brunch".into(),
    }];
    assert_eq!(
        set_slots(&mut plan, &keep_brunch),
        Err(PlanError::SlotInUse {
            name: "Supper".into(),
            count: 1
        })
    );
    let too_many: Vec<PlanSlotInput> = (0..=MAX_SLOTS)
        .map(|i| PlanSlotInput {
            id: None,
            name: format!("slot {i}"),
        })
        .collect();
    assert_eq!(set_slots(&mut plan, &too_many), Err(PlanError::SlotCount));
    assert_eq!(plan.slots.len(), 2, "refusals leave the slots as they were");
}
