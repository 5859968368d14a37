//! Export all → import on real profiles: a fresh profile gets identical recipes (every field,
//! ingredient rows as rows) and identical attachments (bytes and names); importing the export
//! again, or into the profile it came from, makes nothing; a damaged export makes nothing; an
//! attachment whose bytes were tampered with is left out with a warning, the recipe kept.

use std::io::Cursor;

use larder_core::archive::write::ArchiveWriter;
use larder_core::archive::{LARDER_RECIPE_KEY, MANIFEST};
use larder_core::docstore::SamodStore;
use larder_core::model::{Attachment, IngredientInput, RecipeDraft};
use larder_core::{Larder, profile};

const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0 a photo of soup";
const PDF: &[u8] = b"%PDF-1.7 the card from grandma";

async fn open() -> (tempfile::TempDir, Larder<SamodStore>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let larder = profile::open(dir.path()).await.expect("open");
    (dir, larder)
}

fn row(
    quantity: Option<f64>,
    max: Option<f64>,
    unit: &str,
    name: &str,
    note: &str,
) -> IngredientInput {
    IngredientInput {
        id: None,
        quantity,
        quantity_max: max,
        unit: unit.into(),
        name: name.into(),
        note: note.into(),
    }
}

fn soup() -> RecipeDraft {
    RecipeDraft {
        title: "Grandma's barley soup".into(),
        description: "Thick, for winter.".into(),
        servings: Some(6),
        yield_text: "2 litres".into(),
        prep_minutes: Some(15),
        cook_minutes: Some(70),
        total_minutes: Some(85),
        tags: vec!["soup".into(), "winter".into()],
        source_url: "https://example.org/barley".into(),
        // Rows a text round trip could blur: a range, an odd unit, a note, no quantity.
        ingredients: vec![
            row(Some(2.5), None, "cup", "pearl barley", "rinsed"),
            row(Some(2.0), Some(3.0), "clove", "garlic", ""),
            row(Some(1.0), None, "", "bay leaf", ""),
            row(None, None, "", "salt", "to taste"),
        ],
        steps: vec![
            "Soak the barley.".into(),
            "Simmer 70 minutes.\nStir now and then.".into(),
        ],
        notes: "Freezes well.\n\nHalve the salt for children.".into(),
    }
}

fn tart() -> RecipeDraft {
    RecipeDraft {
        title: "Lemon tart".into(),
        ingredients: vec![row(Some(3.0), None, "", "lemons", "")],
        steps: vec!["Bake.".into()],
        ..RecipeDraft::default()
    }
}

/// Every live recipe as (draft without row ids, attachments), by title.
fn contents(larder: &Larder<SamodStore>) -> Vec<(RecipeDraft, Vec<Attachment>)> {
    let mut all: Vec<_> = larder
        .search("", 1000, 0)
        .expect("search")
        .into_iter()
        .map(|hit| {
            let recipe = larder.get_recipe(&hit.id).expect("recipe");
            let mut draft = recipe.to_draft();
            for row in &mut draft.ingredients {
                row.id = None;
            }
            let mut attachments = recipe.attachments.clone();
            attachments.sort_by(|a, b| a.file_name.cmp(&b.file_name));
            (draft, attachments)
        })
        .collect();
    all.sort_by(|a, b| a.0.title.cmp(&b.0.title));
    all
}

async fn library() -> (tempfile::TempDir, Larder<SamodStore>) {
    let (dir, larder) = open().await;
    let soup = larder.create_recipe(&soup()).await.unwrap();
    let tart = larder.create_recipe(&tart()).await.unwrap();
    let gone = larder
        .create_recipe(&RecipeDraft {
            title: "Deleted pie".into(),
            ..RecipeDraft::default()
        })
        .await
        .unwrap();
    larder
        .attach_file(&soup.id, "soup.jpg", "image/jpeg", JPEG)
        .await
        .unwrap();
    larder
        .attach_file(&soup.id, "card.pdf", "application/pdf", PDF)
        .await
        .unwrap();
    // The same photo on a second recipe, under another name: stored once in the export.
    larder
        .attach_file(&tart.id, "same-photo.jpg", "image/jpeg", JPEG)
        .await
        .unwrap();
    larder.delete_recipe(&gone.id).await.unwrap();
    (dir, larder)
}

fn export(larder: &Larder<SamodStore>) -> Vec<u8> {
    let (out, summary) = larder
        .export_archive(Cursor::new(Vec::new()))
        .expect("export");
    assert_eq!(
        (
            summary.recipes,
            summary.attachments,
            summary.missing_attachments
        ),
        (2, 3, 0)
    );
    out.into_inner()
}

#[tokio::test]
async fn an_export_imported_into_a_fresh_profile_gives_identical_recipes_and_attachments() {
    let (_a, original) = library().await;
    let zip = export(&original);

    let (_b, fresh) = open().await;
    let report = fresh
        .import_file("anything.bin", &zip)
        .await
        .expect("import");
    assert_eq!(report.format, "Larder export");
    assert_eq!(report.ids.len(), 2, "{report:?}");
    assert!(
        report.skipped.is_empty() && report.warnings.is_empty(),
        "{report:?}"
    );
    assert_eq!(contents(&fresh), contents(&original));
    assert!(
        contents(&fresh)
            .iter()
            .all(|(d, _)| d.title != "Deleted pie")
    );
    for (_, attachments) in contents(&fresh) {
        for a in attachments {
            let expected = if a.media_type == "application/pdf" {
                PDF
            } else {
                JPEG
            };
            assert_eq!(fresh.attachment_bytes(&a.sha256).unwrap(), expected);
        }
    }

    // Again into the same fresh profile, and into the profile it came from: nothing new.
    let again = fresh.import_file("again.zip", &zip).await.unwrap();
    assert_eq!((again.ids.len(), again.already_present), (0, 2));
    let home = original.import_file("home.zip", &zip).await.unwrap();
    assert_eq!((home.ids.len(), home.already_present), (0, 2));
    assert_eq!(contents(&original).len(), 2);
}

#[tokio::test]
async fn every_recipe_file_is_schema_org_json_ld_with_the_exact_copy_beside_it() {
    let (_a, original) = library().await;
    let zip = export(&original);
    let mut archive = zip::ZipArchive::new(Cursor::new(&zip)).unwrap();
    let names: Vec<String> = archive
        .file_names()
        .map(|name| name.expect("entry name").into_owned())
        .collect();
    assert!(names.contains(&MANIFEST.to_owned()), "{names:?}");
    let blobs = names
        .iter()
        .filter(|n| n.starts_with("attachments/"))
        .count();
    assert_eq!(blobs, 2, "the shared photo is stored once: {names:?}");
    let recipe_files: Vec<&String> = names.iter().filter(|n| n.starts_with("recipes/")).collect();
    assert_eq!(recipe_files.len(), 2);
    for name in recipe_files {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut archive.by_name(name).unwrap(), &mut text).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["@type"], "Recipe");
        assert!(value["recipeIngredient"].is_array());
        assert!(value[LARDER_RECIPE_KEY]["ingredients"].is_array());
    }
}

#[tokio::test]
async fn a_damaged_export_creates_nothing() {
    let (_a, original) = library().await;
    let zip = export(&original);
    let (_b, fresh) = open().await;
    let truncated = &zip[..zip.len() / 2];
    assert!(fresh.import_file("cut.zip", truncated).await.is_err());
    assert!(contents(&fresh).is_empty());

    // A manifest from a newer Larder is refused, not half-read.
    let mut rebuilt = zip::ZipWriter::new(Cursor::new(Vec::new()));
    rebuilt
        .start_file(MANIFEST, zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(
        &mut rebuilt,
        br#"{"format":"larder-export","version":9,"exported_at":0,"recipes":[]}"#,
    )
    .unwrap();
    let newer = rebuilt.finish().unwrap().into_inner();
    let err = fresh.import_file("newer.zip", &newer).await.unwrap_err();
    assert!(err.to_string().contains("version 9"), "{err}");
    assert!(contents(&fresh).is_empty());
}

#[tokio::test]
async fn an_attachment_whose_bytes_do_not_match_is_left_out_and_the_recipe_kept() {
    let (_a, original) = library().await;
    let soup = original.search("barley", 10, 0).unwrap()[0].id.clone();
    let recipe = original.get_recipe(&soup).unwrap();
    let mut writer = ArchiveWriter::new(Cursor::new(Vec::new()), 0);
    let json_ld = {
        let mut value = original.export_json_ld(&soup).unwrap();
        value[LARDER_RECIPE_KEY] = serde_json::to_value(recipe.to_draft()).unwrap();
        value
    };
    writer.add_recipe(&soup, None, &json_ld).unwrap();
    let photo = recipe
        .attachments
        .iter()
        .find(|a| a.file_name == "soup.jpg")
        .unwrap();
    writer
        .add_attachment(photo, Some(b"\xFF\xD8\xFF tampered"))
        .unwrap();
    let zip = writer.finish().unwrap().into_inner();

    let (_b, fresh) = open().await;
    let report = fresh.import_file("tampered.zip", &zip).await.unwrap();
    assert_eq!(report.ids.len(), 1);
    let imported = fresh.get_recipe(&report.ids[0]).unwrap();
    assert_eq!(imported.title, "Grandma's barley soup");
    assert!(imported.attachments.is_empty());
    let summaries: Vec<&str> = report.warnings.iter().map(|w| w.summary.as_str()).collect();
    assert!(
        summaries.iter().any(|s| s.contains("SHA-256")),
        "{summaries:?}"
    );
}
