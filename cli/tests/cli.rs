//! The `larder` binary's contract, run as a real process against a temporary profile.

mod larder_process;

use std::path::Path;

use larder_process::{json, larder, ok};

use serde_json::Value;

#[test]
fn add_search_show_grocery_and_rm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let id = ok(
        data,
        &[
            "add",
            "--title",
            "Crème brûlée",
            "--ingredient",
            "500 ml cream",
            "--ingredient",
            "5 egg yolks",
            "--ingredient",
            "100 g sugar",
            "--servings",
            "4",
            "--tag",
            "dessert",
            "--step",
            "Heat the cream.",
        ],
    )
    .trim()
    .to_string();
    assert!(!id.is_empty());

    let hits = json(data, &["search", "creme", "--json"]);
    assert_eq!(hits[0]["id"], id.as_str());
    assert_eq!(hits[0]["title"], "Crème brûlée");
    assert_eq!(
        json(data, &["search", "--json"]).as_array().map(Vec::len),
        Some(1)
    );

    let shown = json(data, &["show", &id, "--json"]);
    assert_eq!(shown["ingredients"][0]["unit"], "ml");
    assert_eq!(shown["ingredients"][2]["quantity"], 100.0);
    let text = ok(data, &["show", &id]);
    assert!(text.contains("500 ml cream"), "{text}");

    ok(data, &["grocery", "add-recipe", &id, "--servings", "8"]);
    ok(data, &["grocery", "add", "2 l milk"]);
    let items = json(data, &["grocery", "list", "--json"]);
    let items = items.as_array().expect("array");
    assert_eq!(items.len(), 4);
    let cream = items.iter().find(|i| i["name"] == "cream").expect("cream");
    assert_eq!(cream["quantity"], 1000.0);
    let cream_id = cream["id"].as_str().expect("id").to_string();
    ok(data, &["grocery", "check", &cream_id]);
    ok(data, &["grocery", "check", "milk"]);
    ok(data, &["grocery", "clear-checked"]);
    let items = json(data, &["grocery", "list", "--json"]);
    assert_eq!(items.as_array().map(Vec::len), Some(2));

    ok(data, &["rm", &id]);
    assert_eq!(
        json(data, &["search", "--json"]).as_array().map(Vec::len),
        Some(0)
    );
}

#[test]
fn export_then_import_round_trips() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let id = ok(
        data,
        &[
            "add",
            "--title",
            "Garlic bread",
            "--ingredient",
            "1 baguette",
            "--ingredient",
            "2-3 cloves garlic",
            "--ingredient",
            "50 g butter, softened",
            "--step",
            "Mix butter and garlic.",
            "--step",
            "Bake 10 minutes.",
            "--tag",
            "side",
            "--servings",
            "4",
        ],
    )
    .trim()
    .to_string();
    let exported = ok(data, &["export", &id]);
    let ld: Value = serde_json::from_str(&exported).expect("json-ld");
    assert_eq!(ld["@type"], "Recipe");
    let file = dir.path().join("garlic-bread.json");
    std::fs::write(&file, &exported).expect("write");

    let other = tempfile::tempdir().expect("tempdir");
    let new_ids = ok(other.path(), &["import", file.to_str().expect("path")]);
    let new_id = new_ids.trim();
    assert!(!new_id.is_empty());
    let a = json(data, &["show", &id, "--json"]);
    let b = json(other.path(), &["show", new_id, "--json"]);
    for field in ["title", "servings", "tags", "steps"] {
        assert_eq!(a[field], b[field], "{field}");
    }
    let strip = |v: &Value| -> Vec<(Value, Value, Value, Value, Value)> {
        v["ingredients"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                (
                    r["quantity"].clone(),
                    r["quantity_max"].clone(),
                    r["unit"].clone(),
                    r["name"].clone(),
                    r["note"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(strip(&a), strip(&b));
}

#[test]
fn errors_go_to_stderr_with_a_non_zero_exit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let out = larder(data, &["show", "no-such-recipe"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no recipe"));
    assert!(out.stdout.is_empty());

    let out = larder(data, &["add", "--title", "   "]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("title"));

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{ not json").expect("write");
    let out = larder(data, &["import", bad.to_str().expect("path")]);
    assert!(!out.status.success());

    // A foreign SQLite file as the profile database is refused, not overwritten.
    let foreign = tempfile::tempdir().expect("tempdir");
    let db = foreign.path().join("larder.db");
    std::fs::write(&db, b"this is not a database, it is a shopping list").expect("write");
    let out = larder(foreign.path(), &["search"]);
    assert!(!out.status.success());
    assert_eq!(
        std::fs::read(&db).expect("read"),
        b"this is not a database, it is a shopping list"
    );
}

#[test]
fn import_prints_ids_on_stdout_and_one_report_line_per_file_on_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/import");
    // A Markdown recipe saved under a misleading name: read by its content.
    let pancakes = dir.path().join("pancakes.html");
    std::fs::copy(fixtures.join("pancakes.md"), &pancakes).expect("copy");
    let recipesage = fixtures.join("recipesage.json");
    let files = [
        pancakes.to_str().expect("path"),
        recipesage.to_str().expect("path"),
    ];

    let out = larder(data, &[&["import"][..], &files[..]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let ids: Vec<&str> = stdout.lines().collect();
    assert_eq!(ids.len(), 3, "stdout holds only the new ids: {stdout:?}");
    for id in &ids {
        ok(data, &["show", id]);
    }
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines,
        [
            format!("{}: Markdown recipe, 1 imported", files[0]).as_str(),
            format!("{}: schema.org JSON-LD, 2 imported", files[1]).as_str(),
            "  warning: 1 recipe had a time that could not be read (left empty) (e.g. Tomato Soup)",
        ],
        "{stderr}"
    );

    // Again: nothing new, and it says so.
    let out = larder(data, &[&["import"][..], &files[..]].concat());
    assert!(out.status.success());
    assert!(
        out.stdout.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(
        stderr.contains(&format!(
            "{}: schema.org JSON-LD, 0 imported, 2 already there",
            files[1]
        )),
        "{stderr}"
    );
    assert_eq!(
        json(data, &["search", "--json"]).as_array().map(Vec::len),
        Some(3)
    );
}

#[test]
fn export_all_writes_one_zip_that_import_reads_back_with_attachments() {
    let (a, b, out) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let soup = ok(
        a.path(),
        &[
            "add",
            "--title",
            "Bean soup",
            "--ingredient",
            "400 g white beans",
            "--step",
            "Simmer.",
        ],
    )
    .trim()
    .to_owned();
    ok(
        a.path(),
        &["add", "--title", "Toast", "--ingredient", "2 slices bread"],
    );
    let photo = out.path().join("beans.png");
    std::fs::write(&photo, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-beans").unwrap();
    ok(a.path(), &["attach", &soup, photo.to_str().unwrap()]);

    let target = out.path().join("exports");
    let printed = ok(a.path(), &["export", "--all", target.to_str().unwrap()]);
    let zip = std::path::PathBuf::from(printed.trim());
    assert_eq!(zip.parent(), Some(target.as_path()));
    let name = zip.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.starts_with("larder-export-") && name.ends_with(".zip"),
        "{name}"
    );
    // Only the finished file is there (no partial left behind).
    assert_eq!(std::fs::read_dir(&target).unwrap().count(), 1);

    let ids = ok(b.path(), &["import", zip.to_str().unwrap()]);
    assert_eq!(ids.lines().count(), 2, "{ids}");
    let found = json(b.path(), &["search", "beans", "--json"]);
    let id = found[0]["id"].as_str().unwrap();
    let recipe = json(b.path(), &["show", id, "--json"]);
    assert_eq!(recipe["title"], "Bean soup");
    assert_eq!(recipe["ingredients"][0]["name"], "white beans");
    assert_eq!(recipe["attachments"][0]["file_name"], "beans.png");
    let copy = out.path().join("copy.png");
    ok(
        b.path(),
        &[
            "attachment",
            "get",
            id,
            "beans.png",
            "-o",
            copy.to_str().unwrap(),
        ],
    );
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        std::fs::read(&photo).unwrap()
    );

    // Neither a recipe id nor --all: a usage error.
    let out = larder(a.path(), &["export"]);
    assert!(!out.status.success());
}

#[test]
fn a_nextcloud_cookbook_folder_imports_as_one_file_would() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("profile");
    let cookbook = dir.path().join("Cookbook");
    for (i, name) in ["Lemon curd", "Plum jam"].iter().enumerate() {
        let folder = cookbook.join(name);
        std::fs::create_dir_all(&folder).expect("folder");
        let recipe = serde_json::json!({
            "@context": "http://schema.org", "@type": "Recipe", "id": (i + 1).to_string(),
            "name": name, "recipeIngredient": ["500 g fruit", "250 g sugar"],
            "recipeInstructions": ["Cook.", "Jar."],
        });
        std::fs::write(folder.join("recipe.json"), recipe.to_string()).expect("json");
        std::fs::write(
            folder.join("full.jpg"),
            b"\xFF\xD8\xFF\xE0\0\x10JFIF\0pixels",
        )
        .expect("jpg");
    }
    let folder = cookbook.to_str().expect("path");
    let out = larder(&data, &["import", folder]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert_eq!(
        stderr.trim(),
        format!("{folder}: Nextcloud Cookbook export, 2 imported")
    );
    for id in stdout.lines() {
        let recipe = json(&data, &["show", id, "--json"]);
        assert_eq!(
            recipe["attachments"].as_array().map(Vec::len),
            Some(1),
            "{recipe}"
        );
    }
    let out = larder(&data, &["import", folder]);
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(stderr.contains("0 imported, 2 already there"), "{stderr}");
}
