//! ISO-8601 durations as schema.org uses them for `prepTime`, `cookTime` and `totalTime`:
//! parsing them into whole minutes and writing minutes back out (`PT1H30M`).

/// Seconds in a day and in a week (the date-part designators `D` and `W`).
const DAY: u64 = 24 * 60 * 60;
const WEEK: u64 = 7 * DAY;

/// Parses an ISO-8601 duration such as `PT1H30M` into whole minutes.
///
/// - Accepted designators: `W`, `D` before `T`; `H`, `M`, `S` after it, each at most once and in
///   that order. Letters are case-insensitive and surrounding whitespace is ignored.
/// - `Y` and `M` (years, months) before `T` are accepted only when zero (`P0Y0M0DT0H35M0.000S`
///   is a shape some sites emit); a non-zero month or year has no fixed length, so it gives `None`.
/// - Any component may carry a decimal fraction (`PT1.5H` → 90, `,` works as the separator too).
/// - Seconds are rounded **up** to the next whole minute: `PT90S` → 2, `PT1M1S` → 2, `PT30S` → 1,
///   so a short step never reads as "0 minutes". `PT0S` is 0.
/// - Negative durations, empty ones (`P`, `PT`), a `T` with nothing after it, anything that
///   overflows `u32` minutes and all other text give `None`.
pub fn parse_iso8601_minutes(s: &str) -> Option<u32> {
    let s = s.trim();
    let rest = s.strip_prefix(['P', 'p'])?;
    let mut chars = rest.chars().peekable();
    // Position of the designator in `ORDER`; designators must come in strictly increasing order.
    const ORDER: [(char, bool); 7] = [
        ('Y', false),
        ('M', false),
        ('W', false),
        ('D', false),
        ('H', true),
        ('M', true),
        ('S', true),
    ];
    let mut next_slot = 0usize;
    let mut in_time = false;
    let mut components = 0usize;
    let mut time_components = 0usize;
    // Running total in 1/SCALE seconds, so fractions add up exactly.
    const SCALE: u128 = 1_000_000_000;
    let mut total: u128 = 0;

    while let Some(&c) = chars.peek() {
        if c == 'T' || c == 't' {
            if in_time {
                return None;
            }
            in_time = true;
            chars.next();
            continue;
        }
        // Number: digits, optional fraction.
        let mut int_part: u128 = 0;
        let mut frac_part: u128 = 0;
        let mut frac_digits = 0u32;
        let mut saw_digit = false;
        let mut in_frac = false;
        while let Some(&d) = chars.peek() {
            if let Some(v) = d.to_digit(10) {
                saw_digit = true;
                if in_frac {
                    // Digits past nanosecond precision are irrelevant for minutes.
                    if frac_digits < 9 {
                        frac_part = frac_part * 10 + u128::from(v);
                        frac_digits += 1;
                    }
                } else {
                    int_part = int_part.checked_mul(10)?.checked_add(u128::from(v))?;
                    if int_part > u128::from(u64::MAX) {
                        return None;
                    }
                }
            } else if (d == '.' || d == ',') && !in_frac {
                in_frac = true;
            } else {
                break;
            }
            chars.next();
        }
        if !saw_digit {
            return None;
        }
        let designator = chars.next()?;
        let designator = designator.to_ascii_uppercase();
        let slot = ORDER
            .iter()
            .enumerate()
            .skip(next_slot)
            .find(|(_, (letter, time))| *letter == designator && *time == in_time)
            .map(|(i, _)| i)?;
        next_slot = slot + 1;
        let unit_seconds: u128 = match (designator, in_time) {
            ('Y', false) | ('M', false) => {
                if int_part != 0 || frac_part != 0 {
                    return None;
                }
                0
            }
            ('W', false) => u128::from(WEEK),
            ('D', false) => u128::from(DAY),
            ('H', true) => 3600,
            ('M', true) => 60,
            ('S', true) => 1,
            _ => return None,
        };
        let frac_scale = 10u128.pow(frac_digits);
        // value * unit in units of 1/SCALE seconds.
        let scaled = int_part
            .checked_mul(SCALE)?
            .checked_add(frac_part.checked_mul(SCALE / frac_scale)?)?;
        total = total.checked_add(scaled.checked_mul(unit_seconds)?)?;
        components += 1;
        if in_time {
            time_components += 1;
        }
    }
    if components == 0 || (in_time && time_components == 0) {
        return None;
    }
    let minute = 60 * SCALE;
    let minutes = total.div_ceil(minute);
    u32::try_from(minutes).ok()
}

/// Writes minutes as an ISO-8601 duration: `90` → `PT1H30M`, `45` → `PT45M`, `0` → `PT0M`.
/// Days are not used (`PT26H`), which every reader handles and which reads back unchanged.
pub fn format_minutes_iso8601(minutes: u32) -> String {
    let hours = minutes / 60;
    let mins = minutes % 60;
    match (hours, mins) {
        (0, m) => format!("PT{m}M"),
        (h, 0) => format!("PT{h}H"),
        (h, m) => format!("PT{h}H{m}M"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_table() {
        let table: &[(&str, Option<u32>)] = &[
            ("PT1H30M", Some(90)),
            ("PT45M", Some(45)),
            ("P0DT2H", Some(120)),
            ("PT90S", Some(2)),
            ("PT60S", Some(1)),
            ("PT30S", Some(1)),
            ("PT0S", Some(0)),
            ("PT0M", Some(0)),
            ("PT1M1S", Some(2)),
            ("P1D", Some(1440)),
            ("P1DT1H", Some(1500)),
            ("P1W", Some(10080)),
            ("PT1.5H", Some(90)),
            ("PT0,5H", Some(30)),
            ("PT2H", Some(120)),
            ("pt20m", Some(20)),
            ("  PT15M  ", Some(15)),
            ("P0Y0M0DT0H35M0.000S", Some(35)),
            ("PT0H35M", Some(35)),
            ("PT120M", Some(120)),
            ("PT26H", Some(1560)),
            ("P1M", None),
            ("P1Y", None),
            ("PT1M30", None),
            ("PT", None),
            ("P", None),
            ("P1DT", None),
            ("", None),
            ("30 minutes", None),
            ("1:30", None),
            ("PT30X", None),
            ("PTM", None),
            ("PT1H1H", None),
            ("PT30M1H", None),
            ("-PT5M", None),
            ("PT-5M", None),
            ("PPT5M", None),
            ("PT5M ", Some(5)),
            ("PT5 M", None),
            ("PT1.2.3M", None),
            ("PT99999999999999999999999999999999H", None),
            ("PT71582789H", None),
            ("PT71582788H", Some(4_294_967_280)),
            ("PT71582788M", Some(71_582_788)),
            ("P1TD", None),
            ("PT1HT", None),
            ("P1DT1D", None),
            ("PT1Ｈ", None),
            ("P١D", None),
        ];
        for (input, expected) in table {
            assert_eq!(parse_iso8601_minutes(input), *expected, "input {input:?}");
        }
    }

    #[test]
    fn format_table() {
        for (minutes, expected) in [
            (0, "PT0M"),
            (5, "PT5M"),
            (60, "PT1H"),
            (90, "PT1H30M"),
            (1440, "PT24H"),
            (1501, "PT25H1M"),
        ] {
            assert_eq!(format_minutes_iso8601(minutes), expected);
            assert_eq!(parse_iso8601_minutes(expected), Some(minutes));
        }
        assert_eq!(
            parse_iso8601_minutes(&format_minutes_iso8601(u32::MAX)),
            Some(u32::MAX)
        );
    }
}
