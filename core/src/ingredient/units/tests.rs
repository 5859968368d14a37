//! Tests of the unit table, alias lookup and conversions.

use super::*;

fn sym(word: &str) -> Option<&'static str> {
    lookup_unit(word).map(|u| u.symbol)
}

fn close(a: f64, b: f64) -> bool {
    ((a - b) / b).abs() < 1e-6
}

/// For the 3-decimal reference values quoted in the spec.
fn roughly(a: f64, b: f64) -> bool {
    ((a - b) / b).abs() < 1e-4
}

#[test]
fn symbols_are_unique_and_self_resolving() {
    for (i, u) in UNITS.iter().enumerate() {
        assert!(
            UNITS[i + 1..].iter().all(|v| v.symbol != u.symbol),
            "duplicate {}",
            u.symbol
        );
        assert_eq!(sym(u.symbol), Some(u.symbol), "symbol {}", u.symbol);
        assert_eq!(
            sym(&display_unit(u.symbol, true)),
            Some(u.symbol),
            "plural of {}",
            u.symbol
        );
    }
}

#[test]
fn aliases_point_at_real_units_and_are_normalised() {
    for (alias, target) in ALIASES {
        assert!(by_symbol(target).is_some(), "{alias} -> {target}");
        assert_eq!(normalize_key(alias), *alias, "alias not normalised");
    }
    for (_, target) in CASE_SENSITIVE_ALIASES {
        assert!(by_symbol(target).is_some());
    }
}

#[test]
fn english_spellings() {
    let cases = [
        ("gram", "g"),
        ("grams", "g"),
        ("gr", "g"),
        ("G", "g"),
        ("kilogram", "kg"),
        ("kg", "kg"),
        ("kgs", "kg"),
        ("ounce", "oz"),
        ("ounces", "oz"),
        ("oz.", "oz"),
        ("pound", "lb"),
        ("lbs", "lb"),
        ("lb.", "lb"),
        ("millilitre", "ml"),
        ("milliliters", "ml"),
        ("mL", "ml"),
        ("litre", "l"),
        ("liters", "l"),
        ("L", "l"),
        ("teaspoon", "tsp"),
        ("teaspoons", "tsp"),
        ("tsp.", "tsp"),
        ("t", "tsp"),
        ("tsps", "tsp"),
        ("tablespoon", "tbsp"),
        ("Tablespoons", "tbsp"),
        ("T", "tbsp"),
        ("tbs", "tbsp"),
        ("tbsps", "tbsp"),
        ("Tbsp.", "tbsp"),
        ("cup", "cup"),
        ("cups", "cup"),
        ("c", "cup"),
        ("C.", "cup"),
        ("fl oz", "fl oz"),
        ("fl. oz.", "fl oz"),
        ("fluid ounces", "fl oz"),
        ("cloves", "clove"),
        ("cans", "can"),
        ("tins", "can"),
        ("pinches", "pinch"),
        ("dashes", "dash"),
        ("bunches", "bunch"),
        ("pieces", "piece"),
        ("slices", "slice"),
        ("sprigs", "sprig"),
        ("sticks", "stick"),
        ("packages", "package"),
        ("heads", "head"),
        ("handfuls", "handful"),
        ("pints", "pint"),
        ("quarts", "quart"),
        ("gallons", "gallon"),
    ];
    for (word, want) in cases {
        assert_eq!(sym(word), Some(want), "{word}");
    }
}

#[test]
fn other_language_spellings() {
    let cases = [
        // German
        ("Gramm", "g"),
        ("EL", "tbsp"),
        ("TL", "tsp"),
        ("Esslöffel", "tbsp"),
        ("Eßlöffel", "tbsp"),
        ("Teelöffel", "tsp"),
        ("Prise", "pinch"),
        ("Prisen", "pinch"),
        ("Dose", "can"),
        ("Dosen", "can"),
        ("Zehe", "clove"),
        ("Zehen", "clove"),
        ("Liter", "l"),
        ("Tasse", "cup"),
        ("Tassen", "cup"),
        ("Bund", "bunch"),
        ("Stück", "piece"),
        ("Msp.", "pinch"),
        ("Päckchen", "package"),
        // French
        ("cuillère à soupe", "tbsp"),
        ("cuillères à soupe", "tbsp"),
        ("c. à s.", "tbsp"),
        ("c.à.s.", "tbsp"),
        ("cs", "tbsp"),
        ("cuillère à café", "tsp"),
        ("c. à c.", "tsp"),
        ("cc", "tsp"),
        ("gousse", "clove"),
        ("gousses", "clove"),
        ("pincée", "pinch"),
        ("boîte", "can"),
        ("boîtes", "can"),
        ("tasse", "cup"),
        ("litre", "l"),
        ("grammes", "g"),
        // Spanish
        ("cucharada", "tbsp"),
        ("cucharadas", "tbsp"),
        ("cucharadita", "tsp"),
        ("cucharaditas", "tsp"),
        ("taza", "cup"),
        ("tazas", "cup"),
        ("diente", "clove"),
        ("dientes", "clove"),
        ("pizca", "pinch"),
        ("lata", "can"),
        ("latas", "can"),
        ("gramos", "g"),
        // Italian
        ("cucchiaio", "tbsp"),
        ("cucchiai", "tbsp"),
        ("cucchiaino", "tsp"),
        ("cucchiaini", "tsp"),
        ("spicchio", "clove"),
        ("spicchi", "clove"),
        ("pizzico", "pinch"),
        ("grammi", "g"),
    ];
    for (word, want) in cases {
        assert_eq!(sym(word), Some(want), "{word}");
    }
}

#[test]
fn non_units() {
    for word in [
        "", " ", "egg", "eggs", "flour", "large", "ts", "gs", "a", "of", "chili", "x",
    ] {
        assert_eq!(sym(word), None, "{word:?}");
    }
}

#[test]
fn conversions() {
    assert_eq!(convert(1.0, "kg", "g"), Some(1000.0));
    assert_eq!(convert(1000.0, "g", "kg"), Some(1.0));
    let lb = convert(1.0, "lb", "g").unwrap_or(f64::NAN);
    assert!((lb - 453.592).abs() < 1e-3, "{lb}");
    let oz = convert(1.0, "oz", "g").unwrap_or(f64::NAN);
    assert!((oz - 28.3495).abs() < 1e-4, "{oz}");
    assert!(close(convert(3.0, "tsp", "tbsp").unwrap_or(f64::NAN), 1.0));
    assert!(close(convert(1.0, "cup", "tbsp").unwrap_or(f64::NAN), 16.0));
    assert!(roughly(
        convert(1.0, "cup", "ml").unwrap_or(f64::NAN),
        236.588
    ));
    assert!(roughly(
        convert(1.0, "tbsp", "ml").unwrap_or(f64::NAN),
        14.787
    ));
    assert!(roughly(
        convert(1.0, "tsp", "ml").unwrap_or(f64::NAN),
        4.929
    ));
    assert!(close(
        convert(2.0, "pint", "quart").unwrap_or(f64::NAN),
        1.0
    ));
    assert!(close(
        convert(4.0, "quart", "gallon").unwrap_or(f64::NAN),
        1.0
    ));
    assert!(close(convert(8.0, "fl oz", "cup").unwrap_or(f64::NAN), 1.0));
    assert!(close(convert(1.0, "l", "dl").unwrap_or(f64::NAN), 10.0));
    assert!(close(convert(1.0, "dl", "cl").unwrap_or(f64::NAN), 10.0));
    assert!(close(convert(1.0, "g", "mg").unwrap_or(f64::NAN), 1000.0));
    // aliases are accepted
    assert!(close(convert(2.0, "EL", "TL").unwrap_or(f64::NAN), 6.0));
    assert_eq!(convert(2.0, "cups", "cup"), Some(2.0));
}

#[test]
fn incompatible_conversions() {
    assert_eq!(convert(1.0, "g", "ml"), None);
    assert_eq!(convert(1.0, "cup", "g"), None);
    assert_eq!(convert(1.0, "clove", "g"), None);
    assert_eq!(convert(1.0, "clove", "can"), None);
    assert_eq!(convert(1.0, "pinch", "tsp"), None);
    assert_eq!(convert(1.0, "furlong", "g"), None);
    assert_eq!(convert(1.0, "", "g"), None);
    assert_eq!(convert(f64::NAN, "g", "kg"), None);
    assert_eq!(convert(1e308, "kg", "mg"), None, "overflow -> None");
}

#[test]
fn identity_conversions() {
    assert_eq!(convert(2.5, "g", "g"), Some(2.5));
    assert_eq!(convert(3.0, "clove", "clove"), Some(3.0));
    assert_eq!(convert(3.0, "", ""), Some(3.0));
    // Decision: an identical unknown unit is still "the same unit".
    assert_eq!(convert(3.0, "furlong", "furlong"), Some(3.0));
}

#[test]
fn compatibility() {
    assert!(compatible("g", "kg"));
    assert!(compatible("lb", "g"));
    assert!(compatible("cup", "ml"));
    assert!(compatible("tsp", "tbsp"));
    assert!(compatible("clove", "clove"));
    assert!(compatible("clove", "cloves"));
    assert!(compatible("", ""));
    assert!(!compatible("g", "ml"));
    assert!(!compatible("clove", "g"));
    assert!(!compatible("clove", "can"));
    assert!(!compatible("", "g"));
    assert!(!compatible("", "clove"));
    assert!(!compatible("furlong", "g"));
}
