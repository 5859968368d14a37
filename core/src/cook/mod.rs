//! Cook mode's view of a recipe: its title, ingredient lines scaled to the servings cooked
//! (the same scaling as the recipe view, `servings`), and each step cut into text and timer
//! phrases (`timers` finds them), so the UI shows a timer button per cooking time and counts
//! down the seconds given here. What is checked off while cooking is the UI's own state.

pub mod timers;

use serde::{Deserialize, Serialize};

use crate::model::Recipe;
use crate::servings::{IngredientLine, ingredient_lines};

/// A recipe as cook mode shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CookView {
    pub recipe_id: String,
    pub title: String,
    /// The recipe's own servings (`None`: it states none, and quantities are not scaled).
    pub servings: Option<u32>,
    /// The ingredient rows scaled to the servings asked for.
    pub ingredients: Vec<IngredientLine>,
    pub steps: Vec<CookStep>,
}

/// One step: its text, and the same text in parts, each plain or a timer phrase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CookStep {
    pub text: String,
    /// Joined, the parts' texts are `text`.
    pub parts: Vec<StepPart>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StepPart {
    pub text: String,
    /// Present when `text` is a cooking time ("25 minutes").
    pub timer: Option<StepTimer>,
}

/// A countdown a step's text asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StepTimer {
    /// What to count down: the time, or the upper end of a range ("10 to 15 minutes": 900).
    pub seconds: u32,
    /// The lower end of a range (600 there): when to start checking.
    pub min_seconds: Option<u32>,
}

/// The cook view of `recipe` with its ingredients scaled to `servings` (its own when `None`).
pub fn cook_view(recipe: &Recipe, servings: Option<f64>) -> CookView {
    CookView {
        recipe_id: recipe.id.clone(),
        title: recipe.title.clone(),
        servings: recipe.servings,
        ingredients: ingredient_lines(recipe, servings),
        steps: recipe.steps.iter().map(|s| cook_step(s)).collect(),
    }
}

/// A step cut at its timer phrases.
pub fn cook_step(text: &str) -> CookStep {
    let mut parts = Vec::new();
    let mut at = 0;
    let plain = |parts: &mut Vec<StepPart>, piece: &str| {
        if !piece.is_empty() {
            parts.push(StepPart {
                text: piece.to_string(),
                timer: None,
            });
        }
    };
    for span in timers::find_timers(text) {
        plain(&mut parts, &text[at..span.start]);
        parts.push(StepPart {
            text: text[span.start..span.end].to_string(),
            timer: Some(StepTimer {
                seconds: span.seconds,
                min_seconds: span.min_seconds,
            }),
        });
        at = span.end;
    }
    plain(&mut parts, &text[at..]);
    CookStep {
        text: text.to_string(),
        parts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IngredientRow;

    #[test]
    fn a_step_is_cut_at_its_timers_and_joins_back() {
        let step = cook_step("Bake 10 to 15 minutes, then rest 5 min.");
        let texts: Vec<&str> = step.parts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Bake ", "10 to 15 minutes", ", then rest ", "5 min", "."]
        );
        assert_eq!(texts.concat(), step.text);
        assert_eq!(
            step.parts[1].timer,
            Some(StepTimer {
                seconds: 900,
                min_seconds: Some(600)
            })
        );
        assert_eq!(step.parts[3].timer.map(|t| t.seconds), Some(300));
        assert!(step.parts[0].timer.is_none() && step.parts[4].timer.is_none());
    }

    #[test]
    fn a_step_without_times_is_one_plain_part() {
        let step = cook_step("Serve warm");
        assert_eq!(step.parts.len(), 1);
        assert!(step.parts[0].timer.is_none());
    }

    #[test]
    fn the_view_scales_ingredients_and_keeps_every_step() {
        let mut recipe = Recipe::with_ingredients(
            Some(2),
            vec![IngredientRow::new("a", Some(200.0), None, "g", "pasta")],
        );
        recipe.steps = vec!["Boil 10 minutes".into(), "Drain".into()];
        let view = cook_view(&recipe, Some(4.0));
        assert_eq!(view.ingredients[0].text, "400 g pasta");
        assert_eq!(view.servings, Some(2));
        assert_eq!(view.steps.len(), 2);
        assert_eq!(view.steps[0].parts[1].timer.map(|t| t.seconds), Some(600));
    }
}
