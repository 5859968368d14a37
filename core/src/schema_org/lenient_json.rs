//! A lenient JSON reader for the slightly broken JSON-LD real pages carry: strict first, then
//! once more after repairing the usual mistakes (raw control characters inside strings, invalid
//! escapes, trailing commas). Hand-written: raw line breaks inside strings, the commonest
//! mistake, are not valid JSON5 either, so a relaxed-JSON parser would not read these pages.

use serde_json::Value;

/// Parses JSON, retrying once after repairing the mistakes pages commonly make (raw line breaks
/// and tabs inside strings, invalid `\'` escapes, trailing commas). Returns the value and, if a
/// repair was needed, a warning saying so. The error is the one for the original text.
pub(crate) fn parse_json_lenient(text: &str) -> Result<(Value, Option<String>), serde_json::Error> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    match serde_json::from_str::<Value>(text) {
        Ok(value) => Ok((value, None)),
        Err(err) => {
            if let Some(repaired) = repair_json(text)
                && let Ok(value) = serde_json::from_str::<Value>(&repaired)
            {
                return Ok((
                    value,
                    Some(format!(
                        "the JSON-LD was malformed ({err}) and was read after repairing it"
                    )),
                ));
            }
            Err(err)
        }
    }
}

/// The repaired text, if anything was changed. Linear, no recursion.
fn repair_json(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len() + 16);
    let mut changed = false;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if in_string {
            if escaped {
                escaped = false;
                if matches!(c, '"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't' | 'u') {
                    out.push('\\');
                } else {
                    changed = true;
                }
                push_string_char(&mut out, c, &mut changed);
                continue;
            }
            match c {
                '\\' => escaped = true,
                '"' => {
                    in_string = false;
                    out.push(c);
                }
                _ => push_string_char(&mut out, c, &mut changed),
            }
        } else {
            match c {
                '"' => {
                    in_string = true;
                    out.push(c);
                }
                ',' => {
                    let rest = s.get(i + c.len_utf8()..).unwrap_or("");
                    if rest.trim_start().starts_with(['}', ']']) {
                        changed = true;
                    } else {
                        out.push(c);
                    }
                }
                _ => out.push(c),
            }
        }
    }
    if escaped {
        out.push('\\');
    }
    changed.then_some(out)
}

/// Pushes a character that sits inside a JSON string, escaping raw control characters.
fn push_string_char(out: &mut String, c: char, changed: &mut bool) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
        c => {
            out.push(c);
            return;
        }
    }
    *changed = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_common_json_mistakes() {
        let text = "{\"name\": \"Line one\nline\ttwo\", \"k\": [1, 2,], \"q\": \"it\\'s\",}";
        let (value, warning) = parse_json_lenient(text).expect("repairable");
        assert!(warning.is_some());
        assert_eq!(value["name"], "Line one\nline\ttwo");
        assert_eq!(value["k"], serde_json::json!([1, 2]));
        assert_eq!(value["q"], "it's");
        // Commas inside strings are left alone.
        let (value, warning) = parse_json_lenient(r#"{"a": "x, ]"}"#).expect("valid");
        assert!(warning.is_none());
        assert_eq!(value["a"], "x, ]");
        assert!(parse_json_lenient(r#"{"a": "#).is_err());
    }
}
