//! Import by address on the device's side: a page the relay fetched becomes local recipes with
//! the image attached, bad images are left out with a warning, and an address kept offline
//! becomes a recipe holding the link.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use larder_core::page_import::{PageImage, PageImport, recipes_from_html};
use larder_core::rpc::{Request, Response, RpcErrorCode, dispatch};
use larder_core::{LarderError, profile};

const PAGE: &str = r#"<html><head><link rel="canonical" href="https://example.org/tart"></head>
<body><div itemscope itemtype="https://schema.org/Recipe">
  <h1 itemprop="name">Lemon tart</h1>
  <img itemprop="image" src="https://example.org/tart.png">
  <ul><li itemprop="recipeIngredient">3 lemons</li><li itemprop="recipeIngredient">100 g sugar</li></ul>
  <div itemprop="recipeInstructions"><p>Zest the lemons.</p><p>Bake 25 minutes.</p></div>
</div></body></html>"#;

/// A PNG's first bytes and a little more: enough for the type check and a byte comparison.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR not really pixels";

fn fetched(image: Option<&[u8]>) -> PageImport {
    let mut recipes = recipes_from_html(PAGE).expect("page has a recipe");
    if let Some(bytes) = image {
        recipes[0].image = Some(PageImage {
            url: "https://example.org/tart.png".into(),
            file_name: "tart.png".into(),
            media_type: "image/png".into(),
            bytes_base64: BASE64.encode(bytes),
        });
    }
    PageImport {
        page_url: "https://example.org/tart".into(),
        recipes,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetched_page_becomes_a_local_recipe_with_its_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let larder = profile::open(dir.path()).await.expect("open");
    let report = larder
        .import_page(&fetched(Some(PNG)))
        .await
        .expect("import");
    assert_eq!(report.ids.len(), 1);
    let recipe = larder.get_recipe(&report.ids[0]).expect("recipe");
    assert_eq!(recipe.title, "Lemon tart");
    assert_eq!(recipe.source_url, "https://example.org/tart");
    assert_eq!(recipe.steps, ["Zest the lemons.", "Bake 25 minutes."]);
    let rows: Vec<_> = recipe
        .ingredients
        .iter()
        .map(|r| (r.quantity, r.unit.as_str(), r.name.as_str()))
        .collect();
    assert_eq!(
        rows,
        [(Some(3.0), "", "lemons"), (Some(100.0), "g", "sugar")]
    );
    assert_eq!(recipe.attachments.len(), 1);
    assert_eq!(recipe.attachments[0].media_type, "image/png");
    let (_, bytes) = larder
        .attachment_by_name(&recipe.id, "tart.png")
        .expect("attachment");
    assert_eq!(bytes, PNG);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_that_is_not_one_is_left_out_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let larder = profile::open(dir.path()).await.expect("open");
    let report = larder
        .import_page(&fetched(Some(b"<html>not an image</html>")))
        .await
        .expect("import");
    assert_eq!(report.ids.len(), 1);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.kind == "photo_not_image" && w.examples == ["Lemon tart"]),
        "{:?}",
        report.warnings
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
async fn a_link_kept_offline_is_a_recipe_with_the_address() {
    let dir = tempfile::tempdir().expect("tempdir");
    let larder = profile::open(dir.path()).await.expect("open");
    let recipe = larder
        .save_link("https://www.example.org/recipes/lemon-tart/")
        .await
        .expect("saved");
    assert_eq!(recipe.title, "Lemon tart (example.org)");
    assert_eq!(
        recipe.source_url,
        "https://www.example.org/recipes/lemon-tart/"
    );
    assert_eq!(larder.search("lemon", 10, 0).expect("search").len(), 1);

    assert!(matches!(
        larder.save_link("file:///etc/passwd").await,
        Err(LarderError::BadAddress(_))
    ));
    assert_eq!(
        larder.search("", 10, 0).expect("search").len(),
        1,
        "nothing else made"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rpc_imports_pages_and_leaves_fetching_to_the_shell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let larder = profile::open(dir.path()).await.expect("open");
    let answer = dispatch(
        &larder,
        Request::ImportPage {
            page: fetched(None),
        },
    )
    .await
    .expect("imported");
    let Response::Import(report) = answer else {
        panic!("unexpected answer {answer:?}");
    };
    assert_eq!(report.ids.len(), 1);
    let err = dispatch(
        &larder,
        Request::ImportUrl {
            url: "https://example.org/tart".into(),
        },
    )
    .await
    .expect_err("the engine does not fetch");
    assert_eq!(err.code, RpcErrorCode::Unsupported);
    let err = dispatch(&larder, Request::SaveLink { url: "nope".into() })
        .await
        .expect_err("not an address");
    assert_eq!(err.code, RpcErrorCode::Invalid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_the_same_page_again_makes_no_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let larder = profile::open(dir.path()).await.expect("open");
    let first = larder.import_page(&fetched(None)).await.expect("first");
    assert_eq!((first.ids.len(), first.already_present), (1, 0));
    assert_eq!(first.format, "web page");
    let again = larder.import_page(&fetched(None)).await.expect("again");
    assert_eq!((again.ids.len(), again.already_present), (0, 1));
    assert_eq!(larder.search("", 10, 0).expect("search").len(), 1);
}
