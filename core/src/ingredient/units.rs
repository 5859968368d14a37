//! Unit system for ingredient lines: the canonical unit table (symbol,
//! family, factor to the family's base unit), the multilingual alias table
//! used to recognise unit words, and conversion between compatible units.
//!
//! Base units are grams for [`UnitFamily::Mass`], millilitres for
//! [`UnitFamily::Volume`] and 1 for [`UnitFamily::Count`]. US customary
//! volumes use their exact legal definitions (1 cup = 236.5882365 ml,
//! tbsp = cup / 16, tsp = cup / 48), so 3 tsp = 1 tbsp and 16 tbsp = 1 cup
//! hold exactly; avoirdupois ounce and pound are exact as well.

use serde::{Deserialize, Serialize};

/// What a unit measures; only units of the same family can be converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnitFamily {
    /// Weight; base unit gram.
    Mass,
    /// Volume; base unit millilitre.
    Volume,
    /// Countable containers / portions (clove, can, pinch, ...). A count unit
    /// only converts to itself.
    Count,
    /// Anything else; only converts to itself. No built-in unit uses it yet.
    Other,
}

/// A canonical unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Unit {
    /// Canonical symbol, e.g. `"g"`, `"tbsp"`, `"fl oz"`, `"clove"`.
    pub symbol: &'static str,
    pub family: UnitFamily,
    /// Factor to the family's base unit: grams for mass, millilitres for
    /// volume, 1 for count.
    pub to_base: f64,
}

const US_CUP_ML: f64 = 236.588_236_5;

const fn unit(symbol: &'static str, family: UnitFamily, to_base: f64) -> Unit {
    Unit {
        symbol,
        family,
        to_base,
    }
}

use UnitFamily::{Count, Mass, Volume};

/// Every canonical unit. Order is irrelevant; symbols are unique.
pub static UNITS: &[Unit] = &[
    // mass (grams)
    unit("g", Mass, 1.0),
    unit("kg", Mass, 1000.0),
    unit("mg", Mass, 0.001),
    unit("oz", Mass, 28.349_523_125),
    unit("lb", Mass, 453.592_37),
    // volume (millilitres)
    unit("ml", Volume, 1.0),
    unit("l", Volume, 1000.0),
    unit("dl", Volume, 100.0),
    unit("cl", Volume, 10.0),
    unit("tsp", Volume, US_CUP_ML / 48.0),
    unit("tbsp", Volume, US_CUP_ML / 16.0),
    unit("cup", Volume, US_CUP_ML),
    unit("fl oz", Volume, US_CUP_ML / 8.0),
    unit("pint", Volume, US_CUP_ML * 2.0),
    unit("quart", Volume, US_CUP_ML * 4.0),
    unit("gallon", Volume, US_CUP_ML * 16.0),
    // count-ish
    unit("clove", Count, 1.0),
    unit("can", Count, 1.0),
    unit("piece", Count, 1.0),
    unit("pinch", Count, 1.0),
    unit("slice", Count, 1.0),
    unit("bunch", Count, 1.0),
    unit("sprig", Count, 1.0),
    unit("stick", Count, 1.0),
    unit("package", Count, 1.0),
    unit("head", Count, 1.0),
    unit("handful", Count, 1.0),
    unit("dash", Count, 1.0),
];

/// Aliases, keyed by their *normalised* form (see [`normalize_key`]):
/// lowercase, accents folded, dots turned into spaces, whitespace collapsed.
/// Regular plurals ending in `s`/`es` need no entry (see [`lookup_unit`]).
static ALIASES: &[(&str, &str)] = &[
    // ---- mass
    ("g", "g"),
    ("gr", "g"),
    ("grs", "g"),
    ("gm", "g"),
    ("gms", "g"),
    ("gram", "g"),
    ("gramme", "g"),
    ("gramm", "g"),
    ("gramo", "g"),
    ("grammo", "g"),
    ("grammi", "g"),
    ("kg", "kg"),
    ("kgs", "kg"),
    ("kilo", "kg"),
    ("kilogram", "kg"),
    ("kilogramme", "kg"),
    ("kilogramm", "kg"),
    ("kilogramo", "kg"),
    ("chilo", "kg"),
    ("chilogrammo", "kg"),
    ("chilogrammi", "kg"),
    ("mg", "mg"),
    ("milligram", "mg"),
    ("milligramme", "mg"),
    ("milligramm", "mg"),
    ("miligramo", "mg"),
    ("milligrammo", "mg"),
    ("oz", "oz"),
    ("ozs", "oz"),
    ("ounce", "oz"),
    ("onza", "oz"),
    ("oncia", "oz"),
    ("once", "oz"),
    ("lb", "lb"),
    ("lbs", "lb"),
    ("pound", "lb"),
    ("libra", "lb"),
    // ---- volume, metric
    ("ml", "ml"),
    ("millilitre", "ml"),
    ("milliliter", "ml"),
    ("mililitro", "ml"),
    ("millilitro", "ml"),
    ("millilitri", "ml"),
    ("l", "l"),
    ("lt", "l"),
    ("ltr", "l"),
    ("litre", "l"),
    ("liter", "l"),
    ("litro", "l"),
    ("litri", "l"),
    ("dl", "dl"),
    ("decilitre", "dl"),
    ("deciliter", "dl"),
    ("decilitro", "dl"),
    ("cl", "cl"),
    ("centilitre", "cl"),
    ("centiliter", "cl"),
    ("centilitro", "cl"),
    // ---- teaspoon
    ("tsp", "tsp"),
    ("tsps", "tsp"),
    ("tspn", "tsp"),
    ("teaspoon", "tsp"),
    ("teaspoonful", "tsp"),
    ("tl", "tsp"),
    ("teeloffel", "tsp"),
    ("teeloeffel", "tsp"),
    ("cc", "tsp"),
    ("cac", "tsp"),
    ("c a c", "tsp"),
    ("cuillere a cafe", "tsp"),
    ("cuilleres a cafe", "tsp"),
    ("cuilleree a cafe", "tsp"),
    ("cuillerees a cafe", "tsp"),
    ("cuil a cafe", "tsp"),
    ("cucharadita", "tsp"),
    ("cdta", "tsp"),
    ("cdita", "tsp"),
    ("cucchiaino", "tsp"),
    ("cucchiaini", "tsp"),
    // ---- tablespoon
    ("tbsp", "tbsp"),
    ("tbsps", "tbsp"),
    ("tbs", "tbsp"),
    ("tbl", "tbsp"),
    ("tblsp", "tbsp"),
    ("tablespoon", "tbsp"),
    ("tablespoonful", "tbsp"),
    ("el", "tbsp"),
    ("essloffel", "tbsp"),
    ("essloeffel", "tbsp"),
    ("cs", "tbsp"),
    ("cas", "tbsp"),
    ("c a s", "tbsp"),
    ("cuillere a soupe", "tbsp"),
    ("cuilleres a soupe", "tbsp"),
    ("cuilleree a soupe", "tbsp"),
    ("cuillerees a soupe", "tbsp"),
    ("cuil a soupe", "tbsp"),
    ("cucharada", "tbsp"),
    ("cda", "tbsp"),
    ("cdas", "tbsp"),
    ("cucchiaio", "tbsp"),
    ("cucchiai", "tbsp"),
    // ---- cup & US volumes
    ("cup", "cup"),
    ("c", "cup"),
    ("tasse", "cup"),
    ("tassen", "cup"),
    ("taza", "cup"),
    ("tazza", "cup"),
    ("tazze", "cup"),
    ("fl oz", "fl oz"),
    ("floz", "fl oz"),
    ("fluid ounce", "fl oz"),
    ("fluid ounces", "fl oz"),
    ("fl ounce", "fl oz"),
    ("fl ounces", "fl oz"),
    ("pint", "pint"),
    ("pt", "pint"),
    ("pts", "pint"),
    ("quart", "quart"),
    ("qt", "quart"),
    ("qts", "quart"),
    ("gallon", "gallon"),
    ("gal", "gallon"),
    ("gals", "gallon"),
    // ---- count
    ("clove", "clove"),
    ("zehe", "clove"),
    ("zehen", "clove"),
    ("gousse", "clove"),
    ("diente", "clove"),
    ("spicchio", "clove"),
    ("spicchi", "clove"),
    ("can", "can"),
    ("tin", "can"),
    ("dose", "can"),
    ("dosen", "can"),
    ("buchse", "can"),
    ("buchsen", "can"),
    ("boite", "can"),
    ("lata", "can"),
    ("lattina", "can"),
    ("lattine", "can"),
    ("scatola", "can"),
    ("scatole", "can"),
    ("scatoletta", "can"),
    ("piece", "piece"),
    ("pc", "piece"),
    ("pcs", "piece"),
    ("stuck", "piece"),
    ("stk", "piece"),
    ("st", "piece"),
    ("pieza", "piece"),
    ("pezzo", "piece"),
    ("pezzi", "piece"),
    ("pinch", "pinch"),
    ("prise", "pinch"),
    ("prisen", "pinch"),
    ("msp", "pinch"),
    ("messerspitze", "pinch"),
    ("pincee", "pinch"),
    ("pizca", "pinch"),
    ("pizzico", "pinch"),
    ("pizzichi", "pinch"),
    ("slice", "slice"),
    ("scheibe", "slice"),
    ("scheiben", "slice"),
    ("tranche", "slice"),
    ("rebanada", "slice"),
    ("rodaja", "slice"),
    ("fetta", "slice"),
    ("fette", "slice"),
    ("bunch", "bunch"),
    ("bund", "bunch"),
    ("botte", "bunch"),
    ("manojo", "bunch"),
    ("mazzo", "bunch"),
    ("mazzi", "bunch"),
    ("mazzetto", "bunch"),
    ("sprig", "sprig"),
    ("zweig", "sprig"),
    ("zweige", "sprig"),
    ("zweiglein", "sprig"),
    ("brin", "sprig"),
    ("ramita", "sprig"),
    ("rametto", "sprig"),
    ("rametti", "sprig"),
    ("stick", "stick"),
    ("stange", "stick"),
    ("stangen", "stick"),
    ("package", "package"),
    ("pkg", "package"),
    ("pack", "package"),
    ("packet", "package"),
    ("packung", "package"),
    ("packungen", "package"),
    ("packchen", "package"),
    ("pck", "package"),
    ("pkt", "package"),
    ("paquet", "package"),
    ("sachet", "package"),
    ("paquete", "package"),
    ("sobre", "package"),
    ("confezione", "package"),
    ("confezioni", "package"),
    ("bustina", "package"),
    ("bustine", "package"),
    ("head", "head"),
    ("kopf", "head"),
    ("kopfe", "head"),
    ("tete", "head"),
    ("cabeza", "head"),
    ("cespo", "head"),
    ("handful", "handful"),
    ("handvoll", "handful"),
    ("poignee", "handful"),
    ("punado", "handful"),
    ("manciata", "handful"),
    ("dash", "dash"),
    ("splash", "dash"),
    ("spritzer", "dash"),
    ("schuss", "dash"),
    ("trait", "dash"),
    ("chorrito", "dash"),
    ("goccio", "dash"),
];

/// Aliases that must be matched case-sensitively *before* lowercasing,
/// because their lowercase form means something else (`t` is teaspoon).
static CASE_SENSITIVE_ALIASES: &[(&str, &str)] = &[("T", "tbsp"), ("Tb", "tbsp"), ("Ts", "tbsp")];

/// Longest alias in words; bounds the greedy multi-word match in the parser.
pub(super) const MAX_UNIT_WORDS: usize = 4;

/// Canonical unit for a symbol that is exactly canonical.
fn by_symbol(symbol: &str) -> Option<&'static Unit> {
    UNITS.iter().find(|u| u.symbol == symbol)
}

fn fold_char(c: char, out: &mut String) {
    match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => out.push('a'),
        'è' | 'é' | 'ê' | 'ë' => out.push('e'),
        'ì' | 'í' | 'î' | 'ï' => out.push('i'),
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' => out.push('o'),
        'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
        'ñ' => out.push('n'),
        'ç' => out.push('c'),
        'ß' => out.push_str("ss"),
        '.' => out.push(' '),
        _ => out.push(c),
    }
}

/// Dots to spaces, whitespace collapsed, trimmed (case preserved).
fn squash(word: &str) -> String {
    word.replace('.', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Normalised alias key: lowercase, accents folded, dots as spaces,
/// whitespace collapsed. `"C. à S."` -> `"c a s"`, `"Esslöffel"` -> `"essloffel"`.
fn normalize_key(word: &str) -> String {
    let mut folded = String::with_capacity(word.len());
    for c in word.chars().flat_map(char::to_lowercase) {
        fold_char(c, &mut folded);
    }
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn alias(key: &str) -> Option<&'static Unit> {
    ALIASES
        .iter()
        .find(|(a, _)| *a == key)
        .and_then(|(_, sym)| by_symbol(sym))
}

/// Looks up a unit word or phrase: case-insensitive, accent-insensitive,
/// abbreviation-aware (trailing dots ignored) and plural-aware (regular
/// `-s` / `-es` plurals plus listed irregular ones), in English, German,
/// French, Spanish and Italian. Multi-word phrases (`"c. à s."`,
/// `"fl oz"`, `"cuillère à soupe"`) are accepted whole.
///
/// The only case-sensitive spelling is `T` (tablespoon) vs `t` (teaspoon).
pub fn lookup_unit(word: &str) -> Option<&'static Unit> {
    let squashed = squash(word);
    if let Some((_, sym)) = CASE_SENSITIVE_ALIASES.iter().find(|(a, _)| *a == squashed) {
        return by_symbol(sym);
    }
    if squashed == "t" {
        return by_symbol("tsp");
    }
    let key = normalize_key(word);
    if key.is_empty() {
        return None;
    }
    if let Some(u) = alias(&key) {
        return Some(u);
    }
    // Regular plurals: "cups", "pinches", "cucharadas", "gousses".
    // Require a stem of at least 3 chars so short abbreviations such as
    // "ts" or "gs" are not reinterpreted.
    for suffix in ["s", "es"] {
        if let Some(stem) = key.strip_suffix(suffix)
            && stem.chars().count() >= 3
            && let Some(u) = alias(stem)
        {
            return Some(u);
        }
    }
    None
}

/// Resolve a unit string for conversion purposes: the canonical symbol or
/// any alias accepted by [`lookup_unit`].
fn resolve(unit: &str) -> Option<&'static Unit> {
    lookup_unit(unit)
}

/// Converts `quantity` from one unit to another.
///
/// * identical unit strings (after trimming, including `""` and unknown
///   units) -> `Some(quantity)`;
/// * the same canonical unit via different spellings -> `Some(quantity)`;
/// * mass <-> mass and volume <-> volume -> converted value;
/// * anything else (different families, different count units, unknown
///   units, a non-finite input or result) -> `None`.
pub fn convert(quantity: f64, from: &str, to: &str) -> Option<f64> {
    if !quantity.is_finite() {
        return None;
    }
    if from.trim() == to.trim() {
        return Some(quantity);
    }
    let (a, b) = (resolve(from)?, resolve(to)?);
    if a.symbol == b.symbol {
        return Some(quantity);
    }
    if a.family != b.family || !matches!(a.family, UnitFamily::Mass | UnitFamily::Volume) {
        return None;
    }
    let out = quantity * a.to_base / b.to_base;
    out.is_finite().then_some(out)
}

/// True when quantities in `a` and `b` can be added together: the same unit
/// string (`""` with `""` means a bare count of the thing itself), the same
/// canonical unit, or two mass units / two volume units.
pub fn compatible(a: &str, b: &str) -> bool {
    if a.trim() == b.trim() {
        return true;
    }
    match (resolve(a), resolve(b)) {
        (Some(x), Some(y)) => {
            x.symbol == y.symbol
                || (x.family == y.family
                    && matches!(x.family, UnitFamily::Mass | UnitFamily::Volume))
        }
        _ => false,
    }
}

/// Display form of a canonical symbol: word-like symbols are pluralised
/// (`cup` -> `cups`, `pinch` -> `pinches`), abbreviations never are.
/// Every plural form produced here is accepted back by [`lookup_unit`].
pub(super) fn display_unit(symbol: &str, plural: bool) -> String {
    if !plural {
        return symbol.to_string();
    }
    match symbol {
        "pinch" | "bunch" | "dash" => format!("{symbol}es"),
        "cup" | "clove" | "can" | "piece" | "slice" | "sprig" | "stick" | "package" | "head"
        | "handful" | "pint" | "quart" | "gallon" => format!("{symbol}s"),
        _ => symbol.to_string(),
    }
}

#[cfg(test)]
mod tests;
