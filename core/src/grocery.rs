//! Grocery-list rules: turning a recipe's ingredient rows (scaled to a number of servings) or a
//! typed line into additions, merging an addition into an unchecked item of the same
//! normalised name and a compatible unit, and taking a merged addition back.

use serde::{Deserialize, Serialize};

use crate::ids::new_id;
use crate::ingredient::{self, units};
use crate::model::{
    GroceryDoc, GroceryItem, GroceryItemDoc, Recipe, ValidationError, validate::check_quantity,
};
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

/// What merging one addition did to the list: enough to take it back (the "Undo" after adding
/// a recipe's ingredients).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MergedAddition {
    pub item_id: String,
    /// The item was made by this addition (it was not merged into one already there).
    pub created: bool,
    /// The quantity added, in the item's unit.
    pub quantity: Option<f64>,
    /// Where among the item's `added` amounts it went (merged into an item already there).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub addition_key: Option<String>,
    /// The recipe this addition put among the item's sources (it was not there before).
    pub source_added: Option<String>,
}

/// What one "add this recipe to the grocery list" did, item by item, to hand back for taking it
/// back (see [`take_back`]). Opaque to the UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GroceryUndo {
    pub merged: Vec<MergedAddition>,
}

/// Merges into an unchecked item with the same normalised name and a compatible unit (the
/// quantity converted into that item's unit), or adds a new item. Says which item, and what
/// it added to it.
pub fn merge_addition(list: &mut GroceryDoc, addition: Addition, now: i64) -> MergedAddition {
    let key = ingredient::normalize_name(&addition.name);
    let target = list.items.iter_mut().find(|(_, item)| {
        !item.checked
            && ingredient::normalize_name(&item.name) == key
            && units_merge(&item.unit, &addition.unit)
    });
    if let Some((id, item)) = target {
        let added = addition.quantity.map(|add| {
            round(if item.unit == addition.unit {
                add
            } else {
                units::convert(add, &addition.unit, &item.unit).unwrap_or(0.0)
            })
        });
        let addition_key = added.map(|add| {
            let key = new_id();
            item.added.insert(key.clone(), add);
            key
        });
        let source_added = addition
            .source_recipe_id
            .filter(|source| !item.source_recipe_ids.contains(source));
        if let Some(source) = &source_added {
            item.source_recipe_ids.push(source.clone());
        }
        return MergedAddition {
            item_id: id.clone(),
            created: false,
            quantity: added,
            addition_key,
            source_added,
        };
    }
    let id = new_id();
    let quantity = addition.quantity.map(round);
    list.items.insert(
        id.clone(),
        GroceryItemDoc {
            name: addition.name,
            quantity,
            unit: addition.unit,
            checked: false,
            source_recipe_ids: addition.source_recipe_id.iter().cloned().collect(),
            added_at: now,
            added: Default::default(),
        },
    );
    MergedAddition {
        item_id: id,
        created: true,
        quantity,
        addition_key: None,
        source_added: addition.source_recipe_id,
    }
}

/// Takes back what [`merge_addition`] did, as far as the item is still there: the quantity it
/// added is subtracted and the recipe it added to the item's sources dropped; an item it made
/// goes once nothing else was added to it meanwhile. Other changes made since (a check-off,
/// another device's addition) stay. Apply each one once.
pub fn take_back(list: &mut GroceryDoc, merged: &MergedAddition) {
    let Some(item) = list.items.get_mut(&merged.item_id) else {
        return; // removed meanwhile
    };
    if let Some(key) = &merged.addition_key {
        item.added.remove(key);
    }
    if merged.created {
        if item.added.is_empty() {
            list.items.remove(&merged.item_id);
            return;
        }
        item.quantity = None; // what others added meanwhile stays
    }
    if let Some(source) = &merged.source_added {
        item.source_recipe_ids.retain(|s| s != source);
    }
}

/// Merges an item of another list (moving it to a household's list) as [`merge_addition`]
/// merges an addition, keeping every recipe it came from.
pub fn merge_item(list: &mut GroceryDoc, item: &GroceryItem, now: i64) -> MergedAddition {
    let mut sources = item.source_recipe_ids.iter();
    let merged = merge_addition(
        list,
        Addition {
            name: item.name.clone(),
            quantity: item.quantity,
            unit: item.unit.clone(),
            source_recipe_id: sources.next().cloned(),
        },
        now,
    );
    if let Some(target) = list.items.get_mut(&merged.item_id) {
        for source in sources {
            if !target.source_recipe_ids.contains(source) {
                target.source_recipe_ids.push(source.clone());
            }
        }
    }
    merged
}

/// Folds unchecked items that [`merge_addition`] would have merged into one, had their
/// devices seen each other's first (two people adding eggs offline to a shared list): each
/// later item's amount joins the earliest one's under the key `fold:{its id}`, its sources
/// too, and it goes. Deterministic, so two devices folding the same items at once write the
/// same keys and values and nothing counts twice.
pub fn fold_duplicates(list: &mut GroceryDoc) {
    let mut order: Vec<(i64, String)> = list
        .items
        .iter()
        .filter(|(_, item)| !item.checked)
        .map(|(id, item)| (item.added_at, id.clone()))
        .collect();
    order.sort();
    let mut survivors: Vec<String> = Vec::new();
    for (_, id) in order {
        let Some(item) = list.items.get(&id) else {
            continue;
        };
        let key = ingredient::normalize_name(&item.name);
        let into = survivors.iter().find(|s| {
            list.items.get(*s).is_some_and(|kept| {
                ingredient::normalize_name(&kept.name) == key && units_merge(&kept.unit, &item.unit)
            })
        });
        let Some(into) = into.cloned() else {
            survivors.push(id);
            continue;
        };
        let Some(folded) = list.items.remove(&id) else {
            continue;
        };
        let Some(kept) = list.items.get_mut(&into) else {
            continue;
        };
        if let Some(amount) = folded.total_quantity() {
            let amount = if kept.unit == folded.unit {
                amount
            } else {
                units::convert(amount, &folded.unit, &kept.unit).unwrap_or(0.0)
            };
            kept.added.insert(format!("fold:{id}"), round(amount));
        }
        for source in folded.source_recipe_ids {
            if !kept.source_recipe_ids.contains(&source) {
                kept.source_recipe_ids.push(source);
            }
        }
    }
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
        assert_eq!(first.item_id, merged.item_id, "merged into the same item");
        assert_eq!((first.created, merged.created), (true, false));
        assert_eq!(merged.quantity, Some(500.0), "added in the item's unit");
        assert_eq!(list.items.len(), 1);
        let item = list.items.values().next().expect("item");
        assert_eq!(item.total_quantity(), Some(700.0));
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
    fn an_amount_merged_into_an_item_without_one_is_in_the_items_unit() {
        let mut list = GroceryDoc::new();
        let flour = merge_addition(&mut list, item("flour", None, "g", None), 1);
        let merged = merge_addition(&mut list, item("flour", Some(0.5), "kg", Some("r")), 2);
        assert_eq!(merged.item_id, flour.item_id);
        let stored = &list.items[&flour.item_id];
        assert_eq!(
            (stored.total_quantity(), stored.unit.as_str()),
            (Some(500.0), "g")
        );
    }

    /// One device's addition to `doc`, as the API makes it: hydrate, merge, reconcile.
    fn add_on(doc: &mut automerge::AutoCommit, addition: Addition, now: i64) {
        let mut list: GroceryDoc = autosurgeon::hydrate(doc).expect("hydrate");
        merge_addition(&mut list, addition, now);
        autosurgeon::reconcile(doc, &list).expect("reconcile");
    }

    #[test]
    fn two_devices_adding_to_one_item_at_once_both_count() {
        let mut list = GroceryDoc::new();
        merge_addition(&mut list, item("eggs", Some(2.0), "", Some("cake")), 1);
        let mut a = automerge::AutoCommit::new();
        autosurgeon::reconcile(&mut a, &list).expect("reconcile");
        let mut b = a.fork();
        add_on(&mut a, item("eggs", Some(3.0), "", Some("soup")), 2);
        add_on(&mut b, item("Eggs", Some(1.0), "", Some("pie")), 2);
        a.merge(&mut b).expect("merge");
        let merged: GroceryDoc = autosurgeon::hydrate(&a).expect("hydrate");
        let items = merged.to_items();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].quantity, Some(6.0), "2 + 3 + 1, nothing lost");
        assert_eq!(items[0].text, "6 eggs");
    }

    #[test]
    fn items_two_devices_made_at_once_show_as_one_and_fold_once() {
        let mut a = automerge::AutoCommit::new();
        autosurgeon::reconcile(&mut a, GroceryDoc::new()).expect("reconcile");
        let mut b = a.fork();
        // The earlier one (a's, "eggs") is the one kept.
        add_on(&mut a, item("eggs", Some(3.0), "", Some("cake")), 2);
        add_on(&mut b, item("Eggs", Some(2.0), "", Some("flan")), 3);
        a.merge(&mut b).expect("merge");
        let merged: GroceryDoc = autosurgeon::hydrate(&a).expect("hydrate");
        assert_eq!(merged.items.len(), 2, "two items in the document");
        let shown = merged.to_items();
        assert_eq!(shown.len(), 1, "shown as one");
        assert_eq!(shown[0].quantity, Some(5.0));
        assert_eq!(shown[0].source_recipe_ids.len(), 2);

        // Both devices fold for good at once: still 5, one item.
        let mut b = a.fork();
        for doc in [&mut a, &mut b] {
            let mut list: GroceryDoc = autosurgeon::hydrate(&*doc).expect("hydrate");
            fold_duplicates(&mut list);
            autosurgeon::reconcile(doc, &list).expect("reconcile");
        }
        a.merge(&mut b).expect("merge");
        let folded: GroceryDoc = autosurgeon::hydrate(&a).expect("hydrate");
        assert_eq!(folded.items.len(), 1);
        assert_eq!(folded.to_items()[0].text, "5 eggs");
    }

    #[test]
    fn an_item_written_before_amounts_were_kept_apart_reads_as_it_was() {
        use automerge::transaction::Transactable;
        let mut doc = automerge::AutoCommit::new();
        doc.put(automerge::ROOT, "kind", crate::model::GROCERY_KIND)
            .expect("kind");
        let items = doc
            .put_object(automerge::ROOT, "items", automerge::ObjType::Map)
            .expect("items");
        let milk = doc
            .put_object(&items, "i1", automerge::ObjType::Map)
            .expect("item");
        doc.put(&milk, "name", "milk").expect("name");
        doc.put(&milk, "quantity", 2.0).expect("quantity");
        doc.put(&milk, "unit", "l").expect("unit");
        doc.put(&milk, "checked", false).expect("checked");
        doc.put_object(&milk, "source_recipe_ids", automerge::ObjType::List)
            .expect("sources");
        doc.put(&milk, "added_at", 1_i64).expect("added_at");
        let list: GroceryDoc = autosurgeon::hydrate(&doc).expect("hydrate an old item");
        assert_eq!(list.to_items()[0].text, "2 l milk");
    }

    #[test]
    fn a_moved_item_merges_like_an_addition_and_keeps_all_its_sources() {
        let mut household = GroceryDoc::new();
        let eggs = merge_addition(&mut household, item("eggs", Some(2.0), "", Some("cake")), 1);
        let mut mine = GroceryDoc::new();
        merge_addition(&mut mine, item("Eggs", Some(3.0), "", Some("soup")), 1);
        merge_addition(&mut mine, item("eggs", Some(1.0), "", Some("pie")), 1);
        merge_addition(&mut mine, item("leeks", None, "", None), 1);
        for moving in mine.to_items() {
            merge_item(&mut household, &moving, 5);
        }
        let merged = &household.items[&eggs.item_id];
        assert_eq!(merged.total_quantity(), Some(6.0));
        assert_eq!(merged.source_recipe_ids, ["cake", "soup", "pie"]);
        assert_eq!(household.items.len(), 2, "leeks added beside the eggs");
    }

    fn item(name: &str, quantity: Option<f64>, unit: &str, source: Option<&str>) -> Addition {
        Addition {
            name: name.into(),
            quantity,
            unit: unit.into(),
            source_recipe_id: source.map(Into::into),
        }
    }

    /// An item as a comparable row: name, quantity, unit, checked, sources.
    type Row = (String, Option<f64>, String, bool, Vec<String>);

    /// The list's items as rows, by name and unit.
    fn rows(list: &GroceryDoc) -> Vec<Row> {
        let mut rows: Vec<_> = list
            .items
            .values()
            .map(|i| {
                let (n, q, u) = (i.name.clone(), i.total_quantity(), i.unit.clone());
                (n, q, u, i.checked, i.source_recipe_ids.clone())
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.cmp(&b.2)));
        rows
    }

    #[test]
    fn taking_back_a_recipe_restores_the_list_it_was_added_to() {
        let mut list = GroceryDoc::new();
        merge_addition(&mut list, item("butter", Some(200.0), "g", None), 1);
        merge_addition(&mut list, item("milk", None, "l", None), 1);
        merge_addition(&mut list, item("eggs", Some(2.0), "", Some("cake")), 1);
        let before = rows(&list);
        let soup = [
            item("Butter", Some(0.5), "kg", Some("soup")), // merged, converted
            item("milk", Some(1.0), "l", Some("soup")),    // merged into one without quantity
            item("eggs", Some(3.0), "", Some("soup")),     // merged, a second source
            item("leeks", Some(2.0), "", Some("soup")),    // new
            item("salt", None, "", Some("soup")),          // new, no quantity
        ];
        let merged: Vec<_> = soup
            .into_iter()
            .map(|a| merge_addition(&mut list, a, 2))
            .collect();
        assert_eq!(list.items.len(), 5);
        for m in merged.iter().rev() {
            take_back(&mut list, m);
        }
        assert_eq!(rows(&list), before);
    }

    #[test]
    fn taking_back_keeps_what_changed_meanwhile() {
        let mut list = GroceryDoc::new();
        let leeks = merge_addition(&mut list, item("leeks", Some(2.0), "", Some("soup")), 1);
        let salt = merge_addition(&mut list, item("salt", None, "", Some("soup")), 1);
        let flour = merge_addition(&mut list, item("flour", Some(1.0), "kg", Some("soup")), 1);
        // Meanwhile: another recipe's leeks merged in, the salt checked off, the flour removed.
        merge_addition(&mut list, item("leeks", Some(1.0), "", Some("pie")), 2);
        list.items.get_mut(&salt.item_id).expect("salt").checked = true;
        list.items.remove(&flour.item_id);
        for m in [&flour, &salt, &leeks] {
            take_back(&mut list, m);
        }
        // The pie's leek stays; the salt this addition made goes (checked or not).
        assert_eq!(
            rows(&list),
            vec![(
                "leeks".into(),
                Some(1.0),
                String::new(),
                false,
                vec!["pie".into()]
            )]
        );
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
