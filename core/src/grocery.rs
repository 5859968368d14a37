//! Grocery-list rules: turning a recipe's ingredient rows (scaled to a number of servings) or a
//! typed line into additions, and merging an addition into an unchecked item of the same
//! normalised name and a compatible unit.

use crate::ids::new_id;
use crate::ingredient::{self, units};
use crate::model::{GroceryDoc, GroceryItemDoc, Recipe, ValidationError, validate::check_quantity};
use crate::servings::servings_factor;

/// Something to put on the list.
#[derive(Debug, Clone, PartialEq)]
pub struct Addition {
    pub name: String,
    pub quantity: Option<f64>,
    pub unit: String,
    pub source_recipe_id: Option<String>,
}

/// The recipe's rows scaled from its own servings to `servings` (unscaled when either is
/// unknown). A range ("2-3 cloves") adds its upper bound: enough to cook with.
pub fn additions_for_recipe(recipe: &Recipe, servings: Option<f64>) -> Vec<Addition> {
    let factor = servings_factor(recipe.servings, servings);
    recipe
        .ingredients
        .iter()
        .filter(|row| !row.name.trim().is_empty())
        .map(|row| Addition {
            name: row.name.trim().to_string(),
            quantity: row.quantity_max.or(row.quantity).map(|q| q * factor),
            unit: row.unit.clone(),
            source_recipe_id: Some(recipe.id.clone()),
        })
        .collect()
}

/// A typed line such as "2 l milk" or "bread".
pub fn addition_from_text(text: &str) -> Result<Addition, ValidationError> {
    let parsed = ingredient::parse_line(text);
    let name = if parsed.name.trim().is_empty() {
        text.trim().to_string()
    } else {
        parsed.name.trim().to_string()
    };
    if name.is_empty() {
        return Err(ValidationError::EmptyItemName);
    }
    check_quantity(1, parsed.quantity)?;
    Ok(Addition {
        name,
        quantity: parsed.quantity_max.or(parsed.quantity),
        unit: parsed.unit,
        source_recipe_id: None,
    })
}

/// Longest item name accepted from outside (another app through the relay).
pub const MAX_ITEM_NAME_CHARS: usize = 200;
/// Longest unit accepted from outside.
pub const MAX_UNIT_CHARS: usize = 32;

/// An addition given as separate fields (the relay's REST API): the name trimmed, the unit
/// written as its canonical symbol when it is a known unit ("grams" → "g"), the quantity
/// checked like a recipe row's.
pub fn addition_from_parts(
    name: &str,
    quantity: Option<f64>,
    unit: Option<&str>,
) -> Result<Addition, ValidationError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ValidationError::EmptyItemName);
    }
    if name.chars().count() > MAX_ITEM_NAME_CHARS {
        return Err(ValidationError::TextTooLong {
            field: "the item name",
            max: MAX_ITEM_NAME_CHARS,
        });
    }
    let unit = unit.unwrap_or("").trim();
    if unit.chars().count() > MAX_UNIT_CHARS {
        return Err(ValidationError::TextTooLong {
            field: "the unit",
            max: MAX_UNIT_CHARS,
        });
    }
    check_quantity(1, quantity)?;
    let unit = units::lookup_unit(unit).map_or_else(|| unit.to_string(), |u| u.symbol.to_string());
    Ok(Addition {
        name: name.to_string(),
        quantity,
        unit,
        source_recipe_id: None,
    })
}

/// Merges into an unchecked item with the same normalised name and a compatible unit (the
/// quantity converted into that item's unit), or adds a new item. Returns the id of the item
/// merged into or added.
pub fn merge_addition(list: &mut GroceryDoc, addition: Addition, now: i64) -> String {
    let key = ingredient::normalize_name(&addition.name);
    let target = list.items.iter_mut().find(|(_, item)| {
        !item.checked
            && ingredient::normalize_name(&item.name) == key
            && units_merge(&item.unit, &addition.unit)
    });
    if let Some((id, item)) = target {
        item.quantity = match (item.quantity, addition.quantity) {
            (Some(have), Some(add)) => {
                let converted = if item.unit == addition.unit {
                    Some(add)
                } else {
                    units::convert(add, &addition.unit, &item.unit)
                };
                Some(round(have + converted.unwrap_or(0.0)))
            }
            (have, None) => have,
            (None, Some(add)) => Some(round(add)),
        };
        if let Some(source) = addition.source_recipe_id
            && !item.source_recipe_ids.contains(&source)
        {
            item.source_recipe_ids.push(source);
        }
        return id.clone();
    }
    let id = new_id();
    list.items.insert(
        id.clone(),
        GroceryItemDoc {
            name: addition.name,
            quantity: addition.quantity.map(round),
            unit: addition.unit,
            checked: false,
            source_recipe_ids: addition.source_recipe_id.into_iter().collect(),
            added_at: now,
        },
    );
    id
}

fn units_merge(a: &str, b: &str) -> bool {
    a == b || units::compatible(a, b)
}

/// Keeps quantities readable after scaling and conversion (0.1 + 0.2 → 0.3).
fn round(q: f64) -> f64 {
    (q * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IngredientRow;

    fn recipe(servings: Option<u32>, rows: &[(Option<f64>, &str, &str)]) -> Recipe {
        let rows = rows
            .iter()
            .enumerate()
            .map(|(i, (q, unit, name))| IngredientRow::new(&format!("i{i}"), *q, None, unit, name))
            .collect();
        Recipe::with_ingredients(servings, rows)
    }

    #[test]
    fn scales_to_servings() {
        let r = recipe(Some(4), &[(Some(200.0), "g", "butter"), (None, "", "salt")]);
        let adds = additions_for_recipe(&r, Some(6.0));
        assert_eq!(adds[0].quantity, Some(300.0));
        assert_eq!(adds[1].quantity, None);
        let unscaled = additions_for_recipe(&recipe(None, &[(Some(2.0), "", "eggs")]), Some(8.0));
        assert_eq!(unscaled[0].quantity, Some(2.0));
    }

    #[test]
    fn merges_same_name_and_compatible_unit_only_into_unchecked_items() {
        let mut list = GroceryDoc::new();
        let add = |name: &str, q: f64, unit: &str| Addition {
            name: name.into(),
            quantity: Some(q),
            unit: unit.into(),
            source_recipe_id: Some("r".into()),
        };
        let first = merge_addition(&mut list, add("Butter", 200.0, "g"), 1);
        let merged = merge_addition(&mut list, add("butter", 0.5, "kg"), 2);
        assert_eq!(first, merged, "merged into the same item");
        assert_eq!(list.items.len(), 1);
        let item = list.items.values().next().expect("item");
        assert_eq!(item.quantity, Some(700.0));
        assert_eq!(item.unit, "g");
        // Incompatible unit: a new item.
        merge_addition(&mut list, add("butter", 2.0, "tbsp"), 3);
        assert_eq!(list.items.len(), 2);
        // Checked items are never merged into.
        for item in list.items.values_mut() {
            item.checked = true;
        }
        merge_addition(&mut list, add("butter", 100.0, "g"), 4);
        assert_eq!(list.items.len(), 3);
    }

    #[test]
    fn typed_lines_become_items() {
        let a = addition_from_text("2 l milk").expect("valid");
        assert_eq!(
            (a.quantity, a.unit.as_str(), a.name.as_str()),
            (Some(2.0), "l", "milk")
        );
        assert!(addition_from_text("   ").is_err());
    }

    #[test]
    fn additions_from_parts_are_checked_and_units_canonical() {
        let a = addition_from_parts("  Flour ", Some(1.5), Some("kilograms")).expect("valid");
        assert_eq!(
            (a.name.as_str(), a.quantity, a.unit.as_str()),
            ("Flour", Some(1.5), "kg")
        );
        let b = addition_from_parts("eggs", None, None).expect("valid");
        assert_eq!(b.unit, "");
        let odd = addition_from_parts("basil", None, Some("bunchlet")).expect("valid");
        assert_eq!(odd.unit, "bunchlet");
        assert!(addition_from_parts(" ", None, None).is_err());
        assert!(addition_from_parts("x", Some(-1.0), None).is_err());
        assert!(addition_from_parts("x", Some(f64::NAN), None).is_err());
        assert!(addition_from_parts(&"n".repeat(201), None, None).is_err());
        assert!(addition_from_parts("x", None, Some(&"u".repeat(33))).is_err());
    }
}
