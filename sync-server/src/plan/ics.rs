//! The meal plan as an iCalendar (RFC 5545) calendar, built with the `icalendar` crate (which
//! escapes text values and folds long lines). One all-day event per entry: `UID:<entry
//! id>@larder`, `DTSTART;VALUE=DATE` on the entry's day and `DTEND` the day after (the end of
//! an all-day event is exclusive), `SUMMARY:<slot name>: <title>`, a `DESCRIPTION` with the
//! servings when the entry sets them, and `DTSTAMP` from when the entry was added. Entries
//! whose date is not a `YYYY-MM-DD` calendar date are left out.

use chrono::{DateTime, NaiveDate, Utc};
use icalendar::{Calendar, Component, EventLike, Property};
use larder_core::model::{PlanDoc, PlanEntry};

use crate::clock::UnixMs;

/// The calendar's name as calendar apps show it.
pub const CALENDAR_NAME: &str = "Larder meal plan";
const PRODUCT_ID: &str = "-//Larder//Meal plan//EN";
/// How often calendar apps that honour it should fetch the feed again.
const REFRESH_MINUTES: i64 = 60;

/// The plan as an `.ics` body. `now` stands in for the `DTSTAMP` of an entry whose
/// `added_at` is not a usable time.
pub fn render(plan: &PlanDoc, now: UnixMs) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", PRODUCT_ID))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .name(CALENDAR_NAME)
        .ttl(&chrono::Duration::minutes(REFRESH_MINUTES));
    let stamp_now = timestamp(now).unwrap_or(DateTime::UNIX_EPOCH);
    for entry in plan.to_entries() {
        if let Some(event) = event(plan, &entry, stamp_now) {
            calendar.push(event);
        }
    }
    calendar.to_string()
}

/// A calendar date exactly as the plan stores it: `YYYY-MM-DD`.
pub fn parse_date(date: &str) -> Option<NaiveDate> {
    let b = date.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return None;
    }
    NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()
}

fn timestamp(ms: UnixMs) -> Option<DateTime<Utc>> {
    if ms <= 0 {
        return None;
    }
    DateTime::from_timestamp_millis(ms)
}

fn event(plan: &PlanDoc, entry: &PlanEntry, now: DateTime<Utc>) -> Option<icalendar::Event> {
    let day = parse_date(&entry.date)?;
    let next = day.succ_opt()?;
    let slot = plan
        .slots
        .iter()
        .find(|s| s.id == entry.slot)
        .map_or(entry.slot.as_str(), |s| s.name.as_str());
    let title = clean(&entry.title);
    let slot = clean(slot);
    let summary = match (slot.trim().is_empty(), title.trim().is_empty()) {
        (false, false) => format!("{slot}: {title}"),
        (true, _) => title,
        (false, true) => slot,
    };
    let mut event = icalendar::Event::new();
    event
        .uid(&format!("{}@larder", clean(&entry.id).replace('\n', " ")))
        .timestamp(timestamp(entry.added_at).unwrap_or(now))
        .starts(day)
        .ends(next)
        .summary(&summary);
    if let Some(servings) = entry.servings.filter(|s| s.is_finite() && *s > 0.0) {
        event.description(&format!("Servings: {}", number(servings)));
    }
    Some(event.done())
}

/// Text as a TEXT value may hold it: line breaks as `\n` (the crate escapes those), no other
/// control characters (a bare CR would break the line structure).
fn clean(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            '\r' => Some('\n'),
            '\n' => Some('\n'),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// `4` rather than `4.0`; `1.5` as is.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use icalendar::DatePerhapsTime;
    use larder_core::model::{PlanEntryDoc, PlanSlotDoc};

    use super::*;

    fn entry(date: &str, slot: &str, title: &str, servings: Option<f64>) -> PlanEntryDoc {
        PlanEntryDoc {
            date: date.into(),
            slot: slot.into(),
            recipe_id: None,
            title: title.into(),
            servings,
            added_at: 1_767_225_600_000, // 2026-01-01T00:00:00Z
        }
    }

    fn parse(ics: &str) -> Calendar {
        ics.parse::<Calendar>().expect("the feed parses")
    }

    #[test]
    fn one_all_day_event_per_entry_with_slot_names_and_servings() {
        let mut plan = PlanDoc::new();
        plan.entries.insert(
            "e1".into(),
            entry("2026-03-02", "dinner", "Lentil soup", Some(4.0)),
        );
        plan.entries
            .insert("e2".into(), entry("2026-03-01", "lunch", "Leftovers", None));
        plan.entries.insert(
            "e3".into(),
            entry("2026-12-31", "breakfast", "Porridge", Some(1.5)),
        );
        let ics = render(&plan, 5);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
        assert!(ics.contains("\r\nDTSTART;VALUE=DATE:20260302\r\n"), "{ics}");
        let calendar = parse(&ics);
        assert_eq!(calendar.get_name(), Some(CALENDAR_NAME));
        assert_eq!(calendar.property_value("VERSION"), Some("2.0"));
        let events: Vec<_> = calendar.events().collect();
        let seen: Vec<_> = events
            .iter()
            .map(|e| {
                (
                    e.get_uid().unwrap().to_owned(),
                    e.get_summary().unwrap().to_owned(),
                    e.get_start(),
                    e.get_end(),
                    e.get_description().map(str::to_owned),
                )
            })
            .collect();
        let date = |y, m, d| {
            Some(DatePerhapsTime::Date(
                NaiveDate::from_ymd_opt(y, m, d).unwrap(),
            ))
        };
        assert_eq!(
            seen,
            vec![
                (
                    "e2@larder".into(),
                    "Lunch: Leftovers".into(),
                    date(2026, 3, 1),
                    date(2026, 3, 2),
                    None
                ),
                (
                    "e1@larder".into(),
                    "Dinner: Lentil soup".into(),
                    date(2026, 3, 2),
                    date(2026, 3, 3),
                    Some("Servings: 4".into())
                ),
                (
                    "e3@larder".into(),
                    "Breakfast: Porridge".into(),
                    date(2026, 12, 31),
                    date(2027, 1, 1),
                    Some("Servings: 1.5".into())
                ),
            ]
        );
        assert_eq!(
            events[0].get_timestamp(),
            DateTime::from_timestamp_millis(1_767_225_600_000)
        );
    }

    #[test]
    fn dates_that_do_not_parse_are_skipped() {
        let mut plan = PlanDoc::new();
        for (id, date) in [
            ("ok", "2026-02-28"),
            ("feb30", "2026-02-30"),
            ("short", "2026-2-28"),
            ("words", "tuesday"),
            ("empty", ""),
            ("signed", "+2026-02-28"),
            ("spaces", " 2026-02-28"),
        ] {
            plan.entries
                .insert(id.into(), entry(date, "dinner", "Stew", None));
        }
        let calendar = parse(&render(&plan, 5));
        let uids: Vec<_> = calendar.events().map(|e| e.get_uid().unwrap()).collect();
        assert_eq!(uids, ["ok@larder"]);
    }

    #[test]
    fn text_is_escaped_and_folded_and_unknown_slots_show_their_id() {
        let mut plan = PlanDoc::new();
        plan.slots.push(PlanSlotDoc {
            id: "late".into(),
            name: "Late; night, snack".into(),
        });
        let long = "Soup ".repeat(40);
        plan.entries.insert(
            "a".into(),
            entry("2026-05-01", "late", "Toast\\butter\r\nand jam", None),
        );
        plan.entries
            .insert("b".into(), entry("2026-05-01", "gone", long.trim(), None));
        plan.entries
            .insert("c".into(), entry("2026-05-02", "dinner", "", None));
        let ics = render(&plan, 5);
        // Every line within the limit (75 octets), CRLF-terminated.
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line:?}");
            assert!(!line.contains('\r') && !line.contains('\n'), "{line:?}");
        }
        let calendar = parse(&ics);
        let summaries: Vec<_> = calendar
            .events()
            .map(|e| e.get_summary().unwrap().to_owned())
            .collect();
        assert_eq!(
            summaries,
            [
                "Late; night, snack: Toast\\butter\nand jam".to_owned(),
                format!("gone: {}", long.trim()),
                "Dinner".to_owned(),
            ]
        );
    }

    #[test]
    fn an_empty_plan_is_an_empty_calendar() {
        let calendar = parse(&render(&PlanDoc::new(), 5));
        assert_eq!(calendar.events().count(), 0);
        assert_eq!(calendar.get_name(), Some(CALENDAR_NAME));
    }
}
