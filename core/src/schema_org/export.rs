//! Export: a Larder recipe as a schema.org `Recipe` JSON-LD object, with timestamps written as
//! RFC 3339 UTC strings (civil-date arithmetic done here, no clock needed).

use serde_json::{Map, Value, json};

use super::duration::format_minutes_iso8601;
use crate::model::Recipe;

/// Builds the JSON-LD object. Empty fields are left out; `name` is always present.
/// `ingredient_lines` are written as given (trimmed, empty ones dropped): the caller formats them.
pub fn export_json_ld(recipe: &Recipe, ingredient_lines: &[String]) -> Value {
    let mut out = Map::new();
    out.insert("@context".into(), json!("https://schema.org"));
    out.insert("@type".into(), json!("Recipe"));
    out.insert("name".into(), json!(recipe.title.trim()));
    insert_text(&mut out, "description", &recipe.description);

    let yield_text = recipe.yield_text.trim();
    let servings = recipe.servings.filter(|&n| n > 0).map(|n| n.to_string());
    match (servings, yield_text.is_empty()) {
        (Some(n), true) => {
            out.insert("recipeYield".into(), json!(n));
        }
        (Some(n), false) => {
            // The serving count first: a reader takes the first number as servings.
            out.insert("recipeYield".into(), json!([n, yield_text]));
        }
        (None, false) => {
            out.insert("recipeYield".into(), json!(yield_text));
        }
        (None, true) => {}
    }

    for (key, minutes) in [
        ("prepTime", recipe.prep_minutes),
        ("cookTime", recipe.cook_minutes),
        ("totalTime", recipe.total_minutes),
    ] {
        if let Some(minutes) = minutes {
            out.insert(key.into(), json!(format_minutes_iso8601(minutes)));
        }
    }

    let tags: Vec<&str> = recipe
        .tags
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .collect();
    if !tags.is_empty() {
        out.insert("keywords".into(), json!(tags.join(", ")));
    }
    insert_text(&mut out, "url", &recipe.source_url);

    let lines: Vec<&str> = ingredient_lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    if !lines.is_empty() {
        out.insert("recipeIngredient".into(), json!(lines));
    }

    let steps: Vec<Value> = recipe
        .steps
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| json!({"@type": "HowToStep", "text": s}))
        .collect();
    if !steps.is_empty() {
        out.insert("recipeInstructions".into(), Value::Array(steps));
    }

    for (key, millis) in [
        ("dateCreated", recipe.created_at),
        ("dateModified", recipe.updated_at),
    ] {
        if let Some(date) = rfc3339_from_millis(millis) {
            out.insert(key.into(), json!(date));
        }
    }
    Value::Object(out)
}

fn insert_text(out: &mut Map<String, Value>, key: &str, text: &str) {
    let text = text.trim();
    if !text.is_empty() {
        out.insert(key.into(), json!(text));
    }
}

/// Milliseconds since the Unix epoch as an RFC 3339 UTC timestamp: `2024-03-05T14:07:09Z`, with
/// `.123` milliseconds when there are any. `0` (never set) and instants outside years 0–9999
/// give `None`.
pub(crate) fn rfc3339_from_millis(millis: i64) -> Option<String> {
    if millis == 0 {
        return None;
    }
    const MS_PER_DAY: i64 = 86_400_000;
    let days = millis.div_euclid(MS_PER_DAY);
    let ms_of_day = millis.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return None;
    }
    let secs = ms_of_day / 1000;
    let ms = ms_of_day % 1000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}");
    if ms != 0 {
        out.push_str(&format!(".{ms:03}"));
    }
    out.push('Z');
    Some(out)
}

/// Proleptic Gregorian (year, month, day) for a count of days since 1970-01-01
/// (H. Hinnant's `civil_from_days`). Exact for every `i64` day count this module passes
/// (|days| < 2^47).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Both fit by the ranges noted above.
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        let table = [
            (1, Some("1970-01-01T00:00:00.001Z")),
            (0, None),
            (-1, Some("1969-12-31T23:59:59.999Z")),
            (951_782_400_000, Some("2000-02-29T00:00:00Z")),
            (1_709_647_629_000, Some("2024-03-05T14:07:09Z")),
            (1_709_647_629_123, Some("2024-03-05T14:07:09.123Z")),
            (4_102_444_800_000, Some("2100-01-01T00:00:00Z")),
            (253_402_300_799_999, Some("9999-12-31T23:59:59.999Z")),
            (253_402_300_800_000, None),
            (-62_167_219_200_000, Some("0000-01-01T00:00:00Z")),
            (-62_167_219_200_001, None),
            (i64::MAX, None),
            (i64::MIN, None),
        ];
        for (millis, expected) in table {
            assert_eq!(
                rfc3339_from_millis(millis).as_deref(),
                expected,
                "millis {millis}"
            );
        }
    }
}
