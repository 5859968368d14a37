//! The meal plan through the API: the profile's plan document (made on first use, replaced by
//! the relay's own once signed in, its entries merged across), a week of it for the UI, adding,
//! moving, re-serving and removing planned meals, the slot names, and sending a range's
//! ingredients to the grocery list (previewed first). Rules live in `crate::plan`.

use super::*;
use crate::grocery::GroceryUndo;
use crate::model::{PLAN_KIND, PlanDoc, PlanEntryDoc, PlanSlotDoc};
use crate::plan::{self, PlanError, PlanGroceryPreview, PlanSlotInput, PlannedRecipe};

const MEAL_PLAN_META: &str = "meal_plan_id";

/// Days of the plan as the UI shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanView {
    pub from: String,
    pub to: String,
    /// The Mondays of the weeks before and after, for paging.
    pub previous: String,
    pub next: String,
    pub slots: Vec<PlanSlotDoc>,
    pub days: Vec<PlanDay>,
    /// The household whose shared plan this is; none when it is the user's own.
    pub household_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanDay {
    pub date: String,
    /// In slot order, then as added.
    pub entries: Vec<PlanEntryView>,
}

/// A planned meal with what this device knows of its recipe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanEntryView {
    pub id: String,
    pub date: String,
    pub slot: String,
    pub recipe_id: Option<String>,
    /// The recipe's current title when it is here, else the title it was planned with (or
    /// the free text).
    pub title: String,
    /// Servings planned; `None` cooks the recipe's own.
    pub servings: Option<f64>,
    /// The recipe's own servings, when known.
    pub recipe_servings: Option<u32>,
    /// A planned recipe that is not on this device (deleted, or not synced yet).
    pub missing: bool,
}

/// What to plan: a recipe (with servings, or its own) or a few words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanAddition {
    pub date: String,
    pub slot: String,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub recipe_id: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub text: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub servings: Option<f64>,
}

impl<S: DocumentStore> Larder<S> {
    /// The id of this profile's meal-plan document, created on first use.
    pub async fn meal_plan_id(&self) -> Result<String> {
        if let Some(id) = self.store.meta_get(MEAL_PLAN_META)? {
            return Ok(id);
        }
        let plan = PlanDoc::new();
        let mut am = Automerge::new();
        am.transact(|tx| reconcile(tx, &plan))
            .map_err(|f| bad_doc("new meal plan", f.error))?;
        let heads = heads_string(&am);
        let id = self.docs.create(am).await?;
        self.store
            .write_plan_view(&id, &heads, &plan.slots, &plan.to_entries())?;
        self.store.meta_set(MEAL_PLAN_META, &id)?;
        Ok(id)
    }

    /// The meal-plan document in use, if one exists yet.
    pub fn current_meal_plan_id(&self) -> Result<Option<String>> {
        Ok(self.store.meta_get(MEAL_PLAN_META)?)
    }

    /// Uses an existing plan document (the one the relay made for this user) from now on.
    /// Entries planned here until now are merged into it (same ids, so merging twice, or from
    /// two devices, plans nothing twice), with any slot of theirs it lacks.
    pub async fn use_meal_plan(&self, plan_id: &str) -> Result<()> {
        let previous = self.store.meta_get(MEAL_PLAN_META)?;
        if let Some(previous) = previous.filter(|p| p != plan_id) {
            let prev_id = previous.clone();
            let old = self
                .docs
                .with_doc(&previous, move |am| read_plan_doc(am, &prev_id))
                .await?
                .transpose()?;
            if let Some(old) = old.filter(|old| !old.entries.is_empty()) {
                let _view = self.view_writes.lock().await;
                let doc_id = plan_id.to_string();
                self.docs
                    .with_doc(plan_id, move |am| -> Result<()> {
                        let mut plan = read_plan_doc(am, &doc_id)?;
                        for slot in old.slots {
                            if !plan.slots.iter().any(|s| s.id == slot.id) {
                                plan.slots.push(slot);
                            }
                        }
                        for (id, entry) in old.entries {
                            plan.entries.entry(id).or_insert(entry);
                        }
                        am.transact(|tx| reconcile(tx, &plan))
                            .map_err(|f| bad_doc(&doc_id, f.error))?;
                        Ok(())
                    })
                    .await?
                    .ok_or_else(|| LarderError::BadDocument {
                        id: plan_id.to_string(),
                        reason: "the meal plan is not in the document store".into(),
                    })??;
            }
        }
        self.store.meta_set(MEAL_PLAN_META, plan_id)?;
        self.rematerialize(plan_id).await?;
        self.emit(ChangeEvent::PlanChanged);
        Ok(())
    }

    /// The week (Monday to Sunday) holding `date`.
    pub async fn plan_week(&self, date: &str) -> Result<PlanView> {
        let days = plan::week_of(plan::parse_date(date)?);
        let plan_id = self.active_meal_plan_id().await?;
        let from = plan::format_date(days[0]);
        let to = plan::format_date(days[6]);
        let previous = plan::format_date(days[0] - chrono::Days::new(7));
        let next = plan::format_date(days[0] + chrono::Days::new(7));
        let entries = self.store.plan_entries(&plan_id, &from, &to)?;
        let slots = self.store.plan_slots(&plan_id)?;
        let rank = |slot: &str| {
            slots
                .iter()
                .position(|s| s.id == slot)
                .unwrap_or(slots.len())
        };
        let days = days
            .into_iter()
            .map(|day| {
                let date = plan::format_date(day);
                let mut on_day: Vec<PlanEntryView> = entries
                    .iter()
                    .filter(|e| e.date == date)
                    .map(|e| self.entry_view(e))
                    .collect::<Result<_>>()?;
                on_day.sort_by_key(|e| rank(&e.slot));
                Ok(PlanDay {
                    date,
                    entries: on_day,
                })
            })
            .collect::<Result<_>>()?;
        Ok(PlanView {
            from,
            to,
            previous,
            next,
            slots,
            days,
            household_name: self
                .household()?
                .filter(|h| h.meal_plan_id.is_some())
                .map(|h| h.name),
        })
    }

    fn entry_view(&self, entry: &crate::model::PlanEntry) -> Result<PlanEntryView> {
        let recipe = match &entry.recipe_id {
            Some(id) => self.store.get_recipe(id)?.filter(|r| !r.deleted),
            None => None,
        };
        Ok(PlanEntryView {
            id: entry.id.clone(),
            date: entry.date.clone(),
            slot: entry.slot.clone(),
            recipe_id: entry.recipe_id.clone(),
            title: recipe
                .as_ref()
                .map_or_else(|| entry.title.clone(), |r| r.title.clone()),
            servings: entry.servings,
            recipe_servings: recipe.as_ref().and_then(|r| r.servings),
            missing: entry.recipe_id.is_some() && recipe.is_none(),
        })
    }

    /// Plans a recipe or a free-text meal; answers the new entry's id.
    pub async fn plan_add(&self, addition: PlanAddition) -> Result<String> {
        let date = plan::format_date(plan::parse_date(&addition.date)?);
        crate::servings::check_servings(addition.servings)?;
        let (recipe_id, title) = match (&addition.recipe_id, &addition.text) {
            (Some(id), _) => (Some(id.clone()), self.get_recipe(id)?.title),
            (None, Some(text)) => {
                let text = plan::check_text("the planned meal", text)?;
                if text.is_empty() {
                    return Err(PlanError::EmptyEntry.into());
                }
                (None, text)
            }
            (None, None) => return Err(PlanError::EmptyEntry.into()),
        };
        let id = crate::ids::new_id();
        let entry_id = id.clone();
        self.change_plan(move |plan, now| {
            plan::check_slot(plan, &addition.slot)?;
            plan.entries.insert(
                entry_id,
                PlanEntryDoc {
                    date,
                    slot: addition.slot,
                    recipe_id,
                    title,
                    servings: addition.servings,
                    added_at: now,
                },
            );
            Ok(())
        })
        .await?;
        Ok(id)
    }

    /// Moves a planned meal to another day or slot.
    pub async fn plan_move(&self, entry_id: &str, date: &str, slot: &str) -> Result<()> {
        let date = plan::format_date(plan::parse_date(date)?);
        let (entry_id, slot) = (entry_id.to_string(), slot.to_string());
        self.change_plan(move |plan, _| {
            plan::check_slot(plan, &slot)?;
            let entry = plan
                .entries
                .get_mut(&entry_id)
                .ok_or(PlanError::NoSuchEntry(entry_id.clone()))?;
            entry.date = date;
            entry.slot = slot;
            Ok(())
        })
        .await
    }

    /// Sets how many servings a planned recipe is cooked for (`None`: the recipe's own).
    pub async fn plan_set_servings(&self, entry_id: &str, servings: Option<f64>) -> Result<()> {
        crate::servings::check_servings(servings)?;
        let entry_id = entry_id.to_string();
        self.change_plan(move |plan, _| {
            let entry = plan
                .entries
                .get_mut(&entry_id)
                .ok_or(PlanError::NoSuchEntry(entry_id.clone()))?;
            entry.servings = servings;
            Ok(())
        })
        .await
    }

    pub async fn plan_remove(&self, entry_id: &str) -> Result<()> {
        let entry_id = entry_id.to_string();
        self.change_plan(move |plan, _| {
            plan.entries
                .remove(&entry_id)
                .map(|_| ())
                .ok_or(PlanError::NoSuchEntry(entry_id).into())
        })
        .await
    }

    /// Renames, reorders, adds or removes the day's slots (see [`plan::set_slots`]).
    pub async fn plan_set_slots(&self, slots: Vec<PlanSlotInput>) -> Result<()> {
        self.change_plan(move |plan, _| Ok(plan::set_slots(plan, &slots)?))
            .await
    }

    /// What sending `from..=to` to the grocery list would add.
    pub async fn plan_grocery_preview(&self, from: &str, to: &str) -> Result<PlanGroceryPreview> {
        let planned = self.planned_recipes(from, to).await?;
        Ok(plan::preview(from, to, &planned))
    }

    /// Adds the ingredients of every recipe planned `from..=to`, each scaled to its entry's
    /// servings, merged into the grocery list by its rules; undoable like one recipe's.
    pub async fn plan_to_grocery(&self, from: &str, to: &str) -> Result<GroceryAdded> {
        let planned = self.planned_recipes(from, to).await?;
        let (additions, _, _) = plan::range_additions(&planned);
        let (items, merged) = self
            .change_grocery_with(move |list, now| {
                // One millisecond apart, so new items keep the plan's order on the list.
                Ok(additions
                    .into_iter()
                    .zip(now..)
                    .map(|(addition, at)| grocery::merge_addition(list, addition, at))
                    .collect())
            })
            .await?;
        Ok(GroceryAdded {
            items,
            undo: GroceryUndo { merged },
            household_name: self.active_household_name()?,
        })
    }

    async fn planned_recipes(&self, from: &str, to: &str) -> Result<Vec<PlannedRecipe>> {
        let (start, end) = plan::parse_range(from, to)?;
        let plan_id = self.active_meal_plan_id().await?;
        let entries = self.store.plan_entries(
            &plan_id,
            &plan::format_date(start),
            &plan::format_date(end),
        )?;
        entries
            .into_iter()
            .filter_map(|e| e.recipe_id.clone().map(|id| (e, id)))
            .map(|(entry, id)| {
                Ok(PlannedRecipe {
                    title: entry.title,
                    servings: entry.servings,
                    recipe: self.store.get_recipe(&id)?.filter(|r| !r.deleted),
                })
            })
            .collect()
    }

    /// Changes the plan in one transaction and rewrites its view.
    async fn change_plan<F>(&self, change: F) -> Result<()>
    where
        F: FnOnce(&mut PlanDoc, i64) -> Result<()> + Send + 'static,
    {
        let plan_id = self.active_meal_plan_id().await?;
        let _view = self.view_writes.lock().await;
        let now = self.clock.now_ms();
        let doc_id = plan_id.clone();
        let (stored, heads) = self
            .docs
            .with_doc(&plan_id, move |am| -> Result<(PlanDoc, String)> {
                let mut plan = read_plan_doc(am, &doc_id)?;
                change(&mut plan, now)?;
                am.transact(|tx| reconcile(tx, &plan))
                    .map_err(|f| bad_doc(&doc_id, f.error))?;
                Ok((read_plan_doc(am, &doc_id)?, heads_string(am)))
            })
            .await?
            .ok_or_else(|| LarderError::BadDocument {
                id: plan_id.clone(),
                reason: "the meal plan is missing from the document store".into(),
            })??;
        self.store
            .write_plan_view(&plan_id, &heads, &stored.slots, &stored.to_entries())?;
        self.emit(ChangeEvent::PlanChanged);
        Ok(())
    }
}

pub(super) fn read_plan_doc(am: &Automerge, id: &str) -> Result<PlanDoc> {
    read_doc(am, id, PLAN_KIND, "meal plan")
}
