//! `larder plan` as a real process: planning a recipe and a few words, the week as text and
//! JSON, moving and re-serving a meal, the week's ingredients previewed (`--dry-run`) and sent
//! to the grocery list, and clear errors for a slot or date that does not exist.

mod larder_process;

use std::path::Path;

use larder_process::{larder, ok};

use serde_json::Value;

fn week(data: &Path, date: &str) -> Value {
    serde_json::from_str(&ok(data, &["plan", "week", date, "--json"])).expect("json")
}

#[test]
fn plan_a_week_change_it_and_send_it_to_the_grocery_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let stew = ok(
        data,
        &[
            "add",
            "--title",
            "Beef stew",
            "--servings",
            "2",
            "--ingredient",
            "500 g beef",
            "--ingredient",
            "2 carrots",
        ],
    );
    let stew = stew.trim();
    let planned = ok(
        data,
        &[
            "plan",
            "add",
            "2026-12-07",
            "Dinner",
            "--recipe",
            stew,
            "--servings",
            "4",
        ],
    );
    let stew_entry = planned.trim().to_string();
    let leftovers = ok(
        data,
        &[
            "plan",
            "add",
            "2026-12-08",
            "lunch",
            "Leftovers",
            "from",
            "Monday",
        ],
    );

    let text = ok(data, &["plan", "week", "2026-12-09"]);
    assert!(text.starts_with("2026-12-07 to 2026-12-13\n"), "{text}");
    assert!(
        text.contains(&format!("  Dinner: Beef stew (serves 4)  [{stew_entry}]")),
        "{text}"
    );
    assert!(text.contains("  Lunch: Leftovers from Monday  ["), "{text}");

    ok(
        data,
        &["plan", "move", leftovers.trim(), "2026-12-10", "Dinner"],
    );
    let json = week(data, "2026-12-07");
    assert_eq!(json["days"][1]["entries"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        json["days"][3]["entries"][0]["title"],
        "Leftovers from Monday"
    );
    assert_eq!(json["days"][3]["entries"][0]["slot"], "dinner");

    let preview = ok(
        data,
        &[
            "plan",
            "to-grocery",
            "2026-12-07",
            "2026-12-13",
            "--dry-run",
        ],
    );
    assert_eq!(
        preview.lines().collect::<Vec<_>>(),
        ["1000 g beef", "4 carrots"]
    );
    assert_eq!(
        ok(data, &["grocery", "list"]).trim(),
        "",
        "a dry run adds nothing"
    );
    ok(data, &["plan", "servings", &stew_entry, "--own"]);
    ok(data, &["plan", "to-grocery", "2026-12-07", "2026-12-13"]);
    let list: Value =
        serde_json::from_str(&ok(data, &["grocery", "list", "--json"])).expect("json");
    let texts: Vec<&str> = list
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["text"].as_str())
        .collect();
    assert_eq!(
        texts,
        ["500 g beef", "2 carrots"],
        "the recipe's own servings now"
    );

    ok(data, &["plan", "rm", &stew_entry]);
    assert_eq!(
        week(data, "2026-12-07")["days"][0]["entries"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
}

#[test]
fn a_slot_or_date_that_does_not_exist_is_refused_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let out = larder(data, &["plan", "add", "2026-12-07", "elevenses", "Cake"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no slot \"elevenses\"; the plan's slots are Breakfast, Lunch, Dinner, Snack"),
        "{err}"
    );
    let out = larder(data, &["plan", "week", "next tuesday"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("plan dates are written YYYY-MM-DD"));
    let out = larder(data, &["plan", "rm", "nope"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing is planned with id nope"));
}
