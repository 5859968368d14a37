//! `larder plan`: the meal plan from the command line — a week (this one by default, from the
//! local calendar), planning a recipe or a few words on a day's slot, moving, re-serving and
//! removing a meal, and a range's ingredients to the grocery list (`--dry-run` shows what would
//! be added). Slots are named by id or by name; everything else is core's.

use anyhow::{Result, anyhow};
use clap::Subcommand;
use larder_core::Larder;
use larder_core::api::{PlanAddition, PlanView};
use larder_core::docstore::SamodStore;

use crate::output::outln;

#[derive(Subcommand, Debug)]
pub enum PlanCommand {
    /// Show the week (Monday to Sunday) holding DATE (YYYY-MM-DD; default today).
    Week {
        date: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Plan a recipe (--recipe ID) or a few words on DATE's SLOT; prints the entry's id.
    Add {
        date: String,
        /// A slot's id or name ("dinner", "Dinner").
        slot: String,
        #[arg(long, conflicts_with = "text")]
        recipe: Option<String>,
        #[arg(long)]
        servings: Option<f64>,
        /// What to plan, in words ("Leftovers").
        #[arg(required_unless_present = "recipe")]
        text: Vec<String>,
    },
    /// Move a planned meal to another day and slot.
    Move {
        entry: String,
        date: String,
        slot: String,
    },
    /// Cook a planned recipe for N servings (--own: the recipe's own).
    Servings {
        entry: String,
        #[arg(required_unless_present = "own")]
        servings: Option<f64>,
        #[arg(long, conflicts_with = "servings")]
        own: bool,
    },
    /// Remove a planned meal.
    Rm { entry: String },
    /// Add the ingredients of the recipes planned FROM..TO to the grocery list.
    ToGrocery {
        from: String,
        to: String,
        /// Only show what would be added.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Today on this machine's calendar.
fn today() -> String {
    chrono::Local::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

pub async fn run(larder: &Larder<SamodStore>, command: PlanCommand) -> Result<()> {
    match command {
        PlanCommand::Week { date, json } => {
            let week = larder.plan_week(&date.unwrap_or_else(today)).await?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&week)?)
            } else {
                print_week(&week)
            }
        }
        PlanCommand::Add {
            date,
            slot,
            recipe,
            servings,
            text,
        } => {
            let slot = resolve_slot(larder, &date, &slot).await?;
            let text = (!text.is_empty()).then(|| text.join(" "));
            let id = larder
                .plan_add(PlanAddition {
                    date,
                    slot,
                    recipe_id: recipe,
                    text,
                    servings,
                })
                .await?;
            outln!("{id}")
        }
        PlanCommand::Move { entry, date, slot } => {
            let slot = resolve_slot(larder, &date, &slot).await?;
            Ok(larder.plan_move(&entry, &date, &slot).await?)
        }
        PlanCommand::Servings {
            entry,
            servings,
            own,
        } => Ok(larder
            .plan_set_servings(&entry, servings.filter(|_| !own))
            .await?),
        PlanCommand::Rm { entry } => Ok(larder.plan_remove(&entry).await?),
        PlanCommand::ToGrocery { from, to, dry_run } => {
            if dry_run {
                let preview = larder.plan_grocery_preview(&from, &to).await?;
                for line in &preview.lines {
                    outln!("{}", line.text)?;
                }
                for skip in &preview.skipped {
                    eprintln!("  adds nothing: {}: {}", skip.title, skip.reason);
                }
                return Ok(());
            }
            let added = larder.plan_to_grocery(&from, &to).await?;
            crate::output::grocery(&added.items, false)
        }
    }
}

/// A slot's id from its id or its name (any case), among the plan's slots.
async fn resolve_slot(larder: &Larder<SamodStore>, date: &str, slot: &str) -> Result<String> {
    let week = larder.plan_week(date).await?;
    week.slots
        .iter()
        .find(|s| s.id == slot || s.name.eq_ignore_ascii_case(slot.trim()))
        .map(|s| s.id.clone())
        .ok_or_else(|| {
            let names: Vec<&str> = week.slots.iter().map(|s| s.name.as_str()).collect();
            anyhow!(
                "no slot {slot:?}; the plan's slots are {}",
                names.join(", ")
            )
        })
}

fn print_week(week: &PlanView) -> Result<()> {
    outln!("{} to {}", week.from, week.to)?;
    for day in &week.days {
        let weekday = chrono::NaiveDate::parse_from_str(&day.date, "%Y-%m-%d")
            .map(|d| d.format("%a").to_string())
            .unwrap_or_default();
        outln!("{weekday} {}", day.date)?;
        for entry in &day.entries {
            let slot = week
                .slots
                .iter()
                .find(|s| s.id == entry.slot)
                .map_or(entry.slot.as_str(), |s| s.name.as_str());
            let serves = entry
                .servings
                .or(entry.recipe_servings.map(f64::from))
                .filter(|_| entry.recipe_id.is_some())
                .map(|n| format!(" (serves {n})"))
                .unwrap_or_default();
            let missing = if entry.missing {
                " (not on this device)"
            } else {
                ""
            };
            outln!("  {slot}: {}{serves}{missing}  [{}]", entry.title, entry.id)?;
        }
    }
    Ok(())
}
