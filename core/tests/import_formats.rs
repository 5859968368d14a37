//! Importing other apps' exports end to end on a real profile: every format read by its content
//! (whatever the file is called), photos attached, the grouped report, re-imports that find what
//! they made before, and every broken shape refused clearly with nothing created.
//!
//! Archives are built here with the `zip` crate's writer; the JSON follows each app's published
//! export shape, with made-up recipes.

use std::io::Write;

use larder_core::docstore::DocumentStore;
use larder_core::import::{self, ImportFileError, Limits};
use larder_core::{ImportReport, Larder, LarderError, profile};
use serde_json::{Value, json};
use zip::write::SimpleFileOptions;

/// A JPEG's signature and a little more: enough for the type check and a byte comparison.
const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0 not really pixels";
/// A WebP's signature.
const WEBP: &[u8] = b"RIFF\x10\0\0\0WEBPVP8 not really pixels";

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        writer.start_file(*name, options).expect("start entry");
        writer.write_all(bytes).expect("write entry");
    }
    writer.finish().expect("finish zip").into_inner()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A Paprika recipe as its export writes it (before gzip).
fn paprika(uid: &str, name: &str) -> Value {
    json!({
        "uid": uid,
        "name": name,
        "ingredients": "2 cups flour\n1 tsp salt\n\n250 ml water",
        "directions": "Mix everything.\nKnead for 10 minutes.\n",
        "description": "",
        "notes": "Best on day one.",
        "servings": "4",
        "prep_time": "15 mins",
        "cook_time": "1 hr 10 min",
        "total_time": "1 hr 25 min",
        "categories": ["Bread", "Baking"],
        "source_url": "https://bread.example.org/loaf",
        "source": "bread.example.org",
        "rating": 4,
        "difficulty": "",
        "photo_data": null,
        "photos": [],
        "hash": "0000",
        "created": "2024-01-01 10:00:00"
    })
}

fn paprika_export(recipes: &[Value]) -> Vec<u8> {
    let members: Vec<(String, Vec<u8>)> = recipes
        .iter()
        .map(|recipe| {
            let name = format!("{}.paprikarecipe", recipe["name"].as_str().unwrap_or("x"));
            (name, gzip(recipe.to_string().as_bytes()))
        })
        .collect();
    let entries: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
        .collect();
    zip_of(&entries)
}

async fn open() -> (tempfile::TempDir, Larder<larder_core::docstore::SamodStore>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let larder = profile::open(dir.path()).await.expect("open");
    (dir, larder)
}

fn recipe_count<S: DocumentStore>(larder: &Larder<S>) -> usize {
    larder.search("", 10_000, 0).expect("search").len()
}

fn group<'r>(report: &'r ImportReport, kind: &str) -> &'r larder_core::WarningGroup {
    report
        .warnings
        .iter()
        .find(|g| g.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} group in {:?}", report.warnings))
}

// ----- Paprika -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paprika_export_imports_every_field_and_the_photo() {
    let (_dir, larder) = open().await;
    let mut bread = paprika("5A8B1C0E-0000-4000-8000-000000000001", "Country loaf");
    bread["photo_data"] = json!(base64(JPEG));
    let file = paprika_export(&[bread, paprika("uid-2", "Focaccia")]);

    // Named like something else entirely: the content decides.
    let report = larder
        .import_file("recipes.json", &file)
        .await
        .expect("import");
    assert_eq!(report.format, "Paprika export");
    assert_eq!(report.ids.len(), 2);
    assert_eq!(report.already_present, 0);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);

    let loaf = larder.get_recipe(&report.ids[0]).expect("loaf");
    assert_eq!(loaf.title, "Country loaf");
    assert_eq!(loaf.servings, Some(4));
    assert_eq!(loaf.prep_minutes, Some(15));
    assert_eq!(loaf.cook_minutes, Some(70));
    assert_eq!(loaf.total_minutes, Some(85));
    assert_eq!(loaf.tags, ["Bread", "Baking"]);
    assert_eq!(loaf.source_url, "https://bread.example.org/loaf");
    assert_eq!(loaf.steps, ["Mix everything.", "Knead for 10 minutes."]);
    assert!(loaf.notes.starts_with("Best on day one."), "{}", loaf.notes);
    assert!(loaf.notes.contains("Rating: 4/5"), "{}", loaf.notes);
    let names: Vec<&str> = loaf.ingredients.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["flour", "salt", "water"]);
    assert_eq!(
        loaf.import_key.as_deref(),
        Some("paprika:5a8b1c0e-0000-4000-8000-000000000001")
    );
    assert_eq!(loaf.attachments.len(), 1);
    assert_eq!(loaf.attachments[0].media_type, "image/jpeg");
    let (_, bytes) = larder
        .attachment_by_name(&loaf.id, &loaf.attachments[0].file_name)
        .expect("photo");
    assert_eq!(bytes, JPEG);
    assert!(
        larder
            .get_recipe(&report.ids[1])
            .expect("focaccia")
            .attachments
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_paprika_recipe_is_a_gzip_file() {
    let (_dir, larder) = open().await;
    let report = larder
        .import_file(
            "loaf.txt",
            &gzip(paprika("u1", "Loaf").to_string().as_bytes()),
        )
        .await
        .expect("import");
    assert_eq!(report.format, "Paprika recipe");
    assert_eq!(report.ids.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_the_same_export_again_creates_nothing() {
    let (_dir, larder) = open().await;
    let recipes: Vec<Value> = (0..5)
        .map(|i| paprika(&format!("uid-{i}"), &format!("Bread {i}")))
        .collect();
    let file = paprika_export(&recipes);
    let first = larder.import_file("a", &file).await.expect("first");
    assert_eq!(first.ids.len(), 5);

    let second = larder.import_file("a", &file).await.expect("second");
    assert!(second.ids.is_empty(), "{:?}", second.ids);
    assert_eq!(second.already_present, 5);
    assert_eq!(recipe_count(&larder), 5);

    // One new recipe in a later export: only it is made.
    let mut more = recipes.clone();
    more.push(paprika("uid-new", "Bread new"));
    let third = larder
        .import_file("a", &paprika_export(&more))
        .await
        .expect("third");
    assert_eq!((third.ids.len(), third.already_present), (1, 5));

    // A recipe deleted since is not "already there": importing brings it back.
    larder.delete_recipe(&first.ids[0]).await.expect("delete");
    let fourth = larder.import_file("a", &file).await.expect("fourth");
    assert_eq!((fourth.ids.len(), fourth.already_present), (1, 4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_imports_without_a_source_id_match_on_address_and_title() {
    let (_dir, larder) = open().await;
    let file = fixture("recipesage.json");
    let first = larder.import_file("x", &file).await.expect("first");
    assert_eq!(first.ids.len(), 2);
    let second = larder.import_file("x", &file).await.expect("second");
    assert_eq!((second.ids.len(), second.already_present), (0, 2));

    let text = fixture("soup.txt");
    assert_eq!(
        larder.import_file("s", &text).await.expect("t1").ids.len(),
        1
    );
    let again = larder.import_file("s", &text).await.expect("t2");
    assert_eq!((again.ids.len(), again.already_present), (0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_key_lives_in_the_document_and_a_view_rebuilt_from_it_dedupes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = paprika_export(&[paprika("uid-1", "Loaf")]);
    let made = {
        let larder = profile::open(dir.path()).await.expect("open");
        let report = larder.import_file("a", &file).await.expect("import");
        let id = report.ids[0].clone();
        let key = larder
            .documents()
            .with_doc(&id, |doc| {
                use automerge::ReadDoc;
                doc.get(automerge::ROOT, "import_key")
                    .ok()
                    .flatten()
                    .map(|(v, _)| v.to_string())
            })
            .await
            .expect("doc")
            .flatten();
        assert_eq!(key.as_deref(), Some("\"paprika:uid-1\""));
        larder.close().await.expect("close");
        larder_core::Store::open(&profile::database_path(dir.path()))
            .expect("store")
            .get_recipe(&id)
            .expect("read")
            .expect("row")
    };
    // A view row that lost its key (as on a device that only has the synced document, before
    // it materialised it) is rebuilt from the document on open, key included.
    {
        let store = larder_core::Store::open(&profile::database_path(dir.path())).expect("store");
        let mut keyless = made.clone();
        keyless.import_key = None;
        store.write_recipe_view(&keyless, "0000").expect("write");
    }
    let larder = profile::open(dir.path()).await.expect("reopen");
    let again = larder.import_file("a", &file).await.expect("again");
    assert_eq!((again.ids.len(), again.already_present), (0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warnings_are_grouped_by_kind_with_a_few_examples() {
    let (_dir, larder) = open().await;
    let recipes: Vec<Value> = (0..7)
        .map(|i| {
            let mut r = paprika(&format!("u{i}"), &format!("Bare {i}"));
            r["directions"] = json!("");
            if i < 2 {
                r["prep_time"] = json!("a while");
            }
            r
        })
        .collect();
    let report = larder
        .import_file("a", &paprika_export(&recipes))
        .await
        .expect("import");
    assert_eq!(report.ids.len(), 7);
    assert_eq!(report.warnings.len(), 2, "{:?}", report.warnings);
    let none = group(&report, "no_instructions");
    assert_eq!(none.count, 7);
    assert_eq!(none.summary, "7 recipes had no instructions");
    assert_eq!(none.examples, ["Bare 0", "Bare 1", "Bare 2"]);
    let times = group(&report, "unreadable_time");
    assert_eq!(times.count, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_gzip_member_skips_only_its_recipe() {
    let (_dir, larder) = open().await;
    let good = gzip(paprika("u1", "Good").to_string().as_bytes());
    let mut broken = gzip(paprika("u2", "Broken").to_string().as_bytes());
    let middle = broken.len() / 2;
    broken[middle..].fill(0x55);
    let not_json = gzip(b"this is not json");
    let file = zip_of(&[
        ("Good.paprikarecipe", &good),
        ("Broken.paprikarecipe", &broken),
        ("Odd.paprikarecipe", &not_json),
    ]);
    let report = larder.import_file("a", &file).await.expect("import");
    assert_eq!(report.ids.len(), 1);
    let skipped: Vec<&str> = report.skipped.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(skipped, ["Broken", "Odd"]);
    assert!(
        report.skipped[0].reason.contains("gzip"),
        "{:?}",
        report.skipped
    );
    assert!(report.skipped[1].reason.contains("not a Paprika recipe"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_that_is_not_an_image_is_left_out_and_the_recipe_kept() {
    let (_dir, larder) = open().await;
    let mut recipe = paprika("u1", "Loaf");
    recipe["photo_data"] = json!(base64(b"<html>not an image</html>"));
    let report = larder
        .import_file("a", &paprika_export(&[recipe]))
        .await
        .expect("import");
    assert_eq!(report.ids.len(), 1);
    let photos = group(&report, "photo_not_image");
    assert_eq!(
        (photos.count, photos.examples.as_slice()),
        (1, &["Loaf".to_owned()][..])
    );
    assert!(
        larder
            .get_recipe(&report.ids[0])
            .expect("recipe")
            .attachments
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_that_climb_out_of_the_archive_are_ignored_with_a_warning() {
    let (_dir, larder) = open().await;
    let good = gzip(paprika("u1", "Good").to_string().as_bytes());
    let evil = gzip(paprika("u2", "Evil").to_string().as_bytes());
    let file = zip_of(&[
        ("Good.paprikarecipe", &good),
        ("../Evil.paprikarecipe", &evil),
        ("/etc/Evil.paprikarecipe", &evil),
    ]);
    let report = larder.import_file("a", &file).await.expect("import");
    assert_eq!(report.ids.len(), 1);
    let group = group(&report, "unsafe_entry_name");
    assert_eq!(group.count, 2);
    assert_eq!(
        group.examples,
        ["../Evil.paprikarecipe", "/etc/Evil.paprikarecipe"]
    );
}

// ----- broken files: a clear error and nothing created -----

async fn refused(bytes: &[u8]) -> LarderError {
    let (_dir, larder) = open().await;
    let err = larder
        .import_file("file", bytes)
        .await
        .expect_err("must be refused");
    assert_eq!(recipe_count(&larder), 0, "nothing may be created");
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_zip_is_a_clear_error() {
    let file = paprika_export(&[paprika("u1", "A"), paprika("u2", "B")]);
    let err = refused(&file[..file.len() - 30]).await;
    assert!(
        matches!(
            err,
            LarderError::ImportFile(ImportFileError::DamagedArchive(_))
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("damaged or truncated"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_entry_fails_the_whole_file() {
    let recipes: Vec<Value> = (0..3)
        .map(|i| paprika(&format!("u{i}"), &format!("R{i}")))
        .collect();
    let mut file = paprika_export(&recipes);
    // Flip bytes inside the last entry's compressed data: its checksum no longer matches.
    let last = file
        .windows(4)
        .rposition(|w| w == b"PK\x03\x04")
        .expect("a local header");
    let central = file
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .expect("central directory");
    let middle = (last + 30 + "R2.paprikarecipe".len() + central) / 2;
    for byte in &mut file[middle..middle + 4] {
        *byte ^= 0xA5;
    }
    let err = refused(&file).await;
    assert!(
        matches!(
            err,
            LarderError::ImportFile(ImportFileError::DamagedArchive(_))
        ),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zip_bomb_is_refused_by_the_cap_while_reading() {
    // 65 MiB of zeros deflate to ~64 KiB: over the 64 MiB per-entry cap.
    let zeros = vec![0u8; 65 * 1024 * 1024];
    let bomb = zip_of(&[("bomb.json", &zeros)]);
    assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
    let err = refused(&bomb).await;
    assert!(
        matches!(
            err,
            LarderError::ImportFile(ImportFileError::EntryTooLarge { .. })
        ),
        "{err:?}"
    );
}

#[test]
fn the_caps_hold_under_tighter_limits_too() {
    let limits = Limits {
        entries: 3,
        entry_bytes: 4096,
        total_bytes: 10_000,
    };
    let member = |i: usize| {
        gzip(
            paprika(&format!("u{i}"), &format!("R{i}"))
                .to_string()
                .as_bytes(),
        )
    };
    let members: Vec<Vec<u8>> = (0..4).map(member).collect();
    let names: Vec<String> = (0..4).map(|i| format!("R{i}.paprikarecipe")).collect();
    let entries: Vec<(&str, &[u8])> = names
        .iter()
        .zip(&members)
        .map(|(n, m)| (n.as_str(), m.as_slice()))
        .collect();
    // Too many entries.
    let err = import::read_with_limits(&zip_of(&entries), limits).expect_err("entries");
    assert!(
        matches!(err, ImportFileError::TooManyEntries { count: 4, max: 3 }),
        "{err:?}"
    );
    // A gzip member inflating past the entry cap (a bomb inside an entry).
    let inflating = gzip(&vec![b' '; 100_000]);
    let err = import::read_with_limits(&zip_of(&[("x.paprikarecipe", &inflating)]), limits)
        .expect_err("gzip bomb");
    assert!(
        matches!(err, ImportFileError::EntryTooLarge { .. }),
        "{err:?}"
    );
    // Entries each under the cap, together over the total.
    let big = |c: u8| gzip(&vec![c; 3_000]);
    let (a, b, c) = (big(b'a'), big(b'b'), big(b'c'));
    let err = import::read_with_limits(
        &zip_of(&[("a.bin", &a[..]), ("b.bin", &b[..]), ("c.bin", &c[..])]),
        Limits {
            entry_bytes: 5_000,
            total_bytes: 8_000,
            ..limits
        },
    )
    .expect_err("total");
    assert!(matches!(err, ImportFileError::TooLarge { .. }), "{err:?}");
}

#[test]
fn a_header_that_lies_about_the_size_does_not_get_past_the_cap() {
    let limits = Limits {
        entries: 10,
        entry_bytes: 10_000,
        total_bytes: 1_000_000,
    };
    let mut file = zip_of(&[("a.json", &vec![b'x'; 50_000])]);
    // The uncompressed size (offset 22 in the local header, 24 in the central one) says 10.
    file[22..26].copy_from_slice(&10u32.to_le_bytes());
    let central = file
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .expect("central directory");
    file[central + 24..central + 28].copy_from_slice(&10u32.to_le_bytes());
    let err = import::read_with_limits(&file, limits).expect_err("refused");
    assert!(
        matches!(
            err,
            ImportFileError::EntryTooLarge { .. } | ImportFileError::DamagedArchive(_)
        ),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_that_are_no_recipe_format_are_refused() {
    for bytes in [
        &b""[..],
        b"\x00\x01\x02binary",
        b"Just a shopping list\nmilk\neggs\n",
    ] {
        let err = refused(bytes).await;
        assert!(
            matches!(
                err,
                LarderError::ImportFile(ImportFileError::UnknownFormat(_))
            ),
            "{err:?}"
        );
    }
    let err = refused(&zip_of(&[("notes.txt", b"hello")])).await;
    assert!(
        err.to_string().contains("not a Paprika, Mealie, Tandoor"),
        "{err}"
    );
}

// ----- Mealie, Tandoor, Nextcloud -----

fn mealie_recipe(slug: &str, name: &str) -> Value {
    json!({
        "id": format!("7f1c2a3b-0000-4000-8000-{:0>12}", slug.len()),
        "slug": slug,
        "name": name,
        "description": "Weeknight dinner.",
        "recipeYield": "4 servings",
        "recipeServings": 4,
        "totalTime": "45 minutes",
        "prepTime": "15 minutes",
        "performTime": "30 minutes",
        "recipeCategory": [{"id": "c1", "name": "Dinner", "slug": "dinner"}],
        "tags": [{"id": "t1", "name": "Quick", "slug": "quick"}],
        "recipeIngredient": [
            {"quantity": 2.0, "unit": {"name": "tablespoon"}, "food": {"name": "olive oil"}, "note": "", "display": "2 tablespoons olive oil"},
            {"quantity": 0.0, "unit": null, "food": null, "note": "salt to taste", "display": "salt to taste", "originalText": null},
            "1 onion"
        ],
        "recipeInstructions": [
            {"id": "s1", "title": "", "text": "Fry the onion."},
            {"id": "s2", "title": "", "text": "Season and serve."}
        ],
        "notes": [{"title": "Tip", "text": "Use a wide pan."}],
        "orgURL": "https://dinner.example.org/onions",
        "extras": {}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mealie_export_imports_with_its_images() {
    let (_dir, larder) = open().await;
    let onions = mealie_recipe("fried-onions", "Fried onions").to_string();
    let salad = mealie_recipe("green-salad", "Green salad").to_string();
    let file = zip_of(&[
        ("recipes/fried-onions/fried-onions.json", onions.as_bytes()),
        ("recipes/fried-onions/images/min-original.webp", WEBP),
        ("recipes/fried-onions/images/original.webp", WEBP),
        ("recipes/green-salad/green-salad.json", salad.as_bytes()),
    ]);
    let report = larder
        .import_file("export.zip", &file)
        .await
        .expect("import");
    assert_eq!(report.format, "Mealie export");
    assert_eq!(report.ids.len(), 2, "{report:?}");
    let onions = larder.get_recipe(&report.ids[0]).expect("onions");
    assert_eq!(onions.title, "Fried onions");
    assert_eq!(
        (onions.servings, onions.prep_minutes, onions.cook_minutes),
        (Some(4), Some(15), Some(30))
    );
    assert_eq!(onions.tags, ["Dinner", "Quick"]);
    assert_eq!(onions.steps, ["Fry the onion.", "Season and serve."]);
    assert_eq!(onions.notes, "Tip: Use a wide pan.");
    let rows: Vec<(Option<f64>, &str, &str)> = onions
        .ingredients
        .iter()
        .map(|r| (r.quantity, r.unit.as_str(), r.name.as_str()))
        .collect();
    assert_eq!(rows[0], (Some(2.0), "tbsp", "olive oil"), "{rows:?}");
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(onions.attachments.len(), 1);
    assert_eq!(onions.attachments[0].file_name, "original.webp");
    assert!(
        onions
            .import_key
            .as_deref()
            .is_some_and(|k| k.starts_with("mealie:"))
    );
    let again = larder
        .import_file("export.zip", &file)
        .await
        .expect("again");
    assert_eq!(again.already_present, 2);
}

fn tandoor_recipe(name: &str) -> Value {
    json!({
        "name": name,
        "description": "A slow braise.",
        "keywords": [{"name": "Stew", "description": ""}, {"name": "Winter", "description": ""}],
        "steps": [
            {
                "name": "",
                "instruction": "Brown the beef.\nAdd the wine.",
                "ingredients": [
                    {"food": {"name": "beef", "plural_name": null}, "unit": {"name": "g"}, "amount": 800.0, "note": "cubed", "order": 0, "is_header": false, "no_amount": false},
                    {"food": {"name": "For the pot"}, "unit": null, "amount": 0, "note": "", "order": 1, "is_header": true, "no_amount": true},
                    {"food": {"name": "red wine"}, "unit": {"name": "ml"}, "amount": 250.0, "note": "", "order": 2, "is_header": false, "no_amount": false},
                    {"food": {"name": "salt"}, "unit": null, "amount": 0, "note": "", "order": 3, "is_header": false, "no_amount": true}
                ],
                "time": 0, "order": 0, "show_as_header": false
            },
            {"name": "", "instruction": "Simmer for two hours.", "ingredients": [], "time": 120, "order": 1, "show_as_header": false}
        ],
        "working_time": 20,
        "waiting_time": 120,
        "internal": true,
        "nutrition": null,
        "servings": 6,
        "servings_text": "bowls",
        "source_url": "https://stew.example.org/beef"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tandoor_export_is_a_zip_of_zips() {
    let (_dir, larder) = open().await;
    let stew = zip_of(&[
        (
            "recipe.json",
            tandoor_recipe("Beef stew").to_string().as_bytes(),
        ),
        ("image.jpg", JPEG),
    ]);
    let soup = zip_of(&[(
        "recipe.json",
        tandoor_recipe("Beef soup").to_string().as_bytes(),
    )]);
    let file = zip_of(&[("1.zip", &stew), ("2.zip", &soup)]);
    let report = larder
        .import_file("tandoor.txt", &file)
        .await
        .expect("import");
    assert_eq!(report.format, "Tandoor export");
    assert_eq!(report.ids.len(), 2, "{report:?}");
    let stew = larder.get_recipe(&report.ids[0]).expect("stew");
    assert_eq!(stew.title, "Beef stew");
    assert_eq!(
        stew.steps,
        ["Brown the beef.", "Add the wine.", "Simmer for two hours."]
    );
    let rows: Vec<(Option<f64>, &str, &str, &str)> = stew
        .ingredients
        .iter()
        .map(|r| {
            (
                r.quantity,
                r.unit.as_str(),
                r.name.as_str(),
                r.note.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (Some(800.0), "g", "beef", "cubed"),
            (Some(250.0), "ml", "red wine", ""),
            (None, "", "salt", "")
        ]
    );
    assert_eq!(
        (stew.prep_minutes, stew.cook_minutes, stew.total_minutes),
        (Some(20), Some(120), Some(140))
    );
    assert_eq!(stew.servings, Some(6));
    assert_eq!(stew.tags, ["Stew", "Winter"]);
    assert_eq!(stew.attachments.len(), 1);
    assert_eq!(stew.attachments[0].media_type, "image/jpeg");
    let again = larder.import_file("t", &file).await.expect("again");
    assert_eq!((again.ids.len(), again.already_present), (0, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nextcloud_cookbook_export_is_folders_of_schema_org() {
    let (_dir, larder) = open().await;
    let recipe = json!({
        "@context": "http://schema.org",
        "@type": "Recipe",
        "id": "1234",
        "name": "Lemon curd",
        "recipeYield": 2,
        "prepTime": "PT10M",
        "cookTime": "PT15M",
        "recipeCategory": "Preserves",
        "keywords": "lemon,spread",
        "recipeIngredient": ["3 lemons", "100 g sugar", "2 eggs"],
        "recipeInstructions": ["Zest and juice the lemons.", "Whisk everything over a low heat."],
        "url": "https://curd.example.org/",
        "image": "https://curd.example.org/full.jpg"
    });
    let file = zip_of(&[
        ("Lemon curd/recipe.json", recipe.to_string().as_bytes()),
        ("Lemon curd/full.jpg", JPEG),
        ("Lemon curd/thumb.jpg", JPEG),
    ]);
    let report = larder
        .import_file("cookbook.zip", &file)
        .await
        .expect("import");
    assert_eq!(report.format, "Nextcloud Cookbook export");
    assert_eq!(report.ids.len(), 1);
    let curd = larder.get_recipe(&report.ids[0]).expect("curd");
    assert_eq!(curd.title, "Lemon curd");
    assert_eq!(curd.ingredients.len(), 3);
    assert_eq!(curd.attachments.len(), 1);
    assert_eq!(curd.attachments[0].file_name, "full.jpg");
    assert_eq!(
        curd.import_key.as_deref(),
        Some("nextcloud:1234#lemon curd")
    );
}

// ----- JSON-LD, text, Markdown -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipesage_json_ld_export_imports() {
    let (_dir, larder) = open().await;
    let report = larder
        .import_file("recipesage-export.txt", &fixture("recipesage.json"))
        .await
        .expect("import");
    assert_eq!(report.format, "schema.org JSON-LD");
    assert_eq!(report.ids.len(), 2);
    let soup = larder.get_recipe(&report.ids[0]).expect("soup");
    assert_eq!(soup.title, "Tomato Soup");
    assert_eq!(soup.ingredients.len(), 4);
    assert_eq!(soup.steps.len(), 3);
    assert_eq!(soup.tags, ["Soup", "Vegetarian"]);
    assert_eq!(soup.total_minutes, Some(35));
    assert_eq!(soup.source_url, "https://recipes.example.org/tomato-soup");
    // "10 minutes" is not ISO-8601: grouped, not fatal.
    assert_eq!(group(&report, "unreadable_time").examples, ["Tomato Soup"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_markdown_recipe_imports_by_its_headings() {
    let (_dir, larder) = open().await;
    // Named .html: the content is Markdown all the same.
    let report = larder
        .import_file("pancakes.html", &fixture("pancakes.md"))
        .await
        .expect("import");
    assert_eq!(report.format, "Markdown recipe");
    let recipe = larder.get_recipe(&report.ids[0]).expect("recipe");
    assert_eq!(recipe.title, "Buttermilk Pancakes");
    assert_eq!(recipe.description, "Fluffy, quick, and good for a crowd.");
    let names: Vec<&str> = recipe.ingredients.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["flour", "baking powder", "eggs", "buttermilk", "butter"]
    );
    assert_eq!(
        recipe.steps,
        [
            "Whisk the dry ingredients.",
            "Beat in the eggs and buttermilk until smooth.",
            "Cook ladlefuls in a buttered pan."
        ]
    );
    assert_eq!(recipe.notes, "The batter keeps overnight in the fridge.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_text_recipe_imports_with_paragraph_steps() {
    let (_dir, larder) = open().await;
    let report = larder
        .import_file("soup.json", &fixture("soup.txt"))
        .await
        .expect("import");
    assert_eq!(report.format, "text recipe");
    let recipe = larder.get_recipe(&report.ids[0]).expect("recipe");
    assert_eq!(recipe.title, "Leek and Potato Soup");
    assert_eq!(recipe.ingredients.len(), 3);
    assert_eq!(
        recipe.steps,
        [
            "Sweat the leeks gently for ten minutes.",
            "Add the potatoes and stock and simmer until tender.",
            "Blend half and stir back in."
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_recipe_is_skipped_with_its_reason() {
    let (_dir, larder) = open().await;
    let mut long = paprika("u1", &"x".repeat(300));
    long["name"] = json!("y".repeat(300));
    let report = larder
        .import_file("a", &paprika_export(&[long, paprika("u2", "Fine")]))
        .await
        .expect("import");
    assert_eq!(report.ids.len(), 1);
    assert_eq!(report.skipped.len(), 1);
    assert!(
        report.skipped[0].reason.contains("title"),
        "{:?}",
        report.skipped
    );
}
