//! A recipe's yield (`recipeYield`): the serving count it holds, if any, and the text that
//! describes it best.

use crate::model::RecipeDraft;

/// The largest yield taken as a serving count.
const MAX_SERVINGS: u32 = 1000;
/// Units that, right after a number in `recipeYield`, mean the number is an amount and not a
/// serving count (`"500 g"`, `"2 cups"`).
const AMOUNT_UNITS: &[&str] = &[
    "g", "gr", "gram", "grams", "kg", "mg", "ml", "cl", "dl", "l", "liter", "liters", "litre",
    "litres", "oz", "ounce", "ounces", "lb", "lbs", "pound", "pounds", "cup", "cups", "pint",
    "pints", "quart", "quarts", "gallon", "gallons", "tbsp", "tsp",
];

/// `servings` from the first yield holding a plausible serving count, `yield_text` from the most
/// descriptive yield (the longest one with a letter in it; bare numbers give no text).
pub(super) fn read_yield(
    yields: &[String],
    key: &str,
    draft: &mut RecipeDraft,
    warnings: &mut Vec<String>,
) {
    for text in yields {
        match first_count(text) {
            Count::None | Count::Amount => {}
            Count::Servings(n) => {
                draft.servings = Some(n);
                break;
            }
            Count::TooLarge => warnings.push(format!(
                "{key} \"{text}\" is too large to be a serving count (over {MAX_SERVINGS})"
            )),
        }
    }
    draft.yield_text = yields
        .iter()
        .filter(|t| t.chars().any(char::is_alphabetic))
        .fold(None::<&String>, |best, t| match best {
            Some(b) if b.chars().count() >= t.chars().count() => Some(b),
            _ => Some(t),
        })
        .cloned()
        .unwrap_or_default();
}

enum Count {
    None,
    /// A number followed by a unit of weight or volume.
    Amount,
    Servings(u32),
    TooLarge,
}

/// The first integer in `text`, judged as a serving count.
fn first_count(text: &str) -> Count {
    let Some(start) = text.find(|c: char| c.is_ascii_digit()) else {
        return Count::None;
    };
    if text
        .get(..start)
        .is_some_and(|before| before.trim().ends_with('-'))
    {
        // A negative number is no count.
        return Count::None;
    }
    let rest = text.get(start..).unwrap_or("");
    let digits_len = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let digits = rest.get(..digits_len).unwrap_or("");
    let after = rest.get(digits_len..).unwrap_or("");
    // Skip a decimal part ("1.5 l") before looking at the unit.
    let after = match after.strip_prefix(['.', ',']) {
        Some(frac) if frac.starts_with(|c: char| c.is_ascii_digit()) => {
            frac.trim_start_matches(|c: char| c.is_ascii_digit())
        }
        _ => after,
    };
    let unit: String = after
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphabetic())
        .collect::<String>()
        .to_lowercase();
    if AMOUNT_UNITS.contains(&unit.as_str()) {
        return Count::Amount;
    }
    match digits.parse::<u64>() {
        Ok(0) => Count::None,
        Ok(n) if n <= u64::from(MAX_SERVINGS) => {
            u32::try_from(n).map_or(Count::TooLarge, Count::Servings)
        }
        _ => Count::TooLarge,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yield_counts() {
        let count = |t: &str| match first_count(t) {
            Count::Servings(n) => Some(n),
            _ => None,
        };
        assert_eq!(count("4 servings"), Some(4));
        assert_eq!(count("Makes 12"), Some(12));
        assert_eq!(count("4-6"), Some(4));
        assert_eq!(count("500 g"), None);
        assert_eq!(count("1.5 L"), None);
        assert_eq!(count("2 cups"), None);
        assert_eq!(count("0"), None);
        assert_eq!(count("1000"), Some(1000));
        assert_eq!(count("1001"), None);
        assert_eq!(count("99999999999999999999999999"), None);
        assert_eq!(count("a dozen"), None);
    }
}
