//! The timer-parsing table: phrasings in five languages, ranges, and text that must give none.

use super::{MAX_TIMER_SECONDS, find_timers};

/// (step text, [(phrase as found, seconds, lower end of a range)])
type Row = (&'static str, &'static [(&'static str, u32, Option<u32>)]);

const TABLE: &[Row] = &[
    // ---- English
    ("Bake 25 minutes.", &[("25 minutes", 1500, None)]),
    ("Simmer 25 min", &[("25 min", 1500, None)]),
    ("Rest for 10 mins, covered", &[("10 mins", 600, None)]),
    (
        "Roast 1 hour 15 minutes",
        &[("1 hour 15 minutes", 4500, None)],
    ),
    (
        "Roast 1 hour and 15 minutes",
        &[("1 hour and 15 minutes", 4500, None)],
    ),
    ("Braise 1½ hours", &[("1½ hours", 5400, None)]),
    ("Braise 1 1/2 hours", &[("1 1/2 hours", 5400, None)]),
    ("Proof 1.5 hrs", &[("1.5 hrs", 5400, None)]),
    ("Chill ¾ hour", &[("¾ hour", 2700, None)]),
    ("Whisk 30 seconds", &[("30 seconds", 30, None)]),
    ("Microwave 45 sec", &[("45 sec", 45, None)]),
    ("Boil 2h", &[("2h", 7200, None)]),
    ("Let it rise 1-2 hours", &[("1-2 hours", 7200, Some(3600))]),
    (
        "Bake 10 to 15 minutes",
        &[("10 to 15 minutes", 900, Some(600))],
    ),
    ("Bake 25–30 min", &[("25–30 min", 1800, Some(1500))]),
    (
        "Cook 10 minutes to 12 minutes",
        &[("10 minutes to 12 minutes", 720, Some(600))],
    ),
    ("Give it a 20-minute rest", &[("20-minute", 1200, None)]),
    ("Stir for a minute", &[("a minute", 60, None)]),
    ("Chill half an hour", &[("half an hour", 1800, None)]),
    ("Chill an hour, covered", &[("an hour", 3600, None)]),
    (
        "Leave an hour and a half",
        &[("an hour and a half", 5400, None)],
    ),
    (
        "Fry 3 minutes, turn, then fry 2 minutes more",
        &[("3 minutes", 180, None), ("2 minutes", 120, None)],
    ),
    (
        "Bake at 350°F for 40 minutes or until golden",
        &[("40 minutes", 2400, None)],
    ),
    ("Marinate 8 hours or overnight", &[("8 hours", 28800, None)]),
    // ---- French
    ("Cuire 20 minutes", &[("20 minutes", 1200, None)]),
    ("Laisser reposer pendant 1 h 30", &[("1 h 30", 5400, None)]),
    ("Cuire 1h30 à feu doux", &[("1h30", 5400, None)]),
    ("Cuire 5 mn", &[("5 mn", 300, None)]),
    ("Laisser lever 2 heures", &[("2 heures", 7200, None)]),
    ("Mixer 30 secondes", &[("30 secondes", 30, None)]),
    (
        "Cuire 10 à 15 minutes",
        &[("10 à 15 minutes", 900, Some(600))],
    ),
    (
        "Laisser mijoter une demi-heure",
        &[("une demi-heure", 1800, None)],
    ),
    (
        "Cuire une heure et demie",
        &[("une heure et demie", 5400, None)],
    ),
    ("Cuire 1,5 heure", &[("1,5 heure", 5400, None)]),
    // ---- German
    ("20 Minuten backen", &[("20 Minuten", 1200, None)]),
    ("45 Sekunden pürieren", &[("45 Sekunden", 45, None)]),
    ("2 Std. gehen lassen", &[("2 Std", 7200, None)]),
    ("1,5 Stunden schmoren", &[("1,5 Stunden", 5400, None)]),
    ("10 bis 15 Min. garen", &[("10 bis 15 Min", 900, Some(600))]),
    (
        "1 Stunde und 10 Minuten backen",
        &[("1 Stunde und 10 Minuten", 4200, None)],
    ),
    (
        "Eine halbe Stunde ruhen lassen",
        &[("Eine halbe Stunde", 1800, None)],
    ),
    ("Eine Stunde kühlen", &[("Eine Stunde", 3600, None)]),
    // ---- Spanish
    ("Hornear 30 minutos", &[("30 minutos", 1800, None)]),
    (
        "Cocer 1 hora y 20 minutos",
        &[("1 hora y 20 minutos", 4800, None)],
    ),
    ("Batir 20 segundos", &[("20 segundos", 20, None)]),
    (
        "Hornear de 10 a 15 minutos",
        &[("10 a 15 minutos", 900, Some(600))],
    ),
    ("Reposar media hora", &[("media hora", 1800, None)]),
    ("Dejar 2 horas en la nevera", &[("2 horas", 7200, None)]),
    // ---- Italian
    ("Cuocere per 10 minuti", &[("10 minuti", 600, None)]),
    ("Lasciare lievitare 2 ore", &[("2 ore", 7200, None)]),
    (
        "Cuocere 1 ora e 30 minuti",
        &[("1 ora e 30 minuti", 5400, None)],
    ),
    ("Frullare 30 secondi", &[("30 secondi", 30, None)]),
    ("Riposare mezz’ora", &[("mezz’ora", 1800, None)]),
    ("Cuocere un'ora", &[("un'ora", 3600, None)]),
    // ---- No timer
    ("Leave overnight", &[]),
    ("Preheat the oven to 350°F", &[]),
    ("Preheat the oven to 180 °C", &[]),
    ("Add 2 tbsp olive oil", &[]),
    ("Cut into 5 mm slices, 2 cm apart", &[]),
    ("Step 3: fold in the egg whites", &[]),
    ("Cook until golden, a few minutes", &[]),
    ("Simmer for several hours", &[]),
    ("Add 2 minced garlic cloves", &[]),
    ("Use 2 x 20 cm tins", &[]),
    ("Serve with 1/2 lemon", &[]),
    ("", &[]),
];

#[test]
fn the_timer_table() {
    assert!(TABLE.len() >= 30);
    let mut failures = Vec::new();
    for (text, expected) in TABLE {
        let got: Vec<(&str, u32, Option<u32>)> = find_timers(text)
            .into_iter()
            .map(|t| (&text[t.start..t.end], t.seconds, t.min_seconds))
            .collect();
        if got != *expected {
            failures.push(format!("{text:?}: got {got:?}, expected {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn durations_beyond_a_week_or_of_nothing_give_no_timer() {
    assert!(find_timers("Age 200 hours").is_empty());
    assert!(find_timers("Wait 0 minutes").is_empty());
    assert_eq!(find_timers("Cure 168 hours")[0].seconds, MAX_TIMER_SECONDS);
}

#[test]
fn any_text_is_read_without_panicking() {
    for text in [
        "½",
        "1/",
        "1/0 minutes",
        "1e400 minutes",
        "99999999999999999999 hours",
        "1 h 30°",
        "İ 5 min",
        "ß½-minute",
        "—10—15 minutes",
        "10 - ",
        "un'",
        "mezz'",
        "1h30h",
    ] {
        for t in find_timers(text) {
            assert!(
                text.is_char_boundary(t.start) && text.is_char_boundary(t.end),
                "{text}"
            );
            assert!(t.seconds >= 1 && t.seconds <= MAX_TIMER_SECONDS, "{text}");
        }
    }
}
