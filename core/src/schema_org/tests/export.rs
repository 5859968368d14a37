//! The JSON-LD writer, and recipes round-tripped through export and import.

use pretty_assertions::assert_eq;

use super::*;

fn full_recipe() -> Recipe {
    Recipe {
        id: "r1".into(),
        title: "Winter Lentil Soup & Greens".into(),
        description: "Thick, cheap and filling.\n\nFreezes well.".into(),
        servings: Some(4),
        yield_text: "4 large bowls".into(),
        prep_minutes: Some(15),
        cook_minutes: Some(90),
        total_minutes: Some(105),
        tags: strings(&["soup", "Winter warmer", "vegan"]),
        source_url: "https://example.org/lentil-soup?ref=a&b=c".into(),
        ingredients: vec![],
        steps: strings(&[
            "For the soup:",
            "Soften the onion & carrot, 10 minutes.",
            "Add the lentils and stock; simmer 1 < 2 hours.",
            "For the greens:",
            "Wilt the greens and stir through.",
        ]),
        notes: String::new(),
        attachments: vec![],
        created_at: 1_709_647_629_000,
        updated_at: 1_709_647_629_123,
        import_key: None,
        shared: None,
        deleted: false,
    }
}

#[test]
fn export_shape() {
    let lines = strings(&["200 g red lentils", "  ", " 1 onion "]);
    let exported = export_json_ld(&full_recipe(), &lines);
    assert_eq!(
        exported,
        json!({
            "@context": "https://schema.org",
            "@type": "Recipe",
            "name": "Winter Lentil Soup & Greens",
            "description": "Thick, cheap and filling.\n\nFreezes well.",
            "recipeYield": ["4", "4 large bowls"],
            "prepTime": "PT15M",
            "cookTime": "PT1H30M",
            "totalTime": "PT1H45M",
            "keywords": "soup, Winter warmer, vegan",
            "url": "https://example.org/lentil-soup?ref=a&b=c",
            "recipeIngredient": ["200 g red lentils", "1 onion"],
            "recipeInstructions": [
                {"@type": "HowToStep", "text": "For the soup:"},
                {"@type": "HowToStep", "text": "Soften the onion & carrot, 10 minutes."},
                {"@type": "HowToStep", "text": "Add the lentils and stock; simmer 1 < 2 hours."},
                {"@type": "HowToStep", "text": "For the greens:"},
                {"@type": "HowToStep", "text": "Wilt the greens and stir through."},
            ],
            "dateCreated": "2024-03-05T14:07:09Z",
            "dateModified": "2024-03-05T14:07:09.123Z",
        })
    );
}

#[test]
fn export_omits_empty_fields() {
    let recipe = Recipe {
        title: "Bare".into(),
        servings: None,
        yield_text: String::new(),
        prep_minutes: None,
        cook_minutes: None,
        total_minutes: None,
        description: " ".into(),
        tags: strings(&["", " "]),
        source_url: String::new(),
        steps: strings(&["", "  "]),
        created_at: 0,
        updated_at: 0,
        ..full_recipe()
    };
    assert_eq!(
        export_json_ld(&recipe, &[]),
        json!({"@context": "https://schema.org", "@type": "Recipe", "name": "Bare"})
    );
}

fn assert_round_trip(recipe: &Recipe, lines: &[String]) {
    let exported = export_json_ld(recipe, lines);
    let text = serde_json::to_string_pretty(&exported).expect("serializes");
    let imported = only(import_json(&text));
    let mut expected = recipe.to_draft();
    expected.ingredients.clear();
    expected.notes.clear();
    assert_eq!(imported.draft, expected);
    assert_eq!(imported.ingredient_lines, lines);
    assert!(imported.image_urls.is_empty());
}

#[test]
fn round_trip() {
    let lines = strings(&["200 g red lentils", "1 onion, diced", "1 l stock"]);
    let full = full_recipe();
    assert_round_trip(&full, &lines);
    // Servings without yield text, yield text without servings, times partly missing.
    assert_round_trip(
        &Recipe {
            servings: Some(2),
            yield_text: String::new(),
            prep_minutes: None,
            cook_minutes: Some(1441),
            total_minutes: None,
            ..full.clone()
        },
        &lines,
    );
    assert_round_trip(
        &Recipe {
            servings: None,
            yield_text: "one tray".into(),
            prep_minutes: Some(0),
            cook_minutes: None,
            total_minutes: Some(30),
            tags: vec![],
            ..full.clone()
        },
        &lines,
    );
    // Exported times survive, also when total differs from prep + cook.
    assert_round_trip(
        &Recipe {
            prep_minutes: Some(10),
            cook_minutes: Some(20),
            total_minutes: Some(45),
            ..full.clone()
        },
        &[],
    );
}

#[test]
fn round_trip_limits() {
    // Documented: when total is missing but prep and cook are set, import derives it.
    let recipe = Recipe {
        prep_minutes: Some(10),
        cook_minutes: Some(20),
        total_minutes: None,
        ..full_recipe()
    };
    let imported = only(import_json(&export_json_ld(&recipe, &[]).to_string()));
    assert_eq!(imported.draft.total_minutes, Some(30));
    // Documented: with no servings, a number in the yield text becomes the serving count.
    let recipe = Recipe {
        servings: None,
        yield_text: "1 tray".into(),
        ..full_recipe()
    };
    let imported = only(import_json(&export_json_ld(&recipe, &[]).to_string()));
    assert_eq!(imported.draft.servings, Some(1));
    assert_eq!(imported.draft.yield_text, "1 tray");
}
