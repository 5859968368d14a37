//! The engine's side of the one API: [`dispatch`] runs a [`Request`] against a [`Larder`] (every
//! domain operation; the shell's own requests answered `Unsupported`, see `shell` for the
//! dispatcher the shells call), [`dispatch_json`] the same from and to JSON.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::*;

/// Most lines one paste may turn into ingredient rows.
pub const MAX_PASTED_LINES: usize = 500;

fn parse_ingredients(text: &str) -> Result<Vec<IngredientInput>, RpcError> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.len() > MAX_PASTED_LINES {
        return Err(RpcError::new(
            RpcErrorCode::TooLarge,
            format!(
                "{} lines pasted; at most {MAX_PASTED_LINES} become ingredient rows at once",
                lines.len()
            ),
        ));
    }
    Ok(lines
        .into_iter()
        .map(crate::api::ingredient_input)
        .collect())
}

fn decode_base64(field: &str, text: &str) -> Result<Vec<u8>, RpcError> {
    BASE64.decode(text.trim()).map_err(|e| {
        RpcError::new(
            RpcErrorCode::BadRequest,
            format!("{field} is not valid base64: {e}"),
        )
    })
}

/// Reads a request from JSON, runs it and writes the reply as JSON: the whole of a JSON
/// transport's work.
pub async fn dispatch_json<S: DocumentStore>(larder: &Larder<S>, request: &str) -> String {
    let reply: Reply = match serde_json::from_str::<Request>(request) {
        Ok(request) => dispatch(larder, request).await.into(),
        Err(err) => Reply::Err(RpcError::new(
            RpcErrorCode::BadRequest,
            format!("not a valid request: {err}"),
        )),
    };
    encode_reply(&reply)
}

pub(super) fn encode_reply(reply: &Reply) -> String {
    serde_json::to_string(reply).unwrap_or_else(|err| {
        format!(r#"{{"err":{{"code":"internal","message":"unencodable reply: {err}"}}}}"#)
    })
}

/// Runs one request.
pub async fn dispatch<S: DocumentStore>(
    larder: &Larder<S>,
    request: Request,
) -> Result<Response, RpcError> {
    Ok(match request {
        Request::Search {
            query,
            limit,
            offset,
            shared_only,
        } => {
            let limit = limit
                .unwrap_or(DEFAULT_SEARCH_LIMIT)
                .clamp(1, MAX_SEARCH_LIMIT);
            let offset = offset.unwrap_or(0);
            Response::Summaries(if shared_only == Some(true) {
                larder.search_shared(&query, limit, offset)?
            } else {
                larder.search(&query, limit, offset)?
            })
        }
        Request::GetRecipe { id } => Response::Recipe(Box::new(larder.get_recipe(&id)?)),
        Request::RecipeDraft { id } => Response::Draft(Box::new(match id {
            Some(id) => larder.get_recipe(&id)?.to_draft(),
            None => RecipeDraft::default(),
        })),
        Request::CreateRecipe { draft } => {
            Response::Recipe(Box::new(larder.create_recipe(&draft).await?))
        }
        Request::UpdateRecipe { id, draft } => {
            Response::Recipe(Box::new(larder.update_recipe(&id, &draft).await?))
        }
        Request::DeleteRecipe { id } => {
            larder.delete_recipe(&id).await?;
            Response::Done
        }
        Request::RestoreRecipe { id } => {
            Response::Recipe(Box::new(larder.restore_recipe(&id).await?))
        }
        Request::RecipeHistory { id } => Response::History(larder.recipe_history(&id).await?),
        Request::RecipeVersion { id, version } => {
            let recipe = larder.recipe_version(&id, &version).await?;
            let ingredient_lines = crate::servings::ingredient_lines(&recipe, None);
            Response::Version(Box::new(VersionView {
                recipe,
                ingredient_lines,
            }))
        }
        Request::RestoreVersion { id, version } => {
            Response::Restored(Box::new(larder.restore_version(&id, &version).await?))
        }
        Request::UndoRestore {
            id,
            previous,
            restored,
        } => Response::Recipe(Box::new(
            larder.undo_restore(&id, &previous, &restored).await?,
        )),
        Request::RecentlyDeleted => Response::Deleted(larder.recently_deleted()?),
        Request::IngredientLines {
            recipe_id,
            servings,
        } => Response::IngredientLines(larder.ingredient_lines(&recipe_id, servings)?),
        Request::CookView { id, servings } => Response::CookView(larder.cook_view(&id, servings)?),
        Request::ParseIngredients { text } => Response::Ingredients(parse_ingredients(&text)?),
        Request::ListTags => Response::Tags(larder.list_tags()?),
        Request::AttachFile {
            recipe_id,
            file_name,
            media_type,
            bytes_base64,
        } => {
            let bytes = decode_base64("bytes_base64", &bytes_base64)?;
            Response::Attachment(
                larder
                    .attach_file(&recipe_id, &file_name, &media_type, &bytes)
                    .await?,
            )
        }
        Request::RemoveAttachment { recipe_id, sha256 } => Response::Recipe(Box::new(
            larder.remove_attachment(&recipe_id, &sha256).await?,
        )),
        Request::AttachmentBytes { sha256 } => Response::Bytes {
            bytes_base64: BASE64.encode(larder.attachment_bytes(&sha256)?),
        },
        Request::ImportFile {
            file_name,
            bytes_base64,
        } => {
            let bytes = decode_base64("bytes_base64", &bytes_base64)?;
            Response::Import(larder.import_file(&file_name, &bytes).await?)
        }
        Request::ImportFolder { files } => {
            let files = files
                .into_iter()
                .map(|f| {
                    Ok(crate::import::FolderFile {
                        bytes: decode_base64("bytes_base64", &f.bytes_base64)?,
                        path: f.path,
                    })
                })
                .collect::<Result<Vec<_>, RpcError>>()?;
            Response::Import(
                larder
                    .import_from(crate::import::ImportSource::Files(&files))
                    .await?,
            )
        }
        Request::ImportPage { page } => Response::Import(larder.import_page(&page).await?),
        Request::SaveLink { url } => Response::Recipe(Box::new(larder.save_link(&url).await?)),
        Request::ExportAll => {
            let (bytes, summary) = larder.export_archive(std::io::Cursor::new(Vec::new()))?;
            Response::Export(ExportedArchive {
                file_name: larder.export_file_name(),
                bytes_base64: BASE64.encode(bytes.into_inner()),
                summary,
            })
        }
        Request::ExportJsonLd { id } => Response::JsonLd(larder.export_json_ld(&id)?),
        Request::GroceryItems => Response::Grocery(larder.grocery_items().await?),
        Request::AddRecipeToGrocery {
            recipe_id,
            servings,
        } => Response::GroceryAdded(larder.add_recipe_to_grocery(&recipe_id, servings).await?),
        Request::UndoGroceryAddition { undo } => {
            Response::Grocery(larder.undo_grocery_addition(undo).await?)
        }
        Request::AddGroceryItem { text } => {
            Response::Grocery(larder.add_grocery_item(&text).await?)
        }
        Request::SetGroceryChecked { item_id, checked } => {
            Response::Grocery(larder.set_grocery_checked(&item_id, checked).await?)
        }
        Request::RemoveGroceryItem { item_id } => {
            Response::Grocery(larder.remove_grocery_item(&item_id).await?)
        }
        Request::ClearCheckedGrocery => Response::Grocery(larder.clear_checked_grocery().await?),
        Request::GroceryLists => Response::GroceryLists(larder.grocery_lists().await?),
        Request::ChooseGroceryList { list } => {
            Response::GroceryLists(larder.choose_grocery_list(list).await?)
        }
        Request::MoveGroceryToHousehold => {
            Response::Grocery(larder.move_unchecked_to_household().await?)
        }
        Request::PlanWeek { date } => Response::Plan(larder.plan_week(&date).await?),
        Request::PlanAdd { addition } => Response::PlanEntry {
            id: larder.plan_add(addition).await?,
        },
        Request::PlanMove {
            entry_id,
            date,
            slot,
        } => {
            larder.plan_move(&entry_id, &date, &slot).await?;
            Response::Done
        }
        Request::PlanSetServings { entry_id, servings } => {
            larder.plan_set_servings(&entry_id, servings).await?;
            Response::Done
        }
        Request::PlanRemove { entry_id } => {
            larder.plan_remove(&entry_id).await?;
            Response::Done
        }
        Request::PlanSetSlots { slots } => {
            larder.plan_set_slots(slots).await?;
            Response::Done
        }
        Request::PlanGroceryPreview { from, to } => {
            Response::PlanGroceryPreview(larder.plan_grocery_preview(&from, &to).await?)
        }
        Request::PlanToGrocery { from, to } => {
            Response::GroceryAdded(larder.plan_to_grocery(&from, &to).await?)
        }
        Request::LastSignIn => {
            Response::LastSignIn(larder.store().last_sign_in().map_err(LarderError::from)?)
        }
        Request::SyncStatus
        | Request::ImportUrl { .. }
        | Request::SignIn { .. }
        | Request::SignOut { .. }
        | Request::Session => {
            return Err(RpcError::new(
                RpcErrorCode::Unsupported,
                "sessions and sync are answered by the app shell, not the engine",
            ));
        }
        Request::PlanCalendar { .. } => {
            return Err(RpcError::new(
                RpcErrorCode::Unsupported,
                "the calendar feed lives on the relay: the app shell asks it",
            ));
        }
        Request::Shares { .. } => {
            return Err(RpcError::new(
                RpcErrorCode::Unsupported,
                "shares live on the relay: the app shell asks it",
            ));
        }
        Request::KeepScreenOn { .. } => {
            return Err(RpcError::new(
                RpcErrorCode::Unsupported,
                "keeping the screen on is the app shell's to do, where it can",
            ));
        }
    })
}
