//! Ingredient-line parsing and formatting: splitting a free-text line such
//! as `"2 1/2 cups flour, sifted"` into quantity, optional range maximum,
//! canonical unit, name and note; formatting those parts back into a line;
//! pretty-printing quantities as kitchen fractions; and normalising names
//! so grocery items can be merged.
//!
//! Parsing never fails: whatever cannot be understood ends up in `name`.

use serde::{Deserialize, Serialize};

use super::units::{self, MAX_UNIT_WORDS, Unit};

/// One parsed ingredient line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParsedIngredient {
    /// Amount, always finite and `>= 0` when present.
    pub quantity: Option<f64>,
    /// Upper end of a range (`"2-3"`); only present together with
    /// `quantity`, and then `>= quantity`.
    pub quantity_max: Option<f64>,
    /// Canonical unit symbol (see `units::UNITS`), `""` if none.
    pub unit: String,
    /// What the ingredient is, adjectives included (`"large onion"`).
    pub name: String,
    /// Everything else: parenthesised text, text after the first comma,
    /// "to taste", alternative measures. Multiple notes joined by `", "`.
    pub note: String,
}

/// Phrases that end a line and mean "no fixed amount".
const TO_TASTE: &[&str] = &[
    "to taste",
    "as needed",
    "as required",
    "nach geschmack",
    "nach belieben",
    "au goût",
    "selon le goût",
    "al gusto",
    "a gusto",
    "q.b.",
    "quanto basta",
];

/// Words meaning "one" that count as a quantity when a unit follows:
/// `"a pinch of salt"`, `"eine Prise Salz"`, `"une gousse d'ail"`.
const ARTICLES: &[&str] = &[
    "a", "an", "one", "ein", "eine", "einen", "un", "une", "una", "uno",
];

/// Words between the two numbers of a range (besides dashes); also between two cooking times.
pub(crate) const RANGE_WORDS: &[&str] = &["to", "or", "bis", "à", "a", "o"];

/// Connectors dropped between a unit and the name (`"cup of sugar"`).
const CONNECTORS: &[&str] = &["of", "de", "di", "von"];

/// Quantity equal to `n / d` for the Unicode vulgar fraction characters.
fn vulgar_fraction(c: char) -> Option<f64> {
    let (n, d) = match c {
        '½' => (1.0, 2.0),
        '⅓' => (1.0, 3.0),
        '⅔' => (2.0, 3.0),
        '¼' => (1.0, 4.0),
        '¾' => (3.0, 4.0),
        '⅕' => (1.0, 5.0),
        '⅖' => (2.0, 5.0),
        '⅗' => (3.0, 5.0),
        '⅘' => (4.0, 5.0),
        '⅙' => (1.0, 6.0),
        '⅚' => (5.0, 6.0),
        '⅐' => (1.0, 7.0),
        '⅛' => (1.0, 8.0),
        '⅜' => (3.0, 8.0),
        '⅝' => (5.0, 8.0),
        '⅞' => (7.0, 8.0),
        '⅑' => (1.0, 9.0),
        '⅒' => (1.0, 10.0),
        _ => return None,
    };
    Some(n / d)
}

fn is_fraction_slash(c: char) -> bool {
    c == '/' || c == '⁄'
}

/// Splits off the leading ASCII digits of `s`.
fn take_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

/// A leading Unicode vulgar fraction.
fn leading_vulgar(s: &str) -> Option<(f64, &str)> {
    let c = s.chars().next()?;
    vulgar_fraction(c).map(|v| (v, &s[c.len_utf8()..]))
}

/// `"3/4..."` -> (0.75, rest). Zero denominators are rejected.
fn simple_fraction(s: &str) -> Option<(f64, &str)> {
    let (num, rest) = take_digits(s);
    if num.is_empty() {
        return None;
    }
    let slash = rest.chars().next().filter(|c| is_fraction_slash(*c))?;
    let (den, rest) = take_digits(&rest[slash.len_utf8()..]);
    let (n, d) = (num.parse::<f64>().ok()?, den.parse::<f64>().ok()?);
    if den.is_empty() || d == 0.0 {
        return None;
    }
    Some((n / d, rest))
}

/// Scientific notation right after a number (`1e400`) is not a kitchen
/// quantity; such tokens are left as text.
fn starts_with_exponent(s: &str) -> bool {
    let mut it = s.chars();
    match it.next() {
        Some('e' | 'E') => match it.next() {
            Some(c) if c.is_ascii_digit() => true,
            Some('+' | '-') => it.next().is_some_and(|c| c.is_ascii_digit()),
            _ => false,
        },
        _ => false,
    }
}

/// Parses a non-negative number at the very start of `s`:
/// `2`, `2.5`, `2,5`, `1/2`, `½`, `1½`, `1 ½`, `2 1/2`, `1⁄2`.
/// Returns `None` for anything else, including non-finite results. Also reads the numbers of
/// cooking times in steps (`crate::cook::timers`).
pub(crate) fn parse_number(s: &str) -> Option<(f64, &str)> {
    let (value, rest) = parse_number_inner(s)?;
    (value.is_finite() && value >= 0.0).then_some((value, rest))
}

fn parse_number_inner(s: &str) -> Option<(f64, &str)> {
    if let Some(found) = leading_vulgar(s) {
        return Some(found);
    }
    if let Some((v, rest)) = simple_fraction(s) {
        return (!starts_with_exponent(rest)).then_some((v, rest));
    }
    let (int, rest) = take_digits(s);
    if int.is_empty() {
        return None;
    }
    // Decimal point or decimal comma, only when a digit follows.
    if let Some(sep @ ('.' | ',')) = rest.chars().next() {
        let (frac, after) = take_digits(&rest[sep.len_utf8()..]);
        if !frac.is_empty() {
            if starts_with_exponent(after) {
                return None;
            }
            let v = format!("{int}.{frac}").parse::<f64>().ok()?;
            return Some((v, after));
        }
    }
    if starts_with_exponent(rest) {
        return None;
    }
    let whole = int.parse::<f64>().ok()?;
    // "1½"
    if let Some((f, after)) = leading_vulgar(rest) {
        return Some((whole + f, after));
    }
    // "1 ½", "2 1/2"
    let spaced = rest.trim_start();
    if spaced.len() < rest.len()
        && let Some((f, after)) = leading_vulgar(spaced).or_else(|| simple_fraction(spaced))
    {
        return Some((whole + f, after));
    }
    Some((whole, rest))
}

/// Parses `quantity [sep quantity_max]` at the start of `s` (also ranges of cooking times).
pub(crate) fn parse_range(s: &str) -> Option<(f64, Option<f64>, &str)> {
    let (min, rest) = parse_number(s)?;
    let after_min = rest.trim_start();
    let mut candidates: Vec<&str> = Vec::new();
    if let Some(c @ ('-' | '–' | '—' | '~')) = after_min.chars().next() {
        candidates.push(&after_min[c.len_utf8()..]);
    }
    if let Some((word, tail)) = after_min.split_once(char::is_whitespace)
        && RANGE_WORDS.contains(&word.to_lowercase().as_str())
    {
        candidates.push(tail);
    }
    for tail in candidates {
        if let Some((max, rest2)) = parse_number(tail.trim_start()) {
            let (lo, hi) = if max < min { (max, min) } else { (min, max) };
            let hi = (hi != lo).then_some(hi);
            return Some((lo, hi, rest2));
        }
    }
    Some((min, None, rest))
}

/// Byte offsets where the first `MAX_UNIT_WORDS` tokens of `s` end. Tokens
/// are separated by whitespace and also end before `/`, so `cup/240 ml`
/// yields `cup`.
fn token_ends(s: &str) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut in_token = false;
    for (i, c) in s.char_indices() {
        let sep = c.is_whitespace() || c == '/';
        if sep && in_token {
            ends.push(i);
            if ends.len() == MAX_UNIT_WORDS {
                return ends;
            }
        }
        if c == '/' {
            // '/' ends the candidate unit phrase entirely.
            return ends;
        }
        in_token = !sep;
    }
    if in_token {
        ends.push(s.len());
    }
    ends
}

/// Greedy unit match at the start of `s`: the longest run of up to
/// `MAX_UNIT_WORDS` tokens that is a known unit phrase wins.
fn match_unit(s: &str) -> Option<(&'static Unit, &str)> {
    let s = s.trim_start();
    token_ends(s)
        .into_iter()
        .rev()
        .find_map(|end| units::lookup_unit(&s[..end]).map(|u| (u, &s[end..])))
}

/// Removes parenthesised groups; returns the remaining text and the group
/// contents (nested parentheses kept literally, an unclosed group runs to
/// the end of the line).
fn extract_parens(line: &str) -> (String, Vec<String>) {
    let mut main = String::with_capacity(line.len());
    let mut notes = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for c in line.chars() {
        match c {
            '(' => {
                if depth > 0 {
                    current.push(c);
                } else {
                    main.push(' ');
                }
                depth += 1;
            }
            ')' if depth > 0 => {
                depth -= 1;
                if depth > 0 {
                    current.push(c);
                } else {
                    notes.push(std::mem::take(&mut current));
                }
            }
            _ if depth > 0 => current.push(c),
            _ => main.push(c),
        }
    }
    if depth > 0 {
        notes.push(current);
    }
    (main, notes)
}

/// Splits at the first comma that is not a decimal comma (`1,5`).
fn split_comma(s: &str) -> (&str, Option<&str>) {
    for (i, c) in s.char_indices() {
        if c != ',' {
            continue;
        }
        let digit_before = s[..i].ends_with(|c: char| c.is_ascii_digit());
        let digit_after = s[i + 1..].starts_with(|c: char| c.is_ascii_digit());
        if !(digit_before && digit_after) {
            return (&s[..i], Some(&s[i + 1..]));
        }
    }
    (s, None)
}

/// Strips a trailing "to taste" phrase (whole word, case-insensitive).
fn split_to_taste(s: &str) -> (&str, Option<&str>) {
    let trimmed = s.trim_end();
    for phrase in TO_TASTE {
        let Some(start) = trimmed.len().checked_sub(phrase.len()) else {
            continue;
        };
        if !trimmed.is_char_boundary(start) {
            continue;
        }
        let tail = &trimmed[start..];
        let head = &trimmed[..start];
        let at_word_start = head.is_empty() || head.ends_with(char::is_whitespace);
        if at_word_start && tail.to_lowercase() == *phrase {
            return (head, Some(tail));
        }
    }
    (s, None)
}

/// Drops a list bullet (`- `, `* `, `• `) at the start of a line.
fn strip_bullet(s: &str) -> &str {
    let s = s.trim_start();
    for bullet in ['-', '*', '•', '·', '–', '—'] {
        if let Some(rest) = s.strip_prefix(bullet)
            && rest.starts_with(char::is_whitespace)
        {
            return rest.trim_start();
        }
    }
    s
}

/// Drops `of` / `de` / `di` / `von` and an elided `d'` after a unit.
fn strip_connector(s: &str) -> &str {
    let s = s.trim_start();
    for elided in ["d'", "d’", "D'", "D’"] {
        if let Some(rest) = s.strip_prefix(elided) {
            return rest;
        }
    }
    if let Some((word, rest)) = s.split_once(char::is_whitespace) {
        if CONNECTORS.contains(&word.to_lowercase().as_str()) {
            return rest.trim_start();
        }
    } else if CONNECTORS.contains(&s.to_lowercase().as_str()) {
        return "";
    }
    s
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `"/ 280 g ..."` right after a unit: an alternative measure. Returns
/// the measure text and what follows it.
fn alternative_measure(s: &str) -> Option<(&str, &str)> {
    let body = s.trim_start().strip_prefix('/')?.trim_start();
    let (_, _, after_num) = parse_range(body)?;
    let (_, after_unit) = match_unit(after_num)?;
    Some((&body[..body.len() - after_unit.len()], after_unit))
}

/// `"plus 2 tbsp ..."` / `"+ 2 tbsp ..."` right after a unit.
fn plus_measure(s: &str) -> Option<(&str, &str)> {
    let body = s.trim_start();
    let lower = body.get(..5).map(str::to_lowercase);
    let after_word = if lower.as_deref() == Some("plus ") {
        &body[5..]
    } else {
        body.strip_prefix('+')?
    };
    let (_, _, after_num) = parse_range(after_word.trim_start())?;
    let rest = match_unit(after_num).map_or(after_num, |(_, r)| r);
    Some((&body[..body.len() - rest.len()], rest))
}

/// Parses a free-text ingredient line. Never fails and never panics;
/// text that is not understood becomes the name.
///
/// * quantity: integers, decimals (`.` or `,`), fractions (`1/2`, `2 1/2`),
///   Unicode fractions (`½`, `1½`, `1 ½`), ranges (`2-3`, `2–3`, `2 to 3`),
///   or `a`/`an`/`ein`/`une`/... when a unit follows. Never negative.
/// * unit: matched only right after a quantity (greedy, multi-word first);
///   the single exception is a line starting with a pinch/dash unit
///   (`"pinch of salt"` -> 1 pinch).
/// * note: parenthesised text, an alternative measure after `/`, a
///   `plus ...` measure, a trailing "to taste", and the text after the
///   first comma, in that order, joined with `", "`.
pub fn parse_line(line: &str) -> ParsedIngredient {
    let (without_parens, mut notes) = extract_parens(line);
    let (main, comma_note) = split_comma(&without_parens);
    let (main, taste_note) = split_to_taste(main);
    let mut rest = strip_bullet(main);

    let mut out = ParsedIngredient::default();

    if let Some((q, max, after)) = parse_range(rest) {
        out.quantity = Some(q);
        out.quantity_max = max;
        rest = after;
        if let Some((unit, after_unit)) = match_unit(rest) {
            out.unit = unit.symbol.to_string();
            rest = after_unit;
        }
    } else if let Some((first, tail)) = rest.split_once(char::is_whitespace) {
        let is_article = ARTICLES.contains(&first.to_lowercase().as_str());
        if let Some((unit, after_unit)) = match_unit(tail).filter(|_| is_article) {
            out.quantity = Some(1.0);
            out.unit = unit.symbol.to_string();
            rest = after_unit;
        }
    }
    if out.quantity.is_none()
        && let Some((unit, after_unit)) =
            match_unit(rest).filter(|(u, _)| matches!(u.symbol, "pinch" | "dash"))
    {
        out.quantity = Some(1.0);
        out.unit = unit.symbol.to_string();
        rest = after_unit;
    }

    if !out.unit.is_empty() {
        if let Some((alt, after)) = alternative_measure(rest) {
            notes.push(alt.to_string());
            rest = after;
        }
        if let Some((plus, after)) = plus_measure(rest) {
            notes.push(plus.to_string());
            rest = after;
        }
        rest = strip_connector(rest);
    }

    out.name = collapse_ws(rest);
    notes.extend(taste_note.map(str::to_string));
    notes.extend(comma_note.map(str::to_string));
    out.note = notes
        .iter()
        .map(|n| collapse_ws(n))
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    out
}

/// Denominators offered by [`format_quantity`], in order of preference.
const DENOMINATORS: [u32; 4] = [2, 3, 4, 8];
/// How far a value may be from a nice fraction and still be shown as one.
const FRACTION_TOLERANCE: f64 = 0.005;

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Kitchen-friendly quantity: halves, thirds, quarters and eighths as
/// fractions (`2.5` -> `"2 1/2"`, `0.333..` -> `"1/3"`), whole numbers
/// without decimals, everything else with at most two decimals
/// (`1.234` -> `"1.23"`). Non-finite input gives `""`.
pub fn format_quantity(q: f64) -> String {
    if !q.is_finite() {
        return String::new();
    }
    if q < 0.0 {
        return format!("-{}", format_quantity(-q));
    }
    let whole = q.floor();
    let frac = q - whole;
    let best = DENOMINATORS
        .iter()
        .map(|&d| {
            let n = (frac * f64::from(d)).round();
            (n, d, (frac - n / f64::from(d)).abs())
        })
        .min_by(|a, b| a.2.total_cmp(&b.2));
    if let Some((n, d, _err)) = best.filter(|b| b.2 < FRACTION_TOLERANCE) {
        // n is in 0..=d here, so the cast is exact.
        let n = n as u32;
        if n == 0 || n == d {
            return format!("{:.0}", whole + f64::from(n / d));
        }
        let g = gcd(n, d);
        let (n, d) = (n / g, d / g);
        return if whole == 0.0 {
            format!("{n}/{d}")
        } else {
            format!("{whole:.0} {n}/{d}")
        };
    }
    let s = format!("{q:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Formats the parts back into a line that [`parse_line`] reads back to the
/// same parts: `"2 1/2 cups flour, sifted"`, `"2-3 cloves garlic"`.
///
/// Word-like units are pluralised when the amount (or the range maximum) is
/// greater than 1; abbreviations (`g`, `tbsp`, `fl oz`) never are. A
/// `quantity_max` without `quantity` is ignored.
pub fn format_line(
    quantity: Option<f64>,
    quantity_max: Option<f64>,
    unit: &str,
    name: &str,
    note: &str,
) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut plural = false;
    if let Some(q) = quantity {
        let mut s = format_quantity(q);
        let top = match quantity_max {
            Some(m) => {
                s.push('-');
                s.push_str(&format_quantity(m));
                m
            }
            None => q,
        };
        plural = top > 1.0;
        parts.push(s);
    }
    let unit = unit.trim();
    if !unit.is_empty() {
        parts.push(units::display_unit(unit, plural));
    }
    let name = name.trim();
    if !name.is_empty() {
        parts.push(name.to_string());
    }
    let mut line = parts.join(" ");
    let note = note.trim();
    if !note.is_empty() {
        if !line.is_empty() {
            line.push_str(", ");
        }
        line.push_str(note);
    }
    line
}

/// Words ending in "s" that are not plurals (beyond the `-ss`/`-us`/`-is`
/// rule).
const INVARIANT_NOUNS: &[&str] = &["molasses", "series", "species"];

/// Naive English singular of one lowercase word.
fn singular(word: &str) -> String {
    let n = word.chars().count();
    if n <= 3 || INVARIANT_NOUNS.contains(&word) {
        return word.to_string();
    }
    if let Some(stem) = word.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for suffix in ["oes", "ches", "shes", "sses", "xes"] {
        if word.ends_with(suffix) {
            return word[..word.len() - 2].to_string();
        }
    }
    if ["ss", "us", "is"].iter().any(|s| word.ends_with(s)) {
        return word.to_string();
    }
    word.strip_suffix('s').unwrap_or(word).to_string()
}

/// Key for merging grocery items: lowercase, trimmed, whitespace collapsed,
/// and the last word folded to a naive English singular
/// (`"Cherry  Tomatoes"` -> `"cherry tomato"`, `"eggs"` -> `"egg"`).
/// Accents are kept.
pub fn normalize_name(name: &str) -> String {
    let lower = name.to_lowercase();
    let mut words: Vec<String> = lower.split_whitespace().map(str::to_string).collect();
    if let Some(last) = words.last_mut() {
        *last = singular(last);
    }
    words.join(" ")
}
