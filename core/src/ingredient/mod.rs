//! Ingredient lines: the public face of the ingredient module. It re-exports
//! the parser/formatter (`parse`, which owns `ParsedIngredient`) and the
//! unit system (`units`), and owns the module-wide table, round-trip and
//! property tests.
//!
//! Written by hand on purpose. The crates.io candidates (`ingredient`
//! 0.3, `ingreedy-rs` 0.2) are English-only, do not handle Unicode
//! fractions, decimal commas or German/French/Spanish/Italian units, and
//! pull in dependencies we do not want (nom, petgraph, anyhow, pest, a clap
//! beta, lazy_static).

pub mod parse;
pub mod units;

pub use self::parse::{ParsedIngredient, format_line, format_quantity, normalize_name, parse_line};
pub use self::units::{UNITS, Unit, UnitFamily, compatible, convert, lookup_unit};

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type Row = (
        &'static str,
        Option<f64>,
        Option<f64>,
        &'static str,
        &'static str,
        &'static str,
    );

    /// (line, quantity, quantity_max, unit, name, note)
    const TABLE: &[Row] = &[
        // ---- English
        (
            "2 1/2 cups flour, sifted",
            Some(2.5),
            None,
            "cup",
            "flour",
            "sifted",
        ),
        ("200 g butter", Some(200.0), None, "g", "butter", ""),
        ("200g butter", Some(200.0), None, "g", "butter", ""),
        ("½ tsp salt", Some(0.5), None, "tsp", "salt", ""),
        ("1½ cups milk", Some(1.5), None, "cup", "milk", ""),
        ("1 ½ cups milk", Some(1.5), None, "cup", "milk", ""),
        ("¾ cup sugar", Some(0.75), None, "cup", "sugar", ""),
        ("⅓ cup oil", Some(1.0 / 3.0), None, "cup", "oil", ""),
        (
            "2⅔ cups oats",
            Some(2.0 + 2.0 / 3.0),
            None,
            "cup",
            "oats",
            "",
        ),
        ("⅛ tsp cayenne", Some(0.125), None, "tsp", "cayenne", ""),
        ("⅜ cup cream", Some(0.375), None, "cup", "cream", ""),
        ("1⁄2 cup rice", Some(0.5), None, "cup", "rice", ""),
        (
            "1 can (400 g) tomatoes",
            Some(1.0),
            None,
            "can",
            "tomatoes",
            "400 g",
        ),
        (
            "1 can (400 g) tomatoes (drained)",
            Some(1.0),
            None,
            "can",
            "tomatoes",
            "400 g, drained",
        ),
        (
            "1 can (14 oz) beans, rinsed",
            Some(1.0),
            None,
            "can",
            "beans",
            "14 oz, rinsed",
        ),
        ("salt to taste", None, None, "", "salt", "to taste"),
        ("pepper, to taste", None, None, "", "pepper", "to taste"),
        (
            "2-3 cloves garlic",
            Some(2.0),
            Some(3.0),
            "clove",
            "garlic",
            "",
        ),
        (
            "2–3 cloves garlic",
            Some(2.0),
            Some(3.0),
            "clove",
            "garlic",
            "",
        ),
        (
            "2 to 3 cloves garlic, minced",
            Some(2.0),
            Some(3.0),
            "clove",
            "garlic",
            "minced",
        ),
        (
            "1/2-1 tsp chili flakes",
            Some(0.5),
            Some(1.0),
            "tsp",
            "chili flakes",
            "",
        ),
        ("3 eggs", Some(3.0), None, "", "eggs", ""),
        ("1.5 kg potatoes", Some(1.5), None, "kg", "potatoes", ""),
        ("0.25 l water", Some(0.25), None, "l", "water", ""),
        ("a pinch of salt", Some(1.0), None, "pinch", "salt", ""),
        ("pinch of salt", Some(1.0), None, "pinch", "salt", ""),
        ("a dash of vinegar", Some(1.0), None, "dash", "vinegar", ""),
        ("1 cup of milk", Some(1.0), None, "cup", "milk", ""),
        (
            "1 large onion, finely chopped",
            Some(1.0),
            None,
            "",
            "large onion",
            "finely chopped",
        ),
        ("Tomatoes", None, None, "", "Tomatoes", ""),
        (
            "10 oz / 280 g spinach",
            Some(10.0),
            None,
            "oz",
            "spinach",
            "280 g",
        ),
        (
            "1 cup plus 2 tbsp sugar",
            Some(1.0),
            None,
            "cup",
            "sugar",
            "plus 2 tbsp",
        ),
        ("2 T butter", Some(2.0), None, "tbsp", "butter", ""),
        ("2 t baking soda", Some(2.0), None, "tsp", "baking soda", ""),
        ("4 fl oz cream", Some(4.0), None, "fl oz", "cream", ""),
        ("1 lb ground beef", Some(1.0), None, "lb", "ground beef", ""),
        (
            "3 Tbsp. olive oil",
            Some(3.0),
            None,
            "tbsp",
            "olive oil",
            "",
        ),
        ("1 head lettuce", Some(1.0), None, "head", "lettuce", ""),
        ("2 sprigs thyme", Some(2.0), None, "sprig", "thyme", ""),
        ("- 2 cups flour", Some(2.0), None, "cup", "flour", ""),
        ("cup cakes", None, None, "", "cup cakes", ""),
        ("salt and pepper", None, None, "", "salt and pepper", ""),
        // ---- German
        ("1,5 kg Kartoffeln", Some(1.5), None, "kg", "Kartoffeln", ""),
        ("2 EL Olivenöl", Some(2.0), None, "tbsp", "Olivenöl", ""),
        ("1 TL Salz", Some(1.0), None, "tsp", "Salz", ""),
        ("eine Prise Salz", Some(1.0), None, "pinch", "Salz", ""),
        (
            "2 Zehen Knoblauch, gehackt",
            Some(2.0),
            None,
            "clove",
            "Knoblauch",
            "gehackt",
        ),
        (
            "1 Dose Tomaten (400 g)",
            Some(1.0),
            None,
            "can",
            "Tomaten",
            "400 g",
        ),
        (
            "1 Bund Petersilie",
            Some(1.0),
            None,
            "bunch",
            "Petersilie",
            "",
        ),
        ("250 Gramm Mehl", Some(250.0), None, "g", "Mehl", ""),
        ("2 Esslöffel Zucker", Some(2.0), None, "tbsp", "Zucker", ""),
        ("1 Liter Milch", Some(1.0), None, "l", "Milch", ""),
        ("3 Stück Eier", Some(3.0), None, "piece", "Eier", ""),
        (
            "Pfeffer nach Geschmack",
            None,
            None,
            "",
            "Pfeffer",
            "nach Geschmack",
        ),
        // ---- French
        (
            "3 c. à s. d'huile d'olive",
            Some(3.0),
            None,
            "tbsp",
            "huile d'olive",
            "",
        ),
        ("1 c. à c. de sel", Some(1.0), None, "tsp", "sel", ""),
        (
            "2 cuillères à soupe de sucre",
            Some(2.0),
            None,
            "tbsp",
            "sucre",
            "",
        ),
        ("2 gousses d'ail", Some(2.0), None, "clove", "ail", ""),
        ("une pincée de sel", Some(1.0), None, "pinch", "sel", ""),
        ("1 boîte de tomates", Some(1.0), None, "can", "tomates", ""),
        ("½ litre de lait", Some(0.5), None, "l", "lait", ""),
        ("2 cs sauce soja", Some(2.0), None, "tbsp", "sauce soja", ""),
        // ---- Spanish
        (
            "2 cucharadas de aceite",
            Some(2.0),
            None,
            "tbsp",
            "aceite",
            "",
        ),
        ("1 cucharadita de sal", Some(1.0), None, "tsp", "sal", ""),
        ("1 taza de arroz", Some(1.0), None, "cup", "arroz", ""),
        ("3 dientes de ajo", Some(3.0), None, "clove", "ajo", ""),
        ("una pizca de sal", Some(1.0), None, "pinch", "sal", ""),
        ("1 lata de tomate", Some(1.0), None, "can", "tomate", ""),
        ("500 gramos de harina", Some(500.0), None, "g", "harina", ""),
        // ---- Italian
        ("2 cucchiai di olio", Some(2.0), None, "tbsp", "olio", ""),
        (
            "1 cucchiaino di zucchero",
            Some(1.0),
            None,
            "tsp",
            "zucchero",
            "",
        ),
        ("2 spicchi d'aglio", Some(2.0), None, "clove", "aglio", ""),
        ("un pizzico di sale", Some(1.0), None, "pinch", "sale", ""),
        ("1 spicchio di aglio", Some(1.0), None, "clove", "aglio", ""),
        ("sale q.b.", None, None, "", "sale", "q.b."),
    ];

    fn approx(a: Option<f64>, b: Option<f64>) -> bool {
        match (a, b) {
            (None, None) => true,
            (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * y.abs().max(1.0),
            _ => false,
        }
    }

    fn check(line: &str, got: &ParsedIngredient, row: &Row) {
        let (_, q, max, unit, name, note) = *row;
        assert!(approx(got.quantity, q), "{line:?}: quantity {got:?}");
        assert!(approx(got.quantity_max, max), "{line:?}: max {got:?}");
        assert_eq!(got.unit, unit, "{line:?}: unit {got:?}");
        assert_eq!(got.name, name, "{line:?}: name {got:?}");
        assert_eq!(got.note, note, "{line:?}: note {got:?}");
    }

    #[test]
    fn table() {
        assert!(TABLE.len() >= 45);
        for row in TABLE {
            check(row.0, &parse_line(row.0), row);
        }
    }

    #[test]
    fn round_trip_table() {
        for row in TABLE {
            let p = parse_line(row.0);
            let line = format_line(p.quantity, p.quantity_max, &p.unit, &p.name, &p.note);
            let back = parse_line(&line);
            check(&line, &back, row);
        }
    }

    #[test]
    fn empty_and_garbage() {
        assert_eq!(parse_line(""), ParsedIngredient::default());
        assert_eq!(parse_line("   \t "), ParsedIngredient::default());
        let p = parse_line("!!!");
        assert_eq!(
            (p.quantity, p.unit.as_str(), p.name.as_str()),
            (None, "", "!!!")
        );
    }

    #[test]
    fn negative_numbers_are_text() {
        // Decision: a minus glued to a number is text, never a sign.
        let p = parse_line("-2 cups flour");
        assert_eq!(p.quantity, None);
        assert_eq!(p.unit, "");
        assert_eq!(p.name, "-2 cups flour");
        // "- " at the start is a list bullet and is dropped.
        assert_eq!(parse_line("- 2 cups flour").quantity, Some(2.0));
    }

    #[test]
    fn huge_and_scientific_numbers() {
        // Scientific notation is not a kitchen quantity: left as text.
        let p = parse_line("1e400 g sugar");
        assert_eq!(p.quantity, None);
        assert_eq!(p.name, "1e400 g sugar");
        let digits = "9".repeat(400);
        let p = parse_line(&format!("{digits} g sugar"));
        assert_eq!(p.quantity, None, "overflowing number is text");
        let p = parse_line("1/0 cup milk");
        assert!(p.quantity.is_none_or(f64::is_finite));
    }

    #[test]
    fn unit_words_without_number_stay_in_name() {
        // Decision: a unit word is only a unit after a quantity (or an
        // article such as "a"/"eine"); the only exception is a line
        // starting with a pinch/dash unit.
        let p = parse_line("cup cakes");
        assert_eq!((p.quantity, p.unit.as_str()), (None, ""));
        assert_eq!(p.name, "cup cakes");
        let p = parse_line("can opener");
        assert_eq!(p.name, "can opener");
        let p = parse_line("dash of bitters");
        assert_eq!((p.quantity, p.unit.as_str()), (Some(1.0), "dash"));
        // An article without a unit is kept as text.
        let p = parse_line("an onion");
        assert_eq!((p.quantity, p.name.as_str()), (None, "an onion"));
    }

    #[test]
    fn reversed_range_is_ordered() {
        let p = parse_line("3-2 cups water");
        assert_eq!((p.quantity, p.quantity_max), (Some(2.0), Some(3.0)));
    }

    #[test]
    fn format_quantity_examples() {
        let cases = [
            (2.5, "2 1/2"),
            (1.0 / 3.0, "1/3"),
            (0.25, "1/4"),
            (1.0, "1"),
            (1.234, "1.23"),
            (0.5, "1/2"),
            (0.75, "3/4"),
            (2.0 / 3.0, "2/3"),
            (0.125, "1/8"),
            (1.375, "1 3/8"),
            (0.0, "0"),
            (200.0, "200"),
            (0.1, "0.1"),
            (2.999_9, "3"),
            (1.2, "1.2"),
        ];
        for (q, want) in cases {
            assert_eq!(format_quantity(q), want, "{q}");
        }
        assert_eq!(format_quantity(f64::NAN), "");
        assert_eq!(format_quantity(f64::INFINITY), "");
    }

    #[test]
    fn format_line_examples() {
        // Decision: word-like units are pluralised when the amount > 1.
        assert_eq!(
            format_line(Some(2.5), None, "cup", "flour", "sifted"),
            "2 1/2 cups flour, sifted"
        );
        assert_eq!(
            format_line(Some(2.0), Some(3.0), "clove", "garlic", ""),
            "2-3 cloves garlic"
        );
        assert_eq!(
            format_line(Some(0.5), None, "cup", "milk", ""),
            "1/2 cup milk"
        );
        assert_eq!(
            format_line(Some(2.0), None, "tbsp", "oil", ""),
            "2 tbsp oil"
        );
        assert_eq!(
            format_line(Some(2.0), None, "pinch", "salt", ""),
            "2 pinches salt"
        );
        assert_eq!(format_line(Some(3.0), None, "", "eggs", ""), "3 eggs");
        assert_eq!(
            format_line(None, None, "", "salt", "to taste"),
            "salt, to taste"
        );
        assert_eq!(format_line(None, Some(3.0), "", "salt", ""), "salt");
        assert_eq!(format_line(None, None, "", "", ""), "");
    }

    #[test]
    fn normalize_name_examples() {
        let cases = [
            ("Tomatoes", "tomato"),
            ("eggs", "egg"),
            ("cloves", "clove"),
            ("  Cherry   Tomatoes ", "cherry tomato"),
            ("berries", "berry"),
            ("peaches", "peach"),
            ("asparagus", "asparagus"),
            ("swiss chard", "swiss chard"),
            ("molasses", "molasses"),
            ("Olivenöl", "olivenöl"),
            ("egg", "egg"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_name(input), want, "{input:?}");
        }
        assert_eq!(normalize_name("Eggs"), normalize_name("egg"));
    }

    const NAMES: &[&str] = &["flour", "olive oil", "garlic", "brown sugar", "Kartoffeln"];
    const NOTES: &[&str] = &["", "sifted", "finely chopped", "400 g, drained"];

    proptest! {
        #[test]
        fn parse_never_panics_or_goes_negative(line in any::<String>()) {
            let p = parse_line(&line);
            if let Some(q) = p.quantity {
                prop_assert!(q.is_finite() && q >= 0.0, "{:?}", p);
            }
            if let Some(m) = p.quantity_max {
                prop_assert!(m.is_finite(), "{:?}", p);
                prop_assert!(p.quantity.is_some_and(|q| m >= q), "{:?}", p);
            }
        }

        #[test]
        fn parse_never_panics_on_recipe_like_text(
            line in r"[-0-9 ½¼¾⅓/.,()a-zA-Zéàö'’–]{0,40}"
        ) {
            let p = parse_line(&line);
            prop_assert!(p.quantity.is_none_or(|q| q.is_finite() && q >= 0.0));
            prop_assert!(p.quantity_max.is_none_or(f64::is_finite));
        }

        #[test]
        fn format_then_parse_round_trips(
            whole in 0u32..20,
            eighths in 0u32..8,
            span in proptest::option::of(1u32..4),
            unit_idx in 0usize..UNITS.len() + 1,
            name_idx in 0usize..NAMES.len(),
            note_idx in 0usize..NOTES.len(),
        ) {
            let q = f64::from(whole) + f64::from(eighths) / 8.0;
            let max = span.map(|s| q + f64::from(s));
            let unit = UNITS.get(unit_idx).map_or("", |u| u.symbol);
            let (name, note) = (NAMES[name_idx], NOTES[note_idx]);
            let line = format_line(Some(q), max, unit, name, note);
            let p = parse_line(&line);
            prop_assert_eq!(p.quantity, Some(q), "{}", line);
            prop_assert_eq!(p.quantity_max, max, "{}", line);
            prop_assert_eq!(p.unit.as_str(), unit, "{}", line);
            prop_assert_eq!(p.name.as_str(), name, "{}", line);
            prop_assert_eq!(p.note.as_str(), note, "{}", line);
        }
    }
}
