//! Scaling a recipe to a number of servings: the one factor the recipe view and the grocery
//! list share, the check on a requested number of servings, and the ingredient lines a reader
//! sees (quantities scaled, formatted the way the parser reads them back).

use serde::{Deserialize, Serialize};

use crate::ingredient::format_line;
use crate::model::{Recipe, ValidationError};

/// Most servings a recipe can be scaled to.
pub const MAX_SERVINGS: u32 = 10_000;

/// A requested number of servings: finite, above 0, at most [`MAX_SERVINGS`].
pub fn check_servings(servings: Option<f64>) -> Result<(), ValidationError> {
    match servings {
        Some(s) if !s.is_finite() || s <= 0.0 || s > f64::from(MAX_SERVINGS) => {
            Err(ValidationError::OutOfRange {
                field: "servings",
                max: MAX_SERVINGS,
            })
        }
        _ => Ok(()),
    }
}

/// How much to multiply a recipe's quantities by to make `servings` (1 when either the
/// request or the recipe's own servings is unknown).
pub fn servings_factor(recipe_servings: Option<u32>, servings: Option<f64>) -> f64 {
    match (servings, recipe_servings) {
        (Some(want), Some(have)) if have > 0 => want / f64::from(have),
        _ => 1.0,
    }
}

/// One ingredient row as the recipe view shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IngredientLine {
    /// The row's id in the recipe.
    pub id: String,
    pub quantity: Option<f64>,
    pub quantity_max: Option<f64>,
    pub unit: String,
    pub name: String,
    pub note: String,
    /// The whole line, e.g. "2 1/2 cups flour, sifted".
    pub text: String,
}

/// The recipe's ingredient rows scaled to `servings` (the recipe's own when `None`).
pub fn ingredient_lines(recipe: &Recipe, servings: Option<f64>) -> Vec<IngredientLine> {
    let factor = servings_factor(recipe.servings, servings);
    recipe
        .ingredients
        .iter()
        .map(|row| {
            let quantity = row.quantity.map(|q| q * factor);
            let quantity_max = row.quantity_max.map(|q| q * factor);
            IngredientLine {
                id: row.id.clone(),
                text: format_line(quantity, quantity_max, &row.unit, &row.name, &row.note),
                quantity,
                quantity_max,
                unit: row.unit.clone(),
                name: row.name.clone(),
                note: row.note.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IngredientRow;

    fn recipe(servings: Option<u32>) -> Recipe {
        Recipe::with_ingredients(
            servings,
            vec![
                IngredientRow::new("a", Some(1.5), None, "cup", "flour"),
                IngredientRow::new("b", Some(2.0), Some(3.0), "clove", "garlic"),
                IngredientRow::new("c", None, None, "", "salt"),
            ],
        )
    }

    #[test]
    fn doubling_servings_doubles_quantities_and_ranges() {
        let lines = ingredient_lines(&recipe(Some(4)), Some(8.0));
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["3 cups flour", "4-6 cloves garlic", "salt"]);
        assert_eq!(lines[0].quantity, Some(3.0));
        assert_eq!(lines[1].quantity_max, Some(6.0));
        assert_eq!(lines[2].quantity, None);
        assert_eq!(lines[1].id, "b");
    }

    #[test]
    fn halving_gives_fractions() {
        let lines = ingredient_lines(&recipe(Some(4)), Some(2.0));
        assert_eq!(lines[0].text, "3/4 cup flour");
    }

    #[test]
    fn unknown_servings_leave_quantities_alone() {
        for (own, want) in [(None, Some(8.0)), (Some(4), None), (Some(0), Some(2.0))] {
            let lines = ingredient_lines(&recipe(own), want);
            assert_eq!(lines[0].quantity, Some(1.5), "{own:?} → {want:?}");
        }
    }

    #[test]
    fn servings_out_of_range_are_refused() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 10_001.0] {
            assert!(check_servings(Some(bad)).is_err(), "{bad}");
        }
        for good in [None, Some(0.5), Some(10_000.0)] {
            assert!(check_servings(good).is_ok(), "{good:?}");
        }
    }
}
