//! Importing the fixtures and their variants, field by field.

use pretty_assertions::assert_eq;

use super::*;

#[test]
fn plain_recipe_object() {
    let recipe = only(import_json(fixture!("plain_recipe.json")));
    assert_eq!(
        recipe,
        ImportedRecipe {
            draft: RecipeDraft {
                title: "Lemony Barley Salad with Herbs".into(),
                description: "A bright grain salad that keeps well for packed lunches & picnics."
                    .into(),
                servings: Some(4),
                yield_text: "4 servings".into(),
                prep_minutes: Some(15),
                cook_minutes: Some(35),
                total_minutes: Some(50),
                tags: strings(&[
                    "barley",
                    "salad",
                    "make ahead",
                    "Side Dish",
                    "Mediterranean"
                ]),
                source_url: "https://recipes.example.com/lemony-barley-salad".into(),
                ingredients: vec![],
                steps: strings(&[
                    "Simmer the barley in the salted water until tender, about 35 minutes.",
                    "Drain and spread on a tray to cool.",
                    "Whisk the lemon zest, juice and olive oil.",
                    "Toss the barley with the dressing and parsley; season to taste.",
                ]),
                notes: String::new(),
            },
            ingredient_lines: strings(&[
                "1 cup pearl barley",
                "3 cups water",
                "1 lemon, zested and juiced",
                "3 tbsp olive oil",
                "1 small bunch parsley, chopped",
                "1/2 tsp flaky salt",
            ]),
            image_urls: strings(&["https://recipes.example.com/images/barley-salad.jpg"]),
            warnings: vec![],
        }
    );
}

#[test]
fn yoast_graph_with_image_objects_and_references() {
    let recipe = only(import_json(fixture!("yoast_graph.json")));
    let draft = &recipe.draft;
    assert_eq!(draft.title, "Smoky Three-Bean Chili");
    assert_eq!(
        draft.description,
        "Weeknight chili with chipotle, three kinds of beans and a square of dark chocolate."
    );
    assert_eq!(draft.servings, Some(6));
    assert_eq!(draft.yield_text, "6 bowls");
    assert_eq!(
        (draft.prep_minutes, draft.cook_minutes, draft.total_minutes),
        (Some(20), Some(60), Some(80))
    );
    assert_eq!(
        draft.tags,
        strings(&[
            "chili",
            "vegetarian",
            "one pot",
            "Main Course",
            "dinner",
            "Tex-Mex"
        ])
    );
    // mainEntityOfPage names the WebPage node by its `#webpage` id; its `url` is used.
    assert_eq!(
        draft.source_url,
        "https://kitchen.example.net/smoky-bean-chili/"
    );
    assert_eq!(
        draft.steps,
        strings(&[
            "Warm the oil in a heavy pot and soften the onion, about 8 minutes.",
            "Stir in the chipotles, then the beans and tomatoes.",
            "Simmer gently for 45 minutes, stirring now and then.",
            "Melt in the chocolate and adjust the salt.",
        ])
    );
    assert_eq!(recipe.ingredient_lines.len(), 8);
    assert_eq!(
        recipe.ingredient_lines[3],
        "1 can (400 g) black beans, drained"
    );
    assert_eq!(
        recipe.image_urls,
        strings(&[
            "https://kitchen.example.net/wp-content/uploads/2024/01/chili-1x1.jpg",
            "https://kitchen.example.net/wp-content/uploads/2024/01/chili.jpg",
        ])
    );
    assert_eq!(recipe.warnings, Vec::<String>::new());
    assert!(draft.ingredients.is_empty());
}

#[test]
fn top_level_array_with_two_recipes() {
    let recipes = import_json(fixture!("top_level_array.json")).expect("imports");
    assert_eq!(recipes.len(), 2);

    let bread = &recipes[0];
    assert_eq!(bread.draft.title, "Oat and Honey Bread");
    assert_eq!(bread.draft.servings, Some(1));
    assert_eq!(bread.draft.yield_text, "1 loaf (12 slices)");
    // totalTime missing: prep + cook.
    assert_eq!(bread.draft.total_minutes, Some(65));
    // One paragraph of numbered parts, split on the numbers.
    assert_eq!(
        bread.draft.steps,
        strings(&[
            "Mix everything into a shaggy dough and knead for 10 minutes.",
            "Let it rise until doubled, about 1.5 hours.",
            "Shape into a loaf, tip into a tin and let it rise again.",
            "Bake at 200 C for 40 minutes.",
        ])
    );
    assert_eq!(
        bread.draft.source_url,
        "http://bakery.example.org/oat-honey-bread"
    );
    assert_eq!(bread.ingredient_lines.len(), 6);
    assert_eq!(bread.warnings, Vec::<String>::new());

    let butter = &recipes[1];
    assert_eq!(butter.draft.title, "Quick Garlic Butter");
    assert_eq!(butter.draft.servings, Some(8));
    assert_eq!(butter.draft.yield_text, "");
    assert_eq!(
        (
            butter.draft.prep_minutes,
            butter.draft.cook_minutes,
            butter.draft.total_minutes
        ),
        (None, None, Some(5))
    );
    assert_eq!(
        butter.ingredient_lines,
        strings(&[
            "125 g soft butter",
            "2 cloves garlic, grated",
            "1 tbsp chopped chives"
        ])
    );
    assert_eq!(
        butter.draft.steps,
        strings(&["Mash everything together.", "Roll into a log and chill."])
    );
    assert_eq!(butter.warnings, Vec::<String>::new());
}

#[test]
fn howto_sections_become_heading_lines() {
    let recipe = only(import_json(fixture!("howto_sections.json")));
    assert_eq!(recipe.draft.servings, Some(12));
    assert_eq!(recipe.draft.yield_text, "");
    assert_eq!(recipe.draft.total_minutes, Some(60));
    assert_eq!(
        recipe.draft.steps,
        strings(&[
            "For the dough:",
            "Warm the milk and butter until the butter melts, then cool to lukewarm.",
            "Stir in the yeast, then the flour, and knead until smooth.",
            "Cover and leave to rise for 1 hour.",
            "For the filling:",
            "Beat the butter, sugar and cardamom together.",
            "Shaping and baking:",
            "Roll the dough out, spread with filling, fold and cut into 12 strips.",
            "A pizza cutter makes neat strips.",
            "Twist each strip into a knot and prove for 30 minutes.",
            "Bake at 220 °C for 12–15 minutes.",
        ])
    );
    assert_eq!(recipe.ingredient_lines[0], "For the dough:");
    assert_eq!(recipe.ingredient_lines[5], "For the filling:");
    assert_eq!(recipe.ingredient_lines.len(), 9);
    assert_eq!(recipe.warnings, Vec::<String>::new());
}

#[test]
fn instructions_as_one_html_string() {
    let recipe = only(import_json(fixture!("html_instructions.json")));
    let draft = &recipe.draft;
    assert_eq!(draft.title, "Roast Squash & Sage Pasta");
    assert_eq!(
        draft.description,
        "Sweet roast squash, crisp sage & a little chilli.\n\nIt's an easy autumn supper."
    );
    assert_eq!(draft.servings, Some(2));
    assert_eq!(draft.yield_text, "Serves 2");
    assert_eq!(
        draft.steps,
        strings(&[
            "Heat the oven to 200°C.",
            "Toss the squash with half the oil & roast for 30 minutes.",
            "Meanwhile cook the pasta; save a cup of the water.",
            "Fry the sage in the rest of the oil until crisp.",
            "Mix everything with a splash of pasta water – it\u{2019}s done.",
        ])
    );
    assert_eq!(
        recipe.ingredient_lines,
        strings(&[
            "400 g butternut squash, cubed",
            "200 g short pasta",
            "12 sage leaves",
            "2 tbsp olive oil",
            "a pinch of chilli flakes & salt",
        ])
    );
    assert_eq!(draft.tags, strings(&["pasta", "squash", "autumn"]));
    assert_eq!(recipe.warnings, Vec::<String>::new());
}

#[test]
fn yield_array_keywords_array_type_array_and_coercions() {
    let recipe = only(import_json(fixture!("yield_keywords_type_array.json")));
    let draft = &recipe.draft;
    assert_eq!(draft.title, "Five-Minute Peanut Noodles");
    assert_eq!(draft.servings, Some(2));
    assert_eq!(draft.yield_text, "2 generous bowls");
    assert_eq!(
        draft.tags,
        strings(&[
            "noodles",
            "Quick",
            "peanut",
            "weeknight",
            "Dinner",
            "Asian-inspired"
        ])
    );
    assert_eq!(
        draft.source_url,
        "https://news.example.com/food/peanut-noodles"
    );
    assert_eq!(
        (draft.prep_minutes, draft.cook_minutes, draft.total_minutes),
        (Some(5), None, None)
    );
    assert_eq!(
        recipe.image_urls,
        strings(&[
            "https://news.example.com/img/noodles-16x9.jpg",
            "https://news.example.com/img/noodles-4x3.jpg",
        ])
    );
    assert_eq!(
        recipe.ingredient_lines,
        strings(&[
            "200 g egg noodles",
            "3 tbsp peanut butter",
            "1 tbsp soy sauce",
            "1 tsp chilli crisp",
            "2",
            "1 spring onion, sliced",
        ])
    );
    assert_eq!(draft.steps.len(), 3);
    let title = "recipe \"Five-Minute Peanut Noodles\"";
    assert_eq!(
        recipe.warnings,
        vec![
            format!("{title}: cookTime \"5 minutes\" is not an ISO-8601 duration; left empty"),
            format!("{title}: recipeCategory: skipped 1 value(s) that are not text"),
            format!(
                "{title}: recipeInstructions: skipped 1 item(s) that are neither text nor a HowToStep"
            ),
            format!("{title}: recipeIngredient: skipped 1 item(s) that are not text"),
        ]
    );
}

#[test]
fn minimal_recipe_imports_with_warnings() {
    let recipe = only(import_json(fixture!("minimal_name_only.json")));
    assert_eq!(
        recipe,
        ImportedRecipe {
            draft: RecipeDraft {
                title: "Buttered Toast".into(),
                ..RecipeDraft::default()
            },
            ingredient_lines: vec![],
            image_urls: vec![],
            warnings: strings(&[
                "recipe \"Buttered Toast\": no recipeInstructions",
                "recipe \"Buttered Toast\": no recipeIngredient",
            ]),
        }
    );
}

#[test]
fn recipe_without_name_is_untitled() {
    let recipe = only(import_json(
        r#"{"@type": "Recipe", "name": "  ", "recipeIngredient": ["1 egg"], "recipeInstructions": "Boil."}"#,
    ));
    assert_eq!(recipe.draft.title, "Untitled recipe");
    assert_eq!(
        recipe.warnings,
        strings(&["recipe \"Untitled recipe\": no name; imported as \"Untitled recipe\""])
    );
}

#[test]
fn malformed_json_is_repaired_with_a_warning() {
    let recipe = only(import_json(fixture!("malformed_lenient.json")));
    assert_eq!(recipe.draft.title, "Overnight Oats");
    assert_eq!(
        recipe.draft.description,
        "Written by a CMS that does not escape line breaks.\nSecond line of the description."
    );
    assert_eq!(
        recipe.draft.steps,
        strings(&["Stir together.", "Chill overnight."])
    );
    assert_eq!(
        recipe.ingredient_lines,
        strings(&["50 g oats", "150 ml milk"])
    );
    assert_eq!(recipe.draft.servings, Some(1));
    assert_eq!(recipe.warnings.len(), 1);
    assert!(
        recipe.warnings[0].starts_with("the JSON-LD was malformed ("),
        "{:?}",
        recipe.warnings
    );
}

#[test]
fn html_page_with_broken_block_and_other_scripts() {
    let recipe = only(import_html(fixture!("page_two_blocks.html")));
    let draft = &recipe.draft;
    assert_eq!(draft.title, "Crispy Chickpea Traybake");
    assert_eq!(
        draft.description,
        "Chickpeas, peppers & red onion roasted until crisp, with garlicky yogurt."
    );
    assert_eq!(draft.servings, Some(3));
    assert_eq!(draft.yield_text, "Serves 3-4");
    assert_eq!(draft.total_minutes, Some(45));
    assert_eq!(
        draft.tags,
        strings(&["traybake", "vegetarian", "chickpeas"])
    );
    // No url in the recipe: the page's canonical link; no image: og:image.
    assert_eq!(
        draft.source_url,
        "https://blog.example.org/2024/chickpea-traybake/"
    );
    assert_eq!(
        recipe.image_urls,
        strings(&["https://blog.example.org/img/og-traybake.jpg"])
    );
    assert_eq!(draft.steps.len(), 4);
    assert_eq!(
        draft.steps[2],
        "Roast for 30–35 minutes, shaking the tray halfway."
    );
    assert_eq!(recipe.ingredient_lines.len(), 7);
    assert_eq!(recipe.warnings.len(), 1, "{:?}", recipe.warnings);
    assert!(recipe.warnings[0].starts_with("JSON-LD block 1 of 2 skipped: not valid JSON ("));
}

#[test]
fn html_without_recipe_is_no_recipe() {
    for html in [
        "",
        "<html><body>No structured data</body></html>",
        r#"<script type="application/ld+json">{"@type": "WebPage"}</script>"#,
        r#"<script type="application/ld+json">{ broken</script>"#,
        r#"<script type="application/json">{"@type": "Recipe", "name": "x"}</script>"#,
    ] {
        assert!(
            matches!(import_html(html), Err(ImportError::NoRecipe)),
            "{html}"
        );
    }
}

#[test]
fn recipe_repeated_across_blocks_is_imported_once() {
    let block = r#"{"@type": "Recipe", "@id": "https://x.example/#r", "name": "Soup"}"#;
    let html = format!(
        r#"<script type="application/ld+json">{block}</script><script type="application/ld+json">[{block}]</script>"#
    );
    assert_eq!(import_html(&html).expect("imports").len(), 1);
    // Same content without an @id: still one.
    let block = r#"{"@type": "Recipe", "name": "Soup"}"#;
    assert_eq!(
        import_json(&format!("[{block}, {block}]"))
            .expect("imports")
            .len(),
        1
    );
}

#[test]
fn type_and_key_variants() {
    let variants = [
        r#"{"@type": "Recipe", "name": "A"}"#,
        r#"{"@type": "https://schema.org/Recipe", "name": "A"}"#,
        r#"{"@type": "http://schema.org/Recipe", "name": "A"}"#,
        r#"{"@type": "schema:Recipe", "schema:name": "A"}"#,
        r#"{"@type": ["NewsArticle", "Recipe"], "name": "A"}"#,
        r#"{"@type": "recipe", "http://schema.org/name": "A"}"#,
        r#"{"@graph": [{"@graph": [[{"@type": "Recipe", "name": "A"}]]}]}"#,
        r#"{"@type": "WebPage", "mainEntity": {"@type": "Recipe", "name": "A"}}"#,
        r#"{"@type": "ItemList", "itemListElement": [{"@type": "ListItem", "item": {"@type": "Recipe", "name": "A"}}]}"#,
        r#"{"@type": "Recipe", "name": {"@value": "A"}}"#,
        r#"{"@type": "Recipe", "name": ["", "A"]}"#,
        "\u{FEFF}{\"@type\": \"Recipe\", \"name\": \"A\"}",
    ];
    for json in variants {
        let recipe = only(import_json(json));
        assert_eq!(recipe.draft.title, "A", "{json}");
    }
    for json in [
        r#"{"@type": "Recipes", "name": "A"}"#,
        r#"{"@type": "HowTo", "name": "A"}"#,
        r#"{"@type": ["Article"], "name": "A", "about": {"@type": "Recipe", "name": "B"}}"#,
        r#"{"name": "A", "recipeIngredient": ["1 egg"]}"#,
    ] {
        assert!(
            matches!(import_json(json), Err(ImportError::NoRecipe)),
            "{json}"
        );
    }
}

#[test]
fn yield_variants() {
    let cases: &[(Value, Option<u32>, &str)] = &[
        (json!(4), Some(4), ""),
        (json!(4.0), Some(4), ""),
        (json!("4"), Some(4), ""),
        (json!("4 servings"), Some(4), "4 servings"),
        (json!("Makes 12"), Some(12), "Makes 12"),
        (json!(["4", "4 servings"]), Some(4), "4 servings"),
        (json!(["4 servings", "4"]), Some(4), "4 servings"),
        (json!(["1 loaf", "8 slices"]), Some(1), "8 slices"),
        (json!("about 750 ml"), None, "about 750 ml"),
        (json!("5000"), None, ""),
        (json!(0), None, ""),
        (json!(-3), None, ""),
        (json!("-2 servings"), None, "-2 servings"),
        (json!("a big pot"), None, "a big pot"),
        (json!(true), None, ""),
        (json!({"x": 1}), None, ""),
        (json!(null), None, ""),
        (json!([]), None, ""),
    ];
    for (value, servings, yield_text) in cases {
        let doc = json!({"@type": "Recipe", "name": "Y", "recipeYield": value});
        let recipe = only(import_json(&doc.to_string()));
        assert_eq!(recipe.draft.servings, *servings, "{value}");
        assert_eq!(recipe.draft.yield_text, *yield_text, "{value}");
    }
    let doc = json!({"@type": "Recipe", "name": "Y", "recipeYield": "5000"});
    let recipe = only(import_json(&doc.to_string()));
    assert!(
        recipe
            .warnings
            .iter()
            .any(|w| w.contains("too large to be a serving count")),
        "{:?}",
        recipe.warnings
    );
}

#[test]
fn times_and_their_warnings() {
    let doc = json!({
        "@type": "Recipe", "name": "T",
        "prepTime": "PT10M", "cookTime": "PT1H", "totalTime": "about an hour"
    });
    let recipe = only(import_json(&doc.to_string()));
    // An invalid total is left empty by the parser and then derived from prep + cook.
    assert_eq!(recipe.draft.total_minutes, Some(70));
    assert!(recipe.warnings.iter().any(|w| w
        == "recipe \"T\": totalTime \"about an hour\" is not an ISO-8601 duration; left empty"));

    let doc = json!({"@type": "Recipe", "name": "T", "prepTime": 15, "cookTime": ["PT5M"]});
    let recipe = only(import_json(&doc.to_string()));
    assert_eq!(recipe.draft.prep_minutes, None);
    assert_eq!(recipe.draft.cook_minutes, Some(5));
    assert_eq!(recipe.draft.total_minutes, None);
}

#[test]
fn image_and_url_variants() {
    let doc = json!({
        "@type": "Recipe", "name": "I",
        "image": {"@type": "ImageObject", "contentUrl": "https://img.example/a.jpg"},
        "url": ["", " https://r.example/i "],
    });
    let recipe = only(import_json(&doc.to_string()));
    assert_eq!(recipe.image_urls, strings(&["https://img.example/a.jpg"]));
    assert_eq!(recipe.draft.source_url, "https://r.example/i");

    let doc = json!({
        "@type": "Recipe", "name": "I",
        "image": [{"url": "https://img.example/b.jpg"}, {"@id": "#missing"}, 7],
        "mainEntityOfPage": "https://r.example/page",
    });
    let recipe = only(import_json(&doc.to_string()));
    assert_eq!(recipe.image_urls, strings(&["https://img.example/b.jpg"]));
    assert_eq!(recipe.draft.source_url, "https://r.example/page");
}

#[test]
fn import_auto_dispatch() {
    let json = fixture!("plain_recipe.json");
    let html = fixture!("page_two_blocks.html");
    let title = |r: Result<Vec<ImportedRecipe>, ImportError>| only(r).draft.title;
    assert_eq!(
        title(import_auto("recipe.JSON", json.as_bytes())),
        "Lemony Barley Salad with Herbs"
    );
    assert_eq!(
        title(import_auto("x.jsonld", json.as_bytes())),
        "Lemony Barley Salad with Herbs"
    );
    assert_eq!(
        title(import_auto("page.HTM", html.as_bytes())),
        "Crispy Chickpea Traybake"
    );
    assert_eq!(
        title(import_auto("page.html", html.as_bytes())),
        "Crispy Chickpea Traybake"
    );
    // No or unknown extension: sniffed.
    assert_eq!(
        title(import_auto("download", html.as_bytes())),
        "Crispy Chickpea Traybake"
    );
    assert_eq!(
        title(import_auto("recipe.txt", json.as_bytes())),
        "Lemony Barley Salad with Herbs"
    );
    // Content that contradicts the extension wins.
    assert_eq!(
        title(import_auto("saved.json", html.as_bytes())),
        "Crispy Chickpea Traybake"
    );
    assert_eq!(
        title(import_auto("saved.html", json.as_bytes())),
        "Lemony Barley Salad with Herbs"
    );
    let mut with_bom = "\u{FEFF}".as_bytes().to_vec();
    with_bom.extend_from_slice(json.as_bytes());
    assert_eq!(
        title(import_auto("a.json", &with_bom)),
        "Lemony Barley Salad with Herbs"
    );
    assert!(matches!(
        import_auto("a.json", &[0x7b, 0xff, 0xfe, 0x7d]),
        Err(ImportError::InvalidUtf8(_))
    ));
    assert!(matches!(
        import_auto("a.html", b"<p>hi</p>"),
        Err(ImportError::NoRecipe)
    ));
    assert!(matches!(
        import_auto("", b""),
        Err(ImportError::InvalidJson(_))
    ));
}

#[test]
fn microdata_page_imports_when_it_has_no_json_ld() {
    let html = r#"<html><head><link rel="canonical" href="https://example.org/soup"></head><body>
        <article itemscope itemtype="http://schema.org/Recipe">
          <h1 itemprop="name">Leek &amp; potato soup</h1>
          <img itemprop="image" src="https://example.org/soup.jpg" alt="">
          <span itemprop="recipeYield">4 servings</span>
          <meta itemprop="totalTime" content="PT45M">
          <ul>
            <li itemprop="recipeIngredient">2 leeks, sliced</li>
            <li itemprop="recipeIngredient">500 g potatoes</li>
          </ul>
          <ol itemprop="recipeInstructions">
            <li>Soften the leeks.</li><li>Add potatoes and simmer.</li>
          </ol>
        </article></body></html>"#;
    let recipe = only(import_html(html));
    assert_eq!(recipe.draft.title, "Leek & potato soup");
    assert_eq!(recipe.draft.servings, Some(4));
    assert_eq!(recipe.draft.total_minutes, Some(45));
    assert_eq!(recipe.draft.source_url, "https://example.org/soup");
    assert_eq!(
        recipe.ingredient_lines,
        ["2 leeks, sliced", "500 g potatoes"]
    );
    assert_eq!(recipe.image_urls, ["https://example.org/soup.jpg"]);
    assert_eq!(
        recipe.draft.steps,
        ["Soften the leeks.", "Add potatoes and simmer."]
    );
}

#[test]
fn json_ld_wins_over_microdata_on_the_same_page() {
    let html = r#"<script type="application/ld+json">{"@type":"Recipe","name":"From JSON-LD"}</script>
        <div itemscope itemtype="https://schema.org/Recipe"><span itemprop="name">From microdata</span></div>"#;
    assert_eq!(only(import_html(html)).draft.title, "From JSON-LD");
}
