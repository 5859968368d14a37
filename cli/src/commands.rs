//! Runs one CLI command against the profile: open, call the API, print, close cleanly.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use larder_core::api::ingredient_input;
use larder_core::docstore::SamodStore;
use larder_core::model::RecipeDraft;
use larder_core::{GroceryListChoice, Larder, profile};

use crate::attachment_commands;
use crate::import_commands;
use crate::output::{self, outln};
use crate::share_commands;
use crate::sync_commands;
use crate::{AttachmentCommand, Cli, Command, GroceryCommand, ListChoiceArg};
use larder_core::rpc::ShareTarget;

fn data_dir(cli_value: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(dir) = cli_value {
        return Ok(dir);
    }
    directories::ProjectDirs::from("org", "Larder", "larder")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .ok_or_else(|| anyhow!("no home directory found; pass --data DIR"))
}

pub async fn run(cli: Cli) -> Result<()> {
    let dir = data_dir(cli.data)?;
    let larder = Arc::new(
        profile::open(&dir)
            .await
            .with_context(|| format!("cannot open the profile in {}", dir.display()))?,
    );
    let wipe = matches!(cli.command, Command::Logout { wipe: true });
    let outcome = dispatch(&larder, cli.command).await;
    // Close even after a failed command so every write reaches the database cleanly.
    let closed = match Arc::try_unwrap(larder) {
        Ok(larder) => larder.close().await.context("closing the profile"),
        Err(_) => Err(anyhow!(
            "the profile is still in use; it was not closed cleanly"
        )),
    };
    outcome?;
    closed?;
    if wipe {
        sync_commands::wipe(&dir)?;
    }
    Ok(())
}

async fn dispatch(larder: &Arc<Larder<SamodStore>>, command: Command) -> Result<()> {
    match command {
        Command::Login { server, user } => sync_commands::login(larder, &server, &user).await,
        Command::Logout { .. } => sync_commands::logout(larder).await,
        Command::Status { json } => sync_commands::status(larder, json),
        Command::Sync { once, no_bulk } => sync_commands::sync(larder, once, !no_bulk).await,
        Command::Import { files } => import_commands::import(larder, &files).await,
        Command::ImportUrl { url, link_only } => {
            import_commands::import_url(larder, &url, link_only).await
        }
        Command::Search {
            query,
            json,
            limit,
            offset,
            shared,
        } => {
            let query = query.as_deref().unwrap_or("");
            let hits = if shared {
                larder.search_shared(query, limit, offset)?
            } else {
                larder.search(query, limit, offset)?
            };
            output::summaries(&hits, json)
        }
        Command::Show { id, json } => output::recipe(&larder.get_recipe(&id)?, json),
        Command::Export { id, all } => match (id, all) {
            (_, Some(dir)) => export_all(larder, &dir),
            (Some(id), None) => {
                let value = larder.export_json_ld(&id)?;
                outln!("{}", serde_json::to_string_pretty(&value)?)?;
                Ok(())
            }
            (None, None) => Err(anyhow!("name a recipe id or --all DIR")),
        },
        Command::Rm { id } => {
            larder.delete_recipe(&id).await?;
            Ok(())
        }
        Command::Add {
            title,
            ingredients,
            steps,
            tags,
            servings,
            description,
            notes,
            source_url,
        } => {
            let draft = RecipeDraft {
                title,
                description,
                servings,
                tags,
                source_url,
                ingredients: ingredients.iter().map(|l| ingredient_input(l)).collect(),
                steps,
                notes,
                ..RecipeDraft::default()
            };
            let recipe = larder.create_recipe(&draft).await?;
            outln!("{}", recipe.id)?;
            Ok(())
        }
        Command::Edit {
            id,
            title,
            description,
            servings,
            notes,
            add_ingredients,
            add_steps,
            add_tags,
        } => {
            let mut draft = larder.get_recipe(&id)?.to_draft();
            if let Some(title) = title {
                draft.title = title;
            }
            if let Some(description) = description {
                draft.description = description;
            }
            if servings.is_some() {
                draft.servings = servings;
            }
            if let Some(notes) = notes {
                draft.notes = notes;
            }
            draft
                .ingredients
                .extend(add_ingredients.iter().map(|l| ingredient_input(l)));
            draft.steps.extend(add_steps);
            draft.tags.extend(add_tags);
            larder.update_recipe(&id, &draft).await?;
            Ok(())
        }
        Command::Tags { json } => output::tags(&larder.list_tags()?, json),
        Command::Grocery { command } => grocery(larder, command).await,
        Command::History {
            id,
            show,
            restore,
            json,
        } => {
            use crate::history_commands::{HistoryAction, history};
            let action = match (show, restore) {
                (Some(version), _) => HistoryAction::Show { version, json },
                (None, Some(version)) => HistoryAction::Restore { version },
                (None, None) => HistoryAction::List { json },
            };
            history(larder, &id, action).await
        }
        Command::Deleted { json } => crate::history_commands::deleted(larder, json),
        Command::Undelete { id } => {
            let recipe = larder.restore_recipe(&id).await?;
            eprintln!("Brought back \"{}\".", recipe.title);
            Ok(())
        }
        Command::Plan { command } => crate::plan_commands::run(larder, command).await,
        Command::Share {
            ids,
            all,
            with,
            with_household,
            edit,
        } => {
            let with = match (with, with_household) {
                (Some(user), _) => ShareTarget::User(user),
                (None, Some(household)) => ShareTarget::Household(household),
                (None, None) => return Err(anyhow!("say --with USER or --with-household NAME")),
            };
            share_commands::share(larder, ids, all, with, edit).await
        }
        Command::Shares { json } => share_commands::list(larder, json).await,
        Command::Unshare { share_id } => share_commands::revoke(larder, &share_id).await,
        Command::Attach {
            recipe_id,
            file,
            name,
            media_type,
            json,
        } => attachment_commands::attach(larder, &recipe_id, &file, name, media_type, json).await,
        Command::Attachment { command } => match command {
            AttachmentCommand::List { recipe_id, json } => {
                attachment_commands::list(larder, &recipe_id, json)
            }
            AttachmentCommand::Get {
                recipe_id,
                name,
                output,
            } => attachment_commands::get(larder, &recipe_id, &name, &output).await,
        },
    }
}

/// Writes the export beside its final name and renames it into place once complete, so a
/// crash never leaves a half-written zip under the real name.
fn export_all(larder: &Larder<SamodStore>, dir: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(larder.export_file_name());
    let partial = path.with_extension("zip.partial");
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("creating {}", partial.display()))?;
    let (file, summary) = match larder.export_archive(std::io::BufWriter::new(file)) {
        Ok(done) => done,
        Err(err) => {
            std::fs::remove_file(&partial).ok();
            return Err(err.into());
        }
    };
    let file = file.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(&partial, &path)
        .with_context(|| format!("moving the export to {}", path.display()))?;
    eprintln!(
        "Exported {} recipe(s) and {} attachment(s).",
        summary.recipes, summary.attachments
    );
    if summary.missing_attachments > 0 {
        eprintln!(
            "warning: {} attachment(s) are not on this device yet (run `larder sync` and open them, then export again); they are listed in the export without their bytes",
            summary.missing_attachments
        );
    }
    outln!("{}", path.display())?;
    Ok(())
}

async fn grocery(larder: &Larder<SamodStore>, command: GroceryCommand) -> Result<()> {
    match command {
        GroceryCommand::AddRecipe { id, servings } => output::grocery(
            &larder.add_recipe_to_grocery(&id, servings).await?.items,
            false,
        ),
        GroceryCommand::Add { text } => {
            output::grocery(&larder.add_grocery_item(&text).await?, false)
        }
        GroceryCommand::List { json } => output::grocery(&larder.grocery_items().await?, json),
        GroceryCommand::Check { item } => {
            let id = resolve_item(larder, &item).await?;
            larder.set_grocery_checked(&id, true).await?;
            Ok(())
        }
        GroceryCommand::Uncheck { item } => {
            let id = resolve_item(larder, &item).await?;
            larder.set_grocery_checked(&id, false).await?;
            Ok(())
        }
        GroceryCommand::Rm { item } => {
            let id = resolve_item(larder, &item).await?;
            larder.remove_grocery_item(&id).await?;
            Ok(())
        }
        GroceryCommand::ClearChecked => {
            larder.clear_checked_grocery().await?;
            Ok(())
        }
        GroceryCommand::Lists { json } => {
            output::grocery_lists(&larder.grocery_lists().await?, json)
        }
        GroceryCommand::Use { list } => {
            let choice = match list {
                ListChoiceArg::Mine => GroceryListChoice::Mine,
                ListChoiceArg::Household => GroceryListChoice::Household,
            };
            output::grocery_lists(&larder.choose_grocery_list(choice).await?, false)
        }
        GroceryCommand::MoveToHousehold => {
            output::grocery(&larder.move_unchecked_to_household().await?, false)
        }
    }
}

/// An item given by id, or by name when exactly one item has that name (ignoring case).
async fn resolve_item(larder: &Larder<SamodStore>, key: &str) -> Result<String> {
    let items = larder.grocery_items().await?;
    if items.iter().any(|i| i.id == key) {
        return Ok(key.to_string());
    }
    let wanted = key.trim().to_lowercase();
    let named: Vec<_> = items
        .iter()
        .filter(|i| i.name.to_lowercase() == wanted)
        .collect();
    match named.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(anyhow!("no grocery item with id or name {key:?}")),
        _ => Err(anyhow!(
            "{} grocery items are named {key:?}; use the id from `larder grocery list`",
            named.len()
        )),
    }
}
