//! The API over JSON, as a transport sees it: requests in, typed replies and errors out.

use std::sync::Arc;

use super::*;
use crate::clock::ManualClock;
use crate::docstore::MemoryStore;
use crate::store::Store;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures_util::FutureExt::now_or_never(f).expect("memory store futures complete at once")
}

fn larder() -> Larder<MemoryStore> {
    let store = Arc::new(Store::open_in_memory().expect("store"));
    block_on(Larder::open(
        MemoryStore::new(),
        store,
        Arc::new(ManualClock::new(1_700_000_000_000)),
    ))
    .expect("open")
}

fn call(larder: &Larder<MemoryStore>, json: &str) -> serde_json::Value {
    let reply = block_on(dispatch_json(larder, json));
    serde_json::from_str(&reply).expect("reply is JSON")
}

#[test]
fn create_then_search_by_ingredient_over_json() {
    let larder = larder();
    let created = call(
        &larder,
        r#"{"op":"create_recipe","draft":{"title":"Pancakes","ingredients":[{"quantity":2,"unit":"","name":"eggs"},{"name":"buttermilk"}]}}"#,
    );
    assert_eq!(created["ok"]["type"], "recipe", "{created}");
    let id = created["ok"]["value"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let found = call(&larder, r#"{"op":"search","query":"buttermilk"}"#);
    assert_eq!(found["ok"]["type"], "summaries", "{found}");
    assert_eq!(found["ok"]["value"][0]["id"], id.as_str());
    let none = call(&larder, r#"{"op":"search","query":"saffron"}"#);
    assert_eq!(none["ok"]["value"], serde_json::json!([]));
}

#[test]
fn an_editor_starts_from_core_s_draft_and_saving_it_unchanged_changes_nothing() {
    let larder = larder();
    let blank = call(&larder, r#"{"op":"recipe_draft"}"#);
    assert_eq!(blank["ok"]["type"], "draft", "{blank}");
    assert_eq!(
        serde_json::from_value::<RecipeDraft>(blank["ok"]["value"].clone()).unwrap(),
        RecipeDraft::default()
    );
    let created = call(
        &larder,
        r#"{"op":"create_recipe","draft":{"title":"Soup","servings":4,"tags":["winter"],"steps":["Chop","Simmer"],"ingredients":[{"quantity":2,"unit":"","name":"leeks"}]}}"#,
    );
    let recipe = created["ok"]["value"].clone();
    let id = recipe["id"].as_str().unwrap();
    let draft = call(&larder, &format!(r#"{{"op":"recipe_draft","id":"{id}"}}"#));
    let value = &draft["ok"]["value"];
    assert_eq!(value["title"], "Soup");
    assert_eq!(value["steps"], serde_json::json!(["Chop", "Simmer"]));
    assert_eq!(
        value["ingredients"][0]["id"],
        recipe["ingredients"][0]["id"]
    );
    let saved = call(
        &larder,
        &serde_json::json!({ "op": "update_recipe", "id": id, "draft": value }).to_string(),
    );
    let mut before = recipe.clone();
    let mut after = saved["ok"]["value"].clone();
    for r in [&mut before, &mut after] {
        r.as_object_mut().unwrap().remove("updated_at");
    }
    assert_eq!(after, before, "saving the draft unchanged changes nothing");
    let missing = call(&larder, r#"{"op":"recipe_draft","id":"nope"}"#);
    assert_eq!(missing["err"]["code"], "not_found", "{missing}");
}

#[test]
fn errors_are_typed_and_readable() {
    let larder = larder();
    let invalid = call(&larder, r#"{"op":"create_recipe","draft":{"title":"  "}}"#);
    assert_eq!(invalid["err"]["code"], "invalid", "{invalid}");
    assert_eq!(
        invalid["err"]["message"],
        "invalid input: the title is empty"
    );
    let missing = call(&larder, r#"{"op":"get_recipe","id":"nope"}"#);
    assert_eq!(missing["err"]["code"], "not_found", "{missing}");
    let garbage = call(&larder, r#"{"op":"launch_rockets"}"#);
    assert_eq!(garbage["err"]["code"], "bad_request", "{garbage}");
    let bad_bytes = call(
        &larder,
        r#"{"op":"import_file","file_name":"a.json","bytes_base64":"***"}"#,
    );
    assert_eq!(bad_bytes["err"]["code"], "bad_request", "{bad_bytes}");
    assert_eq!(
        call(&larder, r#"{"op":"sync_status"}"#)["err"]["code"],
        "unsupported"
    );
    assert_eq!(
        call(&larder, r#"{"op":"keep_screen_on","on":true}"#)["err"]["code"],
        "unsupported"
    );
}

#[test]
fn attachments_round_trip_as_base64() {
    let larder = larder();
    let recipe = block_on(larder.create_recipe(&RecipeDraft {
        title: "Bread".into(),
        ..Default::default()
    }))
    .expect("create");
    let attached = call(
        &larder,
        &format!(
            r#"{{"op":"attach_file","recipe_id":"{}","file_name":"a.txt","media_type":"","bytes_base64":"aGVsbG8="}}"#,
            recipe.id
        ),
    );
    let sha = attached["ok"]["value"]["sha256"].as_str().expect("sha");
    assert_eq!(attached["ok"]["value"]["media_type"], "text/plain");
    let bytes = call(
        &larder,
        &format!(r#"{{"op":"attachment_bytes","sha256":"{sha}"}}"#),
    );
    assert_eq!(bytes["ok"]["value"]["bytes_base64"], "aGVsbG8=");

    let removed = call(
        &larder,
        &format!(
            r#"{{"op":"remove_attachment","recipe_id":"{}","sha256":"{sha}"}}"#,
            recipe.id
        ),
    );
    assert_eq!(removed["ok"]["value"]["attachments"], serde_json::json!([]));
    let again = call(
        &larder,
        &format!(
            r#"{{"op":"remove_attachment","recipe_id":"{}","sha256":"{sha}"}}"#,
            recipe.id
        ),
    );
    assert_eq!(again["err"]["code"], "not_found", "{again}");
}

#[test]
fn delete_then_restore_brings_the_recipe_back_whole() {
    let larder = larder();
    let created = call(
        &larder,
        r#"{"op":"create_recipe","draft":{"title":"Stew","servings":4,"ingredients":[{"quantity":2,"unit":"cup","name":"stock"}]}}"#,
    );
    let id = created["ok"]["value"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let deleted = call(&larder, &format!(r#"{{"op":"delete_recipe","id":"{id}"}}"#));
    assert_eq!(deleted["ok"]["type"], "done", "{deleted}");
    let gone = call(&larder, r#"{"op":"search","query":"stock"}"#);
    assert_eq!(gone["ok"]["value"], serde_json::json!([]));
    let restored = call(
        &larder,
        &format!(r#"{{"op":"restore_recipe","id":"{id}"}}"#),
    );
    assert_eq!(restored["ok"]["value"]["title"], "Stew", "{restored}");
    assert_eq!(restored["ok"]["value"]["deleted"], false);
    let found = call(&larder, r#"{"op":"search","query":"stock"}"#);
    assert_eq!(found["ok"]["value"][0]["id"], id.as_str(), "{found}");
    let again = call(
        &larder,
        &format!(r#"{{"op":"restore_recipe","id":"{id}"}}"#),
    );
    assert_eq!(
        again["err"]["code"], "not_found",
        "a live recipe is not restored: {again}"
    );
}

#[test]
fn ingredient_lines_scale_to_servings() {
    let larder = larder();
    let created = call(
        &larder,
        r#"{"op":"create_recipe","draft":{"title":"Stew","servings":4,"ingredients":[{"quantity":1.5,"unit":"cup","name":"stock"}]}}"#,
    );
    let id = created["ok"]["value"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let own = call(
        &larder,
        &format!(r#"{{"op":"ingredient_lines","recipe_id":"{id}"}}"#),
    );
    assert_eq!(own["ok"]["value"][0]["text"], "1 1/2 cups stock", "{own}");
    let doubled = call(
        &larder,
        &format!(r#"{{"op":"ingredient_lines","recipe_id":"{id}","servings":8}}"#),
    );
    assert_eq!(
        doubled["ok"]["value"][0]["text"], "3 cups stock",
        "{doubled}"
    );
    let bad = call(
        &larder,
        &format!(r#"{{"op":"ingredient_lines","recipe_id":"{id}","servings":0}}"#),
    );
    assert_eq!(bad["err"]["code"], "invalid", "{bad}");
}

#[test]
fn the_cook_view_scales_and_carries_step_timers() {
    let larder = larder();
    let created = call(
        &larder,
        r#"{"op":"create_recipe","draft":{"title":"Pasta","servings":2,"ingredients":[{"quantity":200,"unit":"g","name":"pasta"}],"steps":["Boil 10 to 12 minutes","Drain"]}}"#,
    );
    let id = created["ok"]["value"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let view = call(
        &larder,
        &format!(r#"{{"op":"cook_view","id":"{id}","servings":4}}"#),
    );
    assert_eq!(view["ok"]["type"], "cook_view", "{view}");
    let view = &view["ok"]["value"];
    assert_eq!(view["title"], "Pasta");
    assert_eq!(view["servings"], 2);
    assert_eq!(view["ingredients"][0]["text"], "400 g pasta");
    let timer = &view["steps"][0]["parts"][1];
    assert_eq!(timer["text"], "10 to 12 minutes", "{view}");
    assert_eq!(timer["timer"]["seconds"], 720);
    assert_eq!(timer["timer"]["min_seconds"], 600);
    assert_eq!(
        view["steps"][1]["parts"][0]["timer"],
        serde_json::Value::Null
    );
    let bad = call(
        &larder,
        &format!(r#"{{"op":"cook_view","id":"{id}","servings":-1}}"#),
    );
    assert_eq!(bad["err"]["code"], "invalid", "{bad}");
    let missing = call(&larder, r#"{"op":"cook_view","id":"nope"}"#);
    assert_eq!(missing["err"]["code"], "not_found", "{missing}");
}

#[test]
fn pasted_lines_become_ingredient_rows() {
    let larder = larder();
    let rows = call(
        &larder,
        r#"{"op":"parse_ingredients","text":"2 cups flour, sifted\n\n  \n3 eggs\n"}"#,
    );
    let rows = rows["ok"]["value"].as_array().expect("rows").clone();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["unit"], "cup");
    assert_eq!(rows[0]["name"], "flour");
    assert_eq!(rows[0]["note"], "sifted");
    assert_eq!(rows[1]["quantity"], 3.0);
    let many = serde_json::json!({
        "op": "parse_ingredients",
        "text": "egg\n".repeat(MAX_PASTED_LINES + 1),
    });
    let refused = call(&larder, &many.to_string());
    assert_eq!(refused["err"]["code"], "too_large", "{refused}");
}

#[test]
fn summaries_carry_the_first_image_as_thumbnail() {
    let larder = larder();
    let recipe = block_on(larder.create_recipe(&RecipeDraft {
        title: "Bread".into(),
        ..Default::default()
    }))
    .expect("create");
    block_on(larder.attach_file(&recipe.id, "notes.txt", "text/plain", b"hello"))
        .expect("attach text");
    let image = block_on(larder.attach_file(&recipe.id, "loaf.png", "image/png", b"png"))
        .expect("attach image");
    let found = call(&larder, r#"{"op":"search","query":""}"#);
    assert_eq!(
        found["ok"]["value"][0]["thumbnail"]["sha256"],
        image.sha256.as_str()
    );
}
