//! The household the relay says this user belongs to and its shared grocery list: which list
//! (the user's own or the household's) the grocery screen and "add to the grocery list" use,
//! moving the user's unchecked items into the household list in one step, and forgetting the
//! household's list on this device once the user has left it.

use super::*;

const GROCERY_CHOICE_META: &str = "grocery_list_choice";

pub use crate::store::Household;

/// Which grocery list the grocery screen shows and additions go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum GroceryListChoice {
    /// The user's own list.
    Mine,
    /// The list the user's household shares.
    Household,
}

/// The lists this user can choose between, for the grocery screen's choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GroceryLists {
    /// The list in use (always `mine` outside a household).
    pub chosen: GroceryListChoice,
    /// The household's name, when the user is in one.
    pub household_name: Option<String>,
    /// Unchecked items on the user's own list (what moving them to the household list moves).
    pub mine_unchecked: u32,
}

impl<S: DocumentStore> Larder<S> {
    /// The household this device last heard the user belongs to.
    pub fn household(&self) -> Result<Option<Household>> {
        Ok(self.store.household()?)
    }

    /// Records the household the relay names (the household list must be in the document
    /// store already), or that the user is in none: then the household's list leaves this
    /// device's view and the user's own list is used again. A user who has not chosen a list
    /// uses the household's.
    pub async fn set_household(&self, household: Option<&Household>) -> Result<()> {
        if self.household()?.as_ref() == household {
            return Ok(());
        }
        match household {
            Some(household) => {
                self.store.join_household(household)?;
                for doc in household.documents() {
                    self.rematerialize(doc).await?;
                }
            }
            None => {
                self.store.leave_household()?;
            }
        }
        self.emit(ChangeEvent::GroceryChanged);
        self.emit(ChangeEvent::PlanChanged);
        Ok(())
    }

    /// The lists to choose between and the one in use.
    pub async fn grocery_lists(&self) -> Result<GroceryLists> {
        let household = self.household()?;
        let mine = self.grocery_list_id().await?;
        let mine_unchecked = self
            .store
            .grocery_items(&mine)?
            .iter()
            .filter(|item| !item.checked)
            .count();
        Ok(GroceryLists {
            chosen: if household.is_some() {
                self.stored_choice()?
            } else {
                GroceryListChoice::Mine
            },
            household_name: household.map(|h| h.name),
            mine_unchecked: u32::try_from(mine_unchecked).unwrap_or(u32::MAX),
        })
    }

    /// Uses `choice` from now on (the household's list only for a user in a household).
    pub async fn choose_grocery_list(&self, choice: GroceryListChoice) -> Result<GroceryLists> {
        if choice == GroceryListChoice::Household && self.household()?.is_none() {
            return Err(LarderError::NoHousehold);
        }
        let value = match choice {
            GroceryListChoice::Mine => "mine",
            GroceryListChoice::Household => "household",
        };
        self.store.meta_set(GROCERY_CHOICE_META, value)?;
        self.emit(ChangeEvent::GroceryChanged);
        self.grocery_lists().await
    }

    /// Moves the unchecked items of the user's own list into the household list (merged by
    /// the grocery rules into items already there) and uses the household list from now on.
    /// Returns the household list. The household list is written first: a crash in between
    /// leaves the items on both lists, never on neither.
    pub async fn move_unchecked_to_household(&self) -> Result<Vec<GroceryItem>> {
        let household = self.household()?.ok_or(LarderError::NoHousehold)?;
        let mine = self.grocery_list_id().await?;
        let moving: Vec<GroceryItem> = self
            .store
            .grocery_items(&mine)?
            .into_iter()
            .filter(|item| !item.checked)
            .collect();
        let moved: Vec<String> = moving.iter().map(|item| item.id.clone()).collect();
        let (items, ()) = self
            .change_list_with(&household.grocery_list_id, move |list, now| {
                for item in &moving {
                    grocery::merge_item(list, item, now);
                }
                Ok(())
            })
            .await?;
        self.change_list_with(&mine, move |list, _| {
            for id in &moved {
                list.items.remove(id);
            }
            Ok(())
        })
        .await?;
        self.choose_grocery_list(GroceryListChoice::Household)
            .await?;
        Ok(items)
    }

    /// The list the grocery screen shows and additions go to.
    pub(super) async fn active_grocery_list_id(&self) -> Result<String> {
        if let Some(household) = self.household()?
            && self.stored_choice()? == GroceryListChoice::Household
        {
            return Ok(household.grocery_list_id);
        }
        self.grocery_list_id().await
    }

    /// The meal plan in use: the household's while the user is in one, else their own.
    pub(super) async fn active_meal_plan_id(&self) -> Result<String> {
        match self.household()?.and_then(|h| h.meal_plan_id) {
            Some(plan) => Ok(plan),
            None => self.meal_plan_id().await,
        }
    }

    /// The household's name when additions go to its list.
    pub(super) fn active_household_name(&self) -> Result<Option<String>> {
        Ok(self
            .household()?
            .filter(|_| matches!(self.stored_choice(), Ok(GroceryListChoice::Household)))
            .map(|h| h.name))
    }

    /// The stored choice; a user who never chose uses the household list.
    fn stored_choice(&self) -> Result<GroceryListChoice> {
        Ok(match self.store.meta_get(GROCERY_CHOICE_META)?.as_deref() {
            Some("mine") => GroceryListChoice::Mine,
            _ => GroceryListChoice::Household,
        })
    }
}
