//! Hostile input: garbage, deep nesting, wrong types, random bytes and mutated fixtures give
//! an error or warnings, never a panic.

use pretty_assertions::assert_eq;

use super::*;

#[test]
fn garbage_json_is_an_error_never_a_panic() {
    for text in [
        "",
        " ",
        "{",
        "}",
        "[",
        "nul",
        "{\"@type\": ",
        "\u{0}",
        "<p>",
        "\"\\",
    ] {
        assert!(
            matches!(import_json(text), Err(ImportError::InvalidJson(_))),
            "{text:?}"
        );
    }
    for text in [
        "null",
        "[]",
        "{}",
        "0",
        "\"Recipe\"",
        "true",
        "[null, 1, \"x\", [], {}]",
        r#"{"@type": 5}"#,
        r#"{"@type": [null, {}]}"#,
        r#"{"@graph": "Recipe"}"#,
        r#"{"@graph": [{"@graph": null}]}"#,
    ] {
        assert!(
            matches!(import_json(text), Err(ImportError::NoRecipe)),
            "{text:?}"
        );
    }
}

#[test]
fn deep_nesting_does_not_overflow() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(matches!(
        import_json(&deep),
        Err(ImportError::InvalidJson(_))
    ));
    let unclosed = "[".repeat(10_000);
    assert!(matches!(
        import_json(&unclosed),
        Err(ImportError::InvalidJson(_))
    ));
    let deep_objects = format!("{}1{}", r#"{"@graph":"#.repeat(10_000), "}".repeat(10_000));
    assert!(matches!(
        import_json(&deep_objects),
        Err(ImportError::InvalidJson(_))
    ));
    let html = format!(
        r#"{}<script type="application/ld+json">{deep}</script>"#,
        "<div>".repeat(10_000)
    );
    assert!(matches!(import_html(&html), Err(ImportError::NoRecipe)));

    // Within serde_json's limit but beyond the walk cap: not found, no overflow.
    let recipe = r#"{"@type": "Recipe", "name": "Deep"}"#;
    let buried = format!("{}{recipe}{}", "[".repeat(100), "]".repeat(100));
    assert!(matches!(import_json(&buried), Err(ImportError::NoRecipe)));
    let shallow = format!("{}{recipe}{}", "[".repeat(20), "]".repeat(20));
    assert_eq!(only(import_json(&shallow)).draft.title, "Deep");

    // Deeply nested instructions and text: imported with a warning.
    let steps = format!("{}\"Stir.\"{}", "[".repeat(100), "]".repeat(100));
    let doc = format!(
        r#"{{"@type": "Recipe", "name": "Deep", "recipeInstructions": {steps}, "recipeIngredient": {steps}, "keywords": {steps}, "image": {steps}}}"#
    );
    let recipe = only(import_json(&doc));
    assert!(recipe.draft.steps.is_empty());
    assert!(
        recipe
            .warnings
            .iter()
            .any(|w| w.contains("nested deeper than")),
        "{:?}",
        recipe.warnings
    );
    // Deep HTML inside a text field.
    let description = format!("{}Rich{}", "<b>".repeat(10_000), "</b>".repeat(10_000));
    let doc = json!({"@type": "Recipe", "name": "Deep", "description": description});
    assert_eq!(
        only(import_json(&doc.to_string())).draft.description,
        "Rich"
    );
}

#[test]
fn every_field_with_every_wrong_type() {
    let wrong = [
        json!(null),
        json!(true),
        json!(1.5),
        json!(-3),
        json!(1e300),
        json!(""),
        json!("x"),
        json!("<p>&amp;</p>"),
        json!([]),
        json!({}),
        json!([[["deep"]]]),
        json!({"@id": "x"}),
        json!({"@type": "HowToSection"}),
        json!([{"@type": "HowToStep"}, null, false]),
        json!({"@value": {"@value": 3}}),
    ];
    let fields = [
        "name",
        "description",
        "recipeYield",
        "prepTime",
        "cookTime",
        "totalTime",
        "keywords",
        "recipeCategory",
        "recipeCuisine",
        "image",
        "url",
        "mainEntityOfPage",
        "recipeIngredient",
        "ingredients",
        "recipeInstructions",
        "@id",
    ];
    for field in fields {
        for value in &wrong {
            let mut doc = json!({"@type": "Recipe", "@id": "x", "name": "W"});
            if let Some(map) = doc.as_object_mut() {
                map.insert(field.to_string(), value.clone());
            }
            let recipe = only(import_json(&doc.to_string()));
            assert!(!recipe.draft.title.is_empty());
            assert!(recipe.draft.steps.iter().all(|s| !s.contains('\n')));
        }
    }
}

/// A small deterministic generator, so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let alphabet = b"{}[]\":,<>/&;#@ \n\\abcPTHM0123456789.-eRcipe";
    for round in 0..400 {
        let len = rng.below(300);
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                if round % 2 == 0 {
                    alphabet[rng.below(alphabet.len())]
                } else {
                    (rng.next() & 0xff) as u8
                }
            })
            .collect();
        let _ = import_auto("random.bin", &bytes);
        let _ = import_auto("random.json", &bytes);
        let _ = import_auto("random.html", &bytes);
        let text = String::from_utf8_lossy(&bytes);
        let _ = import_json(&text);
        let _ = import_html(&text);
        let _ = parse_iso8601_minutes(&text);
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    for (name, text) in FIXTURES {
        let chars: Vec<char> = text.chars().collect();
        for _ in 0..60 {
            let mut mutated = chars.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(mutated.len());
                match rng.below(4) {
                    0 => {
                        let end = (at + rng.below(40)).min(mutated.len());
                        mutated.drain(at..end);
                    }
                    1 => {
                        let end = (at + rng.below(40)).min(mutated.len());
                        let copy: Vec<char> = mutated[at..end].to_vec();
                        mutated.splice(at..at, copy);
                    }
                    2 => {
                        let symbols = ['{', '}', '[', ']', '"', ',', '<', '&', '\\', '\n'];
                        mutated.insert(at, symbols[rng.below(symbols.len())]);
                    }
                    _ => mutated.truncate(at),
                }
            }
            let mutated: String = mutated.into_iter().collect();
            let result = if name.ends_with(".html") {
                import_html(&mutated)
            } else {
                import_json(&mutated)
            };
            if let Ok(recipes) = result {
                assert!(!recipes.is_empty());
                for recipe in recipes {
                    assert!(!recipe.draft.title.is_empty());
                }
            }
        }
    }
}

#[test]
fn every_fixture_imports() {
    for (name, text) in FIXTURES {
        let recipes = import_auto(name, text.as_bytes()).expect(name);
        assert!(!recipes.is_empty(), "{name}");
        for recipe in &recipes {
            assert!(recipe.draft.ingredients.is_empty());
            for line in recipe
                .draft
                .steps
                .iter()
                .chain(&recipe.ingredient_lines)
                .chain(&recipe.draft.tags)
            {
                assert!(!line.is_empty() && !line.contains('\n'), "{name}: {line:?}");
                assert_eq!(line.trim(), line, "{name}");
                assert!(!line.contains("&amp;") && !line.contains("<p>"), "{name}");
            }
            // Exporting any import and importing it again keeps it.
            let exported = export_json_ld(
                &Recipe {
                    id: String::new(),
                    title: recipe.draft.title.clone(),
                    description: recipe.draft.description.clone(),
                    servings: recipe.draft.servings,
                    yield_text: recipe.draft.yield_text.clone(),
                    prep_minutes: recipe.draft.prep_minutes,
                    cook_minutes: recipe.draft.cook_minutes,
                    total_minutes: recipe.draft.total_minutes,
                    tags: recipe.draft.tags.clone(),
                    source_url: recipe.draft.source_url.clone(),
                    ingredients: vec![],
                    steps: recipe.draft.steps.clone(),
                    notes: String::new(),
                    attachments: vec![],
                    created_at: 0,
                    updated_at: 0,
                    deleted: false,
                    import_key: None,
                    shared: None,
                },
                &recipe.ingredient_lines,
            );
            let again = only(import_json(&exported.to_string()));
            assert_eq!(again.draft, recipe.draft, "{name}");
            assert_eq!(again.ingredient_lines, recipe.ingredient_lines, "{name}");
        }
    }
}
