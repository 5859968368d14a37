//! Cooking times in a step's text: finds phrases such as "bake 25 minutes", "1 h 30",
//! "10 to 15 minutes", "45 Sekunden" or "half an hour" and gives each one's byte span and
//! duration, so cook mode can show the phrase as a timer button. Units are English, French,
//! German, Spanish and Italian (also used by `import::times` for imported time fields); numbers
//! are read by the ingredient parser's number reader (decimals with `.` or `,`, `1/2`, `½`,
//! `1½`, `2 1/2`).
//!
//! A range ("10 to 15 minutes", "1-2 hours") counts down its upper end and reports the lower
//! end as `min_seconds` (when to start checking). Text with no number and no known phrase
//! ("overnight", "until golden", "a few minutes") gives no timer; numbers without a time unit
//! ("350°F", "2 tbsp", "Step 3") give none either.

use crate::ingredient::parse::{RANGE_WORDS, parse_number, parse_range};

/// The longest timer taken from a step: a week. Anything longer is not a countdown.
pub const MAX_TIMER_SECONDS: u32 = 7 * 24 * 3600;

/// A unit of time, smallest first (so `Second < Minute < Hour`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DurationUnit {
    Second,
    Minute,
    Hour,
}

impl DurationUnit {
    pub fn seconds(self) -> f64 {
        match self {
            DurationUnit::Second => 1.0,
            DurationUnit::Minute => 60.0,
            DurationUnit::Hour => 3600.0,
        }
    }
}

/// A time-unit word (case-insensitive, without a trailing abbreviation dot): `min`, `Minuten`,
/// `heures`, `Std`, `segundos`, `ore`… Not `m` or `d` (metres, days are not steps' timers).
pub fn duration_unit(word: &str) -> Option<DurationUnit> {
    Some(match word.to_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" | "seconde" | "secondes" | "sek"
        | "sekunde" | "sekunden" | "seg" | "segundo" | "segundos" | "secondo" | "secondi" => {
            DurationUnit::Second
        }
        "min" | "mins" | "minute" | "minutes" | "minuten" | "mn" | "minuto" | "minutos"
        | "minuti" => DurationUnit::Minute,
        "h" | "hr" | "hrs" | "hour" | "hours" | "heure" | "heures" | "std" | "stunde"
        | "stunden" | "hora" | "horas" | "ora" | "ore" => DurationUnit::Hour,
        _ => return None,
    })
}

/// One cooking time found in a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerSpan {
    /// Byte offsets of the phrase in the step's text (`&text[start..end]` is the phrase).
    pub start: usize,
    pub end: usize,
    /// What the timer counts down: the duration, or the upper end of a range.
    pub seconds: u32,
    /// The lower end of a range ("10 to 15 minutes": 600); `None` for a single duration.
    pub min_seconds: Option<u32>,
}

/// Durations written without digits, lower case (`'` also matches `’`). Longest first where
/// one starts another ("une heure et demie" before "une heure").
const PHRASES: &[(&str, u32)] = &[
    ("an hour and a half", 5400),
    ("half an hour", 1800),
    ("a quarter of an hour", 900),
    ("an hour", 3600),
    ("one hour", 3600),
    ("a minute", 60),
    ("one minute", 60),
    ("une heure et demie", 5400),
    ("une demi-heure", 1800),
    ("un quart d'heure", 900),
    ("une heure", 3600),
    ("une minute", 60),
    ("eineinhalb stunden", 5400),
    ("anderthalb stunden", 5400),
    ("eine halbe stunde", 1800),
    ("eine viertelstunde", 900),
    ("eine stunde", 3600),
    ("eine minute", 60),
    ("una hora y media", 5400),
    ("media hora", 1800),
    ("un cuarto de hora", 900),
    ("una hora", 3600),
    ("un minuto", 60),
    ("un'ora e mezza", 5400),
    ("mezz'ora", 1800),
    ("mezzora", 1800),
    ("un quarto d'ora", 900),
    ("un'ora", 3600),
];

/// Words joining the parts of one duration ("1 hour and 15 minutes", "1 ora e 30 minuti").
const JOINERS: &[&str] = &["and", "und", "et", "y", "e"];

/// Every cooking time in `text`, in order, not overlapping.
pub fn find_timers(text: &str) -> Vec<TimerSpan> {
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        let rest = &text[i..];
        if starts_word(text, i)
            && let Some((len, seconds, min_seconds)) =
                numeric_duration(rest).or_else(|| phrase_duration(rest))
        {
            let seconds = whole_seconds(seconds);
            let min_seconds = min_seconds.and_then(whole_seconds);
            if let Some(seconds) = seconds {
                found.push(TimerSpan {
                    start: i,
                    end: i + len,
                    seconds,
                    min_seconds: min_seconds.filter(|m| *m < seconds),
                });
            }
            i += len;
            continue;
        }
        i += c.len_utf8();
    }
    found
}

/// A number or phrase may start at `i`: not inside a word or a number (`x2`, the `2` of `1/2`).
fn starts_word(text: &str, i: usize) -> bool {
    text[..i]
        .chars()
        .next_back()
        .is_none_or(|p| !p.is_alphanumeric() && !matches!(p, '.' | ',' | '/' | '⁄' | '\'' | '’'))
}

/// Seconds rounded up, when positive and at most [`MAX_TIMER_SECONDS`].
fn whole_seconds(seconds: f64) -> Option<u32> {
    let s = seconds.ceil();
    (s.is_finite() && s >= 1.0 && s <= f64::from(MAX_TIMER_SECONDS)).then_some(s as u32)
}

/// A duration with digits at the start of `s`: its length in bytes, seconds (the upper end of a
/// range) and the lower end of a range.
fn numeric_duration(s: &str) -> Option<(usize, f64, Option<f64>)> {
    let (low, high, after_number) = parse_range(s)?;
    let (unit, after_unit) = unit_word(after_number)?;
    if let Some(high) = high {
        // "1-2 hours", "10 to 15 minutes": both numbers in the one unit.
        let len = s.len() - after_unit.len();
        return Some((len, high * unit.seconds(), Some(low * unit.seconds())));
    }
    let (total, after_total) = more_parts(low * unit.seconds(), unit, after_unit);
    // "10 minutes to 15 minutes", "1 hour to 1 hour 30".
    if let Some(after_sep) = range_separator(after_total)
        && let Some((upper, after_upper)) = duration_at(after_sep)
        && upper > total
    {
        return Some((s.len() - after_upper.len(), upper, Some(total)));
    }
    Some((s.len() - after_total.len(), total, None))
}

/// A single (not range) duration with digits at the start of `s`, and what follows it.
fn duration_at(s: &str) -> Option<(f64, &str)> {
    let (n, after_number) = parse_number(s)?;
    let (unit, after_unit) = unit_word(after_number)?;
    Some(more_parts(n * unit.seconds(), unit, after_unit))
}

/// The parts after a duration's first: each in a smaller unit ("1 hour 15 minutes", "1 hour,
/// 15 minutes", "2 Stunden und 10 Minuten"), or a bare whole number of minutes right after
/// hours ("1 h 30", "1h30": the French and German way of writing it).
fn more_parts(mut total: f64, mut unit: DurationUnit, mut rest: &str) -> (f64, &str) {
    loop {
        let (joined, after_joiner) = skip_joiner(rest);
        let Some((n, after_number)) = parse_number(after_joiner) else {
            break;
        };
        match unit_word(after_number) {
            Some((next, after_unit)) if next < unit => {
                total += n * next.seconds();
                unit = next;
                rest = after_unit;
            }
            Some(_) => break,
            None => {
                let bare = !joined
                    && unit == DurationUnit::Hour
                    && n.fract() == 0.0
                    && n > 0.0
                    && n < 60.0
                    && !after_number.starts_with(|c: char| c.is_alphanumeric() || c == '°');
                if bare {
                    total += n * DurationUnit::Minute.seconds();
                    rest = after_number;
                }
                break;
            }
        }
    }
    (total, rest)
}

/// Skips white space and one joining word or comma; says whether a joiner was there.
fn skip_joiner(s: &str) -> (bool, &str) {
    let t = s.trim_start();
    if let Some(after) = t.strip_prefix(',') {
        return (true, after.trim_start());
    }
    if let Some((word, after)) = t.split_once(char::is_whitespace)
        && JOINERS.contains(&word.to_lowercase().as_str())
    {
        return (true, after.trim_start());
    }
    (false, t)
}

/// A dash or range word ("to", "bis", "à", "a", "o", "or") between two durations.
fn range_separator(s: &str) -> Option<&str> {
    let t = s.trim_start();
    if let Some(c @ ('-' | '–' | '—')) = t.chars().next() {
        return Some(t[c.len_utf8()..].trim_start());
    }
    let (word, after) = t.split_once(char::is_whitespace)?;
    RANGE_WORDS
        .contains(&word.to_lowercase().as_str())
        .then(|| after.trim_start())
}

/// A time-unit word after a number: after white space or none ("1h30"), or after one hyphen
/// ("a 25-minute rest").
fn unit_word(s: &str) -> Option<(DurationUnit, &str)> {
    let trimmed = s.trim_start();
    let word_start = if trimmed.len() == s.len() {
        trimmed.strip_prefix('-').unwrap_or(trimmed)
    } else {
        trimmed
    };
    let end = word_start
        .find(|c: char| !c.is_alphabetic())
        .unwrap_or(word_start.len());
    if end == 0 {
        return None;
    }
    let unit = duration_unit(&word_start[..end])?;
    Some((unit, &word_start[end..]))
}

/// A duration written in words at the start of `s` ("half an hour", "eine Stunde", "un'ora").
fn phrase_duration(s: &str) -> Option<(usize, f64, Option<f64>)> {
    PHRASES
        .iter()
        .filter_map(|(phrase, seconds)| {
            let len = match_phrase(s, phrase)?;
            Some((len, f64::from(*seconds), None))
        })
        .max_by_key(|(len, _, _)| *len)
}

/// Byte length of `phrase` at the start of `s`, matched case-insensitively and ending a word.
fn match_phrase(s: &str, phrase: &str) -> Option<usize> {
    let mut chars = s.char_indices();
    for want in phrase.chars() {
        let (_, got) = chars.next()?;
        let same = match want {
            '\'' => matches!(got, '\'' | '’'),
            ' ' => got.is_whitespace(),
            _ => got.to_lowercase().eq(std::iter::once(want)),
        };
        if !same {
            return None;
        }
    }
    let len = chars.next().map_or(s.len(), |(i, _)| i);
    (!s[len..].starts_with(char::is_alphabetic)).then_some(len)
}

#[cfg(test)]
mod tests;
