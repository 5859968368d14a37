//! Meal-plan rules, free of storage: reading and checking plan dates, the week a day belongs to
//! (Monday first, as ISO 8601 has it), checking what is planned (slot, free text, servings),
//! editing the slot list, and what a range of the plan puts on the grocery list (each recipe
//! scaled to its entry's servings, everything merged by the grocery rules).

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::grocery::{self, Addition};
use crate::ids::new_id;
use crate::model::{GroceryDoc, GroceryItem, PlanDoc, PlanSlotDoc, Recipe};

/// Longest free-text entry or slot name.
pub const MAX_PLAN_TEXT_CHARS: usize = 200;
/// Most slots a day can have.
pub const MAX_SLOTS: usize = 12;
/// Longest range sent to the grocery list at once (about two months).
pub const MAX_RANGE_DAYS: i64 = 62;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    #[error("{0:?} is not a date: plan dates are written YYYY-MM-DD")]
    BadDate(String),
    #[error("the range ends ({to}) before it starts ({from})")]
    BackwardsRange { from: String, to: String },
    #[error("a range covers at most {MAX_RANGE_DAYS} days")]
    RangeTooLong,
    #[error("the plan has no slot {0:?}")]
    NoSuchSlot(String),
    #[error("nothing is planned with id {0}")]
    NoSuchEntry(String),
    #[error("say what to plan: a recipe or a few words")]
    EmptyEntry,
    #[error("{field} is longer than {MAX_PLAN_TEXT_CHARS} characters")]
    TextTooLong { field: &'static str },
    #[error("a slot name is empty")]
    EmptySlotName,
    #[error("two slots are both called {0:?}")]
    DuplicateSlot(String),
    #[error("a day has at least one slot and at most {MAX_SLOTS}")]
    SlotCount,
    #[error("{count} planned meals are in {name}: move or remove them before removing the slot")]
    SlotInUse { name: String, count: usize },
}

/// A plan date from its `YYYY-MM-DD` text.
pub fn parse_date(text: &str) -> Result<NaiveDate, PlanError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| PlanError::BadDate(text.into()))
}

pub fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// The seven days (Monday to Sunday) of the week holding `day`.
pub fn week_of(day: NaiveDate) -> Vec<NaiveDate> {
    let monday = day - Days::new(u64::from(day.weekday().num_days_from_monday()));
    (0..7).map(|i| monday + Days::new(i)).collect()
}

/// A checked `from..=to` range, as dates.
pub fn parse_range(from: &str, to: &str) -> Result<(NaiveDate, NaiveDate), PlanError> {
    let (start, end) = (parse_date(from)?, parse_date(to)?);
    if end < start {
        return Err(PlanError::BackwardsRange {
            from: from.into(),
            to: to.into(),
        });
    }
    if (end - start).num_days() >= MAX_RANGE_DAYS {
        return Err(PlanError::RangeTooLong);
    }
    Ok((start, end))
}

/// The slot `slot` of `plan`, or an error naming it.
pub fn check_slot(plan: &PlanDoc, slot: &str) -> Result<(), PlanError> {
    if plan.slots.iter().any(|s| s.id == slot) {
        Ok(())
    } else {
        Err(PlanError::NoSuchSlot(slot.into()))
    }
}

/// A free-text entry or slot name, trimmed and checked.
pub fn check_text(field: &'static str, text: &str) -> Result<String, PlanError> {
    let text = text.trim();
    if text.chars().count() > MAX_PLAN_TEXT_CHARS {
        return Err(PlanError::TextTooLong { field });
    }
    Ok(text.to_string())
}

/// A slot as the UI asks for it: an existing slot (by id) with its possibly new name, or a new
/// slot (no id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanSlotInput {
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub id: Option<String>,
    pub name: String,
}

/// Replaces the plan's slots with `wanted` (renamed, reordered, added, removed). A slot that
/// still holds entries cannot be removed: its meals would vanish from every view.
pub fn set_slots(plan: &mut PlanDoc, wanted: &[PlanSlotInput]) -> Result<(), PlanError> {
    if wanted.is_empty() || wanted.len() > MAX_SLOTS {
        return Err(PlanError::SlotCount);
    }
    let mut slots: Vec<PlanSlotDoc> = Vec::with_capacity(wanted.len());
    for input in wanted {
        let name = check_text("a slot name", &input.name)?;
        if name.is_empty() {
            return Err(PlanError::EmptySlotName);
        }
        if slots
            .iter()
            .any(|s| s.name.to_lowercase() == name.to_lowercase())
        {
            return Err(PlanError::DuplicateSlot(name));
        }
        let id = match &input.id {
            Some(id) => {
                check_slot(plan, id)?;
                id.clone()
            }
            None => new_id(),
        };
        slots.push(PlanSlotDoc { id, name });
    }
    for old in &plan.slots {
        if slots.iter().any(|s| s.id == old.id) {
            continue;
        }
        let count = plan.entries.values().filter(|e| e.slot == old.id).count();
        if count > 0 {
            return Err(PlanError::SlotInUse {
                name: old.name.clone(),
                count,
            });
        }
    }
    plan.slots = slots;
    Ok(())
}

/// A planned recipe of a range with the recipe as the view holds it (`None` when it is not on
/// this device, or deleted).
pub struct PlannedRecipe {
    pub title: String,
    pub servings: Option<f64>,
    pub recipe: Option<Recipe>,
}

/// What sending a range of the plan to the grocery list adds, before it is added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanGroceryPreview {
    pub from: String,
    pub to: String,
    /// The lines as they will be added, already merged with each other (not yet with the
    /// list: an unchecked item of the same name takes the quantity).
    pub lines: Vec<GroceryItem>,
    /// How many planned recipes the lines come from.
    pub recipes: u32,
    /// Planned recipes that add nothing, with why ("not on this device", "no ingredients").
    pub skipped: Vec<PlanSkip>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanSkip {
    pub title: String,
    pub reason: String,
}

/// The additions of every planned recipe, each scaled to its entry's servings, and the
/// recipes that add nothing.
pub fn range_additions(planned: &[PlannedRecipe]) -> (Vec<Addition>, u32, Vec<PlanSkip>) {
    let mut additions = Vec::new();
    let mut recipes = 0;
    let mut skipped = Vec::new();
    for entry in planned {
        let Some(recipe) = &entry.recipe else {
            skipped.push(PlanSkip {
                title: entry.title.clone(),
                reason: "the recipe is not on this device (deleted, or not synced yet)".into(),
            });
            continue;
        };
        let rows = grocery::additions_for_recipe(recipe, entry.servings);
        if rows.is_empty() {
            skipped.push(PlanSkip {
                title: recipe.title.clone(),
                reason: "the recipe has no ingredients".into(),
            });
            continue;
        }
        recipes += 1;
        additions.extend(rows);
    }
    (additions, recipes, skipped)
}

/// The preview of [`range_additions`]: its lines merged with one another by the grocery rules,
/// exactly as they would merge on an empty list.
pub fn preview(from: &str, to: &str, planned: &[PlannedRecipe]) -> PlanGroceryPreview {
    let (additions, recipes, skipped) = range_additions(planned);
    let mut scratch = GroceryDoc::new();
    for (order, addition) in additions.into_iter().enumerate() {
        grocery::merge_addition(&mut scratch, addition, i64::try_from(order).unwrap_or(0));
    }
    PlanGroceryPreview {
        from: from.into(),
        to: to.into(),
        lines: scratch.to_items(),
        recipes,
        skipped,
    }
}

#[cfg(test)]
mod tests;
