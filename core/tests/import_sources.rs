//! Where imports read from: a Nextcloud Cookbook folder on disk (photos read from their files,
//! symbolic links never followed), the same folder's files handed over through `rpc` (a
//! browser's folder picker), an export file read from disk entry by entry, a plain file read
//! whole; and the progress events a long import sends.

use std::io::Write;
use std::path::Path;

use base64::Engine as _;
use futures_util::StreamExt;
use larder_core::api::{ChangeEvent, ImportStage};
use larder_core::import::ImportSource;
use larder_core::rpc::{self, Request, Response};
use larder_core::{Larder, profile};
use serde_json::json;
use zip::write::SimpleFileOptions;

const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0 not really pixels";

async fn open() -> (tempfile::TempDir, Larder<larder_core::docstore::SamodStore>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let larder = profile::open(dir.path()).await.expect("open");
    (dir, larder)
}

fn nextcloud_recipe(id: u32, name: &str) -> String {
    json!({
        "@context": "http://schema.org",
        "@type": "Recipe",
        "id": id.to_string(),
        "name": name,
        "recipeIngredient": ["3 lemons", "100 g sugar"],
        "recipeInstructions": ["Zest.", "Whisk."],
    })
    .to_string()
}

/// A Nextcloud Cookbook folder: one folder per recipe with `recipe.json`, `full.jpg` and a
/// thumbnail.
fn write_cookbook(root: &Path, names: &[&str]) {
    for (i, name) in names.iter().enumerate() {
        let folder = root.join(name);
        std::fs::create_dir_all(&folder).expect("folder");
        let id = u32::try_from(i).expect("few") + 1;
        std::fs::write(folder.join("recipe.json"), nextcloud_recipe(id, name)).expect("json");
        std::fs::write(folder.join("full.jpg"), JPEG).expect("photo");
        std::fs::write(folder.join("thumb.jpg"), JPEG).expect("thumb");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nextcloud_cookbook_folder_on_disk_imports_with_photos_and_again_makes_nothing() {
    let (_dir, larder) = open().await;
    let cookbook = tempfile::tempdir().expect("cookbook");
    write_cookbook(cookbook.path(), &["Lemon curd", "Orange marmalade"]);
    let report = larder
        .import_from(ImportSource::Path(cookbook.path()))
        .await
        .expect("import");
    assert_eq!(report.format, "Nextcloud Cookbook export");
    assert_eq!(report.ids.len(), 2);
    for id in &report.ids {
        let recipe = larder.get_recipe(id).expect("recipe");
        assert_eq!(recipe.ingredients.len(), 2);
        assert_eq!(recipe.attachments.len(), 1, "{}", recipe.title);
        assert_eq!(recipe.attachments[0].file_name, "full.jpg");
        let bytes = larder
            .attachment_bytes(&recipe.attachments[0].sha256)
            .expect("photo bytes");
        assert_eq!(bytes, JPEG);
    }
    let again = larder
        .import_from(ImportSource::Path(cookbook.path()))
        .await
        .expect("again");
    assert_eq!((again.ids.len(), again.already_present), (0, 2));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symbolic_link_in_a_folder_is_never_followed() {
    let (_dir, larder) = open().await;
    let cookbook = tempfile::tempdir().expect("cookbook");
    write_cookbook(cookbook.path(), &["Lemon curd"]);
    let secret = tempfile::NamedTempFile::new().expect("outside file");
    std::fs::write(secret.path(), b"\xFF\xD8\xFF outside the folder").expect("secret");
    let photo = cookbook.path().join("Lemon curd/full.jpg");
    std::fs::remove_file(&photo).expect("rm");
    std::os::unix::fs::symlink(secret.path(), &photo).expect("link");
    let report = larder
        .import_from(ImportSource::Path(cookbook.path()))
        .await
        .expect("import");
    let curd = larder.get_recipe(&report.ids[0]).expect("curd");
    assert!(curd.attachments.is_empty(), "the link was not read");
    let unsafe_names = report
        .warnings
        .iter()
        .find(|g| g.kind == "unsafe_entry_name")
        .unwrap_or_else(|| panic!("no unsafe-name warning in {:?}", report.warnings));
    assert_eq!(unsafe_names.count, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_handed_over_file_by_file_imports_like_the_folder_on_disk() {
    let (_dir, larder) = open().await;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let request: Request = serde_json::from_value(json!({
        "op": "import_folder",
        "files": [
            {"path": "Cookbook/Lemon curd/recipe.json", "bytes_base64": b64(nextcloud_recipe(7, "Lemon curd").as_bytes())},
            {"path": "Cookbook/Lemon curd/full.jpg", "bytes_base64": b64(JPEG)},
            {"path": "../escape/recipe.json", "bytes_base64": b64(b"{}")},
        ]
    }))
    .expect("request");
    let Response::Import(report) = rpc::dispatch(&larder, request).await.expect("import") else {
        panic!("not an import report");
    };
    assert_eq!(report.format, "Nextcloud Cookbook export");
    assert_eq!(report.ids.len(), 1);
    let curd = larder.get_recipe(&report.ids[0]).expect("curd");
    assert_eq!(curd.attachments.len(), 1);
    assert!(
        report
            .warnings
            .iter()
            .any(|g| g.kind == "unsafe_entry_name")
    );

    let bad: Request = serde_json::from_value(json!({
        "op": "import_folder",
        "files": [{"path": "x/recipe.json", "bytes_base64": "not base64!"}]
    }))
    .expect("request");
    let err = rpc::dispatch(&larder, bad).await.expect_err("bad base64");
    assert_eq!(err.code, rpc::RpcErrorCode::BadRequest);
}

fn zip_file(path: &Path, entries: &[(String, Vec<u8>)]) {
    let file = std::fs::File::create(path).expect("zip file");
    let mut writer = zip::ZipWriter::new(file);
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        writer.start_file(name.as_str(), options).expect("entry");
        writer.write_all(bytes).expect("write");
    }
    writer.finish().expect("finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_on_disk_is_read_entry_by_entry_and_a_long_one_reports_progress() {
    let (_dir, larder) = open().await;
    let files = tempfile::tempdir().expect("files");
    let names: Vec<String> = (0..30).map(|i| format!("Jam {i:02}")).collect();
    let mut entries = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let id = u32::try_from(i).expect("few") + 1;
        entries.push((
            format!("{name}/recipe.json"),
            nextcloud_recipe(id, name).into_bytes(),
        ));
        entries.push((format!("{name}/full.jpg"), JPEG.to_vec()));
    }
    let export = files.path().join("cookbook.zip");
    zip_file(&export, &entries);

    let mut events = larder.subscribe();
    let report = larder
        .import_from(ImportSource::Path(&export))
        .await
        .expect("import");
    assert_eq!(report.ids.len(), 30);
    let mut progress = Vec::new();
    while let Some(Some(event)) = futures_util::FutureExt::now_or_never(events.next()) {
        if let ChangeEvent::ImportProgress { stage, done, total } = event {
            progress.push((stage, done, total));
        }
    }
    let photos: Vec<u32> = progress
        .iter()
        .filter(|(stage, _, total)| *stage == ImportStage::Photos && *total == 30)
        .map(|(_, done, _)| *done)
        .collect();
    assert_eq!(photos.first(), Some(&0), "{progress:?}");
    assert_eq!(photos.last(), Some(&30), "{progress:?}");
    assert!(
        photos.windows(2).all(|w| w[0] < w[1]),
        "moves forward: {photos:?}"
    );
    assert!(
        progress.contains(&(ImportStage::Recipes, 30, 30)),
        "{progress:?}"
    );

    // A JSON-LD file on disk is read whole, as its bytes would be.
    let json_file = files.path().join("soup.json");
    std::fs::write(
        &json_file,
        json!({"@type": "Recipe", "name": "Soup", "recipeIngredient": ["1 leek"]}).to_string(),
    )
    .expect("json");
    let report = larder
        .import_from(ImportSource::Path(&json_file))
        .await
        .expect("json import");
    assert_eq!(report.ids.len(), 1);
    let missing = larder
        .import_from(ImportSource::Path(&files.path().join("nope.zip")))
        .await
        .expect_err("no such file");
    assert!(missing.to_string().contains("nope.zip"), "{missing}");
}
