//! The meal plan's materialised view: the plan document's heads and slots (`meal_plans`) and its
//! entries (`plan_entries`, indexed by date so a week is one range query), rewritten whole from
//! the document like the grocery list's view.

use rusqlite::{OptionalExtension, params};

use super::marks::mark_dirty;
use super::{Store, StoreError};
use crate::model::{PlanEntry, PlanSlotDoc};

impl Store {
    pub fn write_plan_view(
        &self,
        plan_id: &str,
        heads: &str,
        slots: &[PlanSlotDoc],
        entries: &[PlanEntry],
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO meal_plans (doc_id, heads, slots) VALUES (?1, ?2, ?3)
             ON CONFLICT (doc_id) DO UPDATE SET heads = excluded.heads, slots = excluded.slots",
            params![plan_id, heads, serde_json::to_string(slots)?],
        )?;
        tx.execute("DELETE FROM plan_entries WHERE plan_id = ?1", [plan_id])?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO plan_entries
                 (plan_id, id, date, slot, recipe_id, title, servings, added_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for entry in entries {
                insert.execute(params![
                    plan_id,
                    entry.id,
                    entry.date,
                    entry.slot,
                    entry.recipe_id,
                    entry.title,
                    entry.servings,
                    entry.added_at,
                ])?;
            }
        }
        mark_dirty(&tx, plan_id)?;
        tx.commit()?;
        Ok(())
    }

    pub fn plan_heads(&self, plan_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT heads FROM meal_plans WHERE doc_id = ?1",
                [plan_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The plan's slots in display order (none before its view is written).
    pub fn plan_slots(&self, plan_id: &str) -> Result<Vec<PlanSlotDoc>, StoreError> {
        let slots: Option<String> = self
            .conn()
            .query_row(
                "SELECT slots FROM meal_plans WHERE doc_id = ?1",
                [plan_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(match slots {
            Some(json) => serde_json::from_str(&json)?,
            None => Vec::new(),
        })
    }

    /// Entries dated `from..=to` (`YYYY-MM-DD`, so text order is date order), by date and then
    /// as the document orders them (the view is written in that order).
    pub fn plan_entries(
        &self,
        plan_id: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<PlanEntry>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, date, slot, recipe_id, title, servings, added_at FROM plan_entries
             WHERE plan_id = ?1 AND date BETWEEN ?2 AND ?3 ORDER BY date, added_at, id",
        )?;
        let rows = stmt.query_map([plan_id, from, to], |r| {
            Ok(PlanEntry {
                id: r.get(0)?,
                date: r.get(1)?,
                slot: r.get(2)?,
                recipe_id: r.get(3)?,
                title: r.get(4)?,
                servings: r.get(5)?,
                added_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{PlanEntry, PlanSlotDoc};
    use crate::store::Store;

    fn entry(id: &str, date: &str) -> PlanEntry {
        PlanEntry {
            id: id.into(),
            date: date.into(),
            slot: "dinner".into(),
            recipe_id: None,
            title: format!("meal {id}"),
            servings: Some(2.0),
            added_at: 1,
        }
    }

    #[test]
    fn a_range_answers_only_its_days_and_a_rewrite_replaces_the_plan() {
        let store = Store::open_in_memory().expect("store");
        let slots = vec![PlanSlotDoc {
            id: "dinner".into(),
            name: "Dinner".into(),
        }];
        let entries = [
            entry("a", "2026-12-06"),
            entry("b", "2026-12-07"),
            entry("c", "2026-12-13"),
            entry("d", "2026-12-14"),
        ];
        store
            .write_plan_view("plan", "h1", &slots, &entries)
            .expect("write");
        let week: Vec<String> = store
            .plan_entries("plan", "2026-12-07", "2026-12-13")
            .expect("week")
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(week, ["b", "c"]);
        assert_eq!(store.plan_slots("plan").expect("slots"), slots);
        assert_eq!(
            store.view_heads("plan").expect("heads").as_deref(),
            Some("h1")
        );

        store
            .write_plan_view("plan", "h2", &slots, &entries[..1])
            .expect("rewrite");
        assert!(
            store
                .plan_entries("plan", "2026-12-07", "2026-12-13")
                .expect("week")
                .is_empty()
        );
        assert_eq!(
            store.plan_heads("plan").expect("heads").as_deref(),
            Some("h2")
        );
    }
}
