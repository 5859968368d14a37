//! Durations as other apps write them: free text ("15 mins", "1 hr 10 min", "1½ hours",
//! "1:30", a bare "45") or ISO-8601 (`PT1H10M`), into whole minutes. Unit words are cook
//! mode's (`cook::timers::duration_unit`, five languages) plus `d`/`day(s)` and `m`.

use crate::cook::timers::duration_unit;
use crate::schema_org::parse_iso8601_minutes;

/// Whole minutes (seconds rounded up), or `None` when the text is not a duration.
pub fn parse_minutes(text: &str) -> Option<u32> {
    let text = text.trim();
    if let Some(minutes) = parse_iso8601_minutes(text) {
        return Some(minutes);
    }
    if let Some((hours, minutes)) = text.split_once(':')
        && let (Ok(hours), Ok(minutes)) =
            (hours.trim().parse::<u32>(), minutes.trim().parse::<u32>())
        && minutes < 60
    {
        return hours.checked_mul(60)?.checked_add(minutes);
    }
    let text = text.to_lowercase().replace('½', ".5").replace(',', ".");
    let mut total = 0f64;
    let mut number: Option<f64> = None;
    let mut found = false;
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() || c == '.' {
            let mut digits = String::new();
            while let Some(&d) = chars.peek() {
                if d.is_ascii_digit() || d == '.' {
                    digits.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            if number.is_some() {
                return None; // two numbers with no unit between them
            }
            number = Some(digits.parse().ok()?);
        } else if c.is_alphabetic() {
            let mut word = String::new();
            while let Some(&d) = chars.peek() {
                if d.is_alphabetic() {
                    word.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            let factor = match word.as_str() {
                "d" | "day" | "days" => 24.0 * 60.0,
                "m" => 1.0,
                "and" | "und" | "et" | "about" | "approx" | "ca" => continue,
                unit => duration_unit(unit)?.seconds() / 60.0,
            };
            let n = number.take()?;
            total += n * factor;
            found = true;
        } else {
            chars.next();
        }
    }
    if let Some(n) = number {
        // A trailing bare number: minutes ("45", or "1 hr 10").
        total += n;
        found = true;
    }
    if !found || !total.is_finite() || total < 0.0 || total > f64::from(u32::MAX) {
        return None;
    }
    Some(total.ceil() as u32)
}

/// A time field: blank is no time (no warning); unreadable text is no time plus a warning.
pub fn read_minutes(text: &str, warnings: &mut Vec<super::WarningKind>) -> Option<u32> {
    if text.trim().is_empty() {
        return None;
    }
    let minutes = parse_minutes(text);
    if minutes.is_none() {
        warnings.push(super::WarningKind::UnreadableTime);
    }
    minutes.filter(|m| *m <= crate::model::validate::MAX_MINUTES)
}

#[cfg(test)]
mod tests {
    use super::parse_minutes;

    #[test]
    fn free_text_durations() {
        assert_eq!(parse_minutes("15 mins"), Some(15));
        assert_eq!(parse_minutes("1 hr 10 min"), Some(70));
        assert_eq!(parse_minutes("1 hour 30 minutes"), Some(90));
        assert_eq!(parse_minutes("1½ hours"), Some(90));
        assert_eq!(parse_minutes("2h"), Some(120));
        assert_eq!(parse_minutes("45"), Some(45));
        assert_eq!(parse_minutes("1:30"), Some(90));
        assert_eq!(parse_minutes("PT1H10M"), Some(70));
        assert_eq!(parse_minutes("30 sec"), Some(1));
        assert_eq!(parse_minutes("2 heures 10 minutes"), Some(130));
        assert_eq!(parse_minutes("1 ora"), Some(60));
        assert_eq!(parse_minutes("overnight"), None);
        assert_eq!(parse_minutes(""), None);
    }
}
