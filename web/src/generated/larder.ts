// Generated from larder-core's Rust types by core/tests/ts_bindings.rs; do not edit.
// Regenerate: LARDER_WRITE_TS=1 cargo test -p larder-core --features ts --test ts_bindings

export type Request = { "op": "search", query: string, limit?: number | null, offset?: number | null, 
/**
 * Only recipes other users share with this one.
 */
shared_only?: boolean | null, } | { "op": "get_recipe", id: string, } | { "op": "recipe_draft", id?: string | null, } | { "op": "create_recipe", draft: RecipeDraft, } | { "op": "update_recipe", id: string, draft: RecipeDraft, } | { "op": "delete_recipe", id: string, } | { "op": "restore_recipe", id: string, } | { "op": "recipe_history", id: string, } | { "op": "recipe_version", id: string, 
/**
 * A version from `recipe_history` (its heads).
 */
version: string, } | { "op": "restore_version", id: string, version: string, } | { "op": "undo_restore", id: string, previous: string, restored: string, } | { "op": "recently_deleted" } | { "op": "ingredient_lines", recipe_id: string, servings?: number | null, } | { "op": "cook_view", id: string, servings?: number | null, } | { "op": "parse_ingredients", text: string, } | { "op": "list_tags" } | { "op": "attach_file", recipe_id: string, file_name: string, media_type: string, bytes_base64: string, } | { "op": "remove_attachment", recipe_id: string, sha256: string, } | { "op": "attachment_bytes", sha256: string, } | { "op": "import_file", file_name: string, bytes_base64: string, } | { "op": "import_folder", files: Array<FolderFileInput>, } | { "op": "import_url", url: string, } | { "op": "import_page", page: PageImport, } | { "op": "shares", action: ShareAction, } | { "op": "save_link", url: string, } | { "op": "export_all" } | { "op": "export_json_ld", id: string, } | { "op": "grocery_items" } | { "op": "add_recipe_to_grocery", recipe_id: string, servings?: number | null, } | { "op": "undo_grocery_addition", undo: GroceryUndo, } | { "op": "add_grocery_item", text: string, } | { "op": "set_grocery_checked", item_id: string, checked: boolean, } | { "op": "remove_grocery_item", item_id: string, } | { "op": "clear_checked_grocery" } | { "op": "grocery_lists" } | { "op": "choose_grocery_list", list: GroceryListChoice, } | { "op": "move_grocery_to_household" } | { "op": "sync_status" } | { "op": "sign_in", 
/**
 * The relay's address, e.g. `https://larder.example.org`.
 */
server: string, username: string, password: string, } | { "op": "sign_out", remove_data?: boolean | null, } | { "op": "session" } | { "op": "last_sign_in" } | { "op": "keep_screen_on", on: boolean, } | { "op": "plan_week", date: string, } | { "op": "plan_add", addition: PlanAddition, } | { "op": "plan_move", entry_id: string, date: string, slot: string, } | { "op": "plan_set_servings", entry_id: string, servings?: number | null, } | { "op": "plan_remove", entry_id: string, } | { "op": "plan_set_slots", slots: Array<PlanSlotInput>, } | { "op": "plan_grocery_preview", from: string, to: string, } | { "op": "plan_to_grocery", from: string, to: string, } | { "op": "plan_calendar", action: CalendarAction, };

export type Response = { "type": "done" } | { "type": "recipe", "value": Recipe } | { "type": "draft", "value": RecipeDraft } | { "type": "ingredient_lines", "value": Array<IngredientLine> } | { "type": "cook_view", "value": CookView } | { "type": "ingredients", "value": Array<IngredientInput> } | { "type": "summaries", "value": Array<RecipeSummary> } | { "type": "history", "value": Array<RecipeVersionSummary> } | { "type": "version", "value": VersionView } | { "type": "restored", "value": RestoredVersion } | { "type": "deleted", "value": Array<DeletedRecipe> } | { "type": "tags", "value": Array<TagCount> } | { "type": "attachment", "value": Attachment } | { "type": "bytes", "value": { bytes_base64: string, } } | { "type": "import", "value": ImportReport } | { "type": "json_ld", "value": unknown } | { "type": "export", "value": ExportedArchive } | { "type": "grocery", "value": Array<GroceryItem> } | { "type": "grocery_added", "value": GroceryAdded } | { "type": "grocery_lists", "value": GroceryLists } | { "type": "sync_status", "value": SyncStatusView } | { "type": "session", "value": SessionView | null } | { "type": "last_sign_in", "value": LastSignIn | null } | { "type": "calendar_link", "value": CalendarLink } | { "type": "plan", "value": PlanView } | { "type": "plan_entry", "value": { id: string, } } | { "type": "plan_grocery_preview", "value": PlanGroceryPreview } | { "type": "shares", "value": Array<ShareView> };

export type Reply = { "ok": Response } | { "err": RpcError };

export type RpcError = { code: RpcErrorCode, message: string, };

export type RpcErrorCode = "bad_request" | "invalid" | "not_found" | "too_large" | "read_only" | "import" | "storage" | "unauthorized" | "rate_limited" | "unreachable" | "unsupported" | "internal";

export type SyncStatusView = { state: SyncStateView, 
/**
 * Documents with local changes the relay has not confirmed yet.
 */
pending: number, last_error: string | null, 
/**
 * While many documents move (a new device catching up, a big upload): how far it got.
 */
progress?: SyncProgress | null, };

export type SessionView = { server: string, user_id: string, user_name: string, };

export type CalendarAction = "status" | "create" | "revoke";

export type CalendarLink = { active: boolean, 
/**
 * The full address, only in the answer to [`CalendarAction::Create`].
 */
url: string | null, 
/**
 * When the active address was made (ms since the epoch).
 */
created_at: number | null, };

export type ShareAction = { "action": "list" } | { "action": "create", recipes?: Array<string> | null, all_recipes: boolean, with: ShareTarget, mode: ShareMode, } | { "action": "revoke", id: string, };

export type ShareTarget = { "user": string } | { "household": string };

export type ShareMode = "read" | "edit";

export type ShareView = { id: string, 
/**
 * The recipes shared; none for `all_recipes`.
 */
recipes: Array<string> | null, all_recipes: boolean, with: ShareGrantee, mode: ShareMode, created_at: number, };

export type ShareGrantee = { 
/**
 * `user` or `household`.
 */
kind: string, id: string, name: string, };

export type LastSignIn = { server: string, user_name: string, };

export type SyncStateView = "signed_out" | "offline" | "connecting" | "syncing" | "up_to_date";

export type SyncProgress = { done: number, total: number, };

export type SyncAction = { "do": "pull", doc_id: string, } | { "do": "fetch", batch: Array<string>, };

export type Recipe = { id: string, title: string, description: string, servings: number | null, yield_text: string, prep_minutes: number | null, cook_minutes: number | null, total_minutes: number | null, tags: Array<string>, source_url: string, ingredients: Array<IngredientRow>, steps: Array<string>, notes: string, attachments: Array<Attachment>, 
/**
 * Milliseconds since the Unix epoch.
 */
created_at: number, updated_at: number, deleted: boolean, 
/**
 * Where an imported recipe came from (`paprika:<uid>`, `url:<address>#<title>`…): what a
 * re-import matches on. See [`RecipeDoc::import_key`].
 */
import_key?: string | null, 
/**
 * Another user's recipe shared with this one: whose, and whether it is read-only (filled
 * when read, never stored with the recipe).
 */
shared?: SharedFrom | null, };

export type RecipeDraft = { title: string, description: string, servings: number | null, yield_text: string, prep_minutes: number | null, cook_minutes: number | null, total_minutes: number | null, tags: Array<string>, source_url: string, ingredients: Array<IngredientInput>, steps: Array<string>, notes: string, };

export type IngredientRow = { id: string, quantity: number | null, quantity_max: number | null, unit: string, name: string, note: string, };

export type IngredientInput = { id?: string | null, quantity: number | null, quantity_max: number | null, unit: string, name: string, note: string, };

export type IngredientLine = { 
/**
 * The row's id in the recipe.
 */
id: string, quantity: number | null, quantity_max: number | null, unit: string, name: string, note: string, 
/**
 * The whole line, e.g. "2 1/2 cups flour, sifted".
 */
text: string, };

export type CookView = { recipe_id: string, title: string, 
/**
 * The recipe's own servings (`None`: it states none, and quantities are not scaled).
 */
servings: number | null, 
/**
 * The ingredient rows scaled to the servings asked for.
 */
ingredients: Array<IngredientLine>, steps: Array<CookStep>, };

export type CookStep = { text: string, 
/**
 * Joined, the parts' texts are `text`.
 */
parts: Array<StepPart>, };

export type StepPart = { text: string, 
/**
 * Present when `text` is a cooking time ("25 minutes").
 */
timer: StepTimer | null, };

export type StepTimer = { 
/**
 * What to count down: the time, or the upper end of a range ("10 to 15 minutes": 900).
 */
seconds: number, 
/**
 * The lower end of a range (600 there): when to start checking.
 */
min_seconds: number | null, };

export type Attachment = { sha256: string, file_name: string, media_type: string, size: number, };

export type RecipeSummary = { id: string, title: string, description: string, tags: Array<string>, total_minutes: number | null, ingredient_count: number, attachment_count: number, 
/**
 * The recipe's first image, for a thumbnail (summaries stored before this field existed
 * read as none until the recipe is next written).
 */
thumbnail: Attachment | null, updated_at: number, 
/**
 * Another user's recipe shared with this one (filled when read, never stored).
 */
shared?: SharedFrom | null, };

export type TagCount = { tag: string, count: number, };

export type ImportReport = { 
/**
 * What the content was read as, e.g. "Paprika export".
 */
format: string, 
/**
 * The recipes created.
 */
ids: Array<string>, 
/**
 * Recipes not created because an earlier import made them.
 */
already_present: number, skipped: Array<SkippedRecipe>, warnings: Array<WarningGroup>, };

export type SkippedRecipe = { title: string, reason: string, };

export type WarningGroup = { 
/**
 * A stable name for the kind (`no_instructions`, `photo_not_image`, …), for a UI to key on.
 */
kind: string, 
/**
 * The group in words, with its count.
 */
summary: string, count: number, 
/**
 * Up to [`MAX_EXAMPLES`] recipe titles (or entry names) it applies to.
 */
examples: Array<string>, };

export type ExportedArchive = { file_name: string, bytes_base64: string, summary: ExportSummary, };

export type ExportSummary = { recipes: number, attachments: number, 
/**
 * Attachments whose bytes are only on the relay so far (sync to bring them here first).
 */
missing_attachments: number, };

export type PageImport = { 
/**
 * The address the page was finally read from (after redirects).
 */
page_url: string, recipes: Array<PageRecipe>, };

export type PageRecipe = { 
/**
 * The recipe with its ingredient rows parsed; its source URL is the page's when the
 * recipe does not name one.
 */
draft: RecipeDraft, 
/**
 * What could not be read, for the user.
 */
warnings: Array<string>, 
/**
 * The image addresses the recipe names, absolute, in page order.
 */
image_urls: Array<string>, 
/**
 * The first image that could be fetched within the limits, if any.
 */
image: PageImage | null, };

export type PageImage = { url: string, file_name: string, media_type: string, bytes_base64: string, };

export type GroceryItem = { id: string, name: string, quantity: number | null, unit: string, 
/**
 * The item as one line, e.g. "1 1/2 cups milk" (quantity formatted and unit pluralised
 * the way ingredient lines are).
 */
text: string, checked: boolean, source_recipe_ids: Array<string>, added_at: number, };

export type PlanView = { from: string, to: string, 
/**
 * The Mondays of the weeks before and after, for paging.
 */
previous: string, next: string, slots: Array<PlanSlotDoc>, days: Array<PlanDay>, 
/**
 * The household whose shared plan this is; none when it is the user's own.
 */
household_name: string | null, };

export type PlanDay = { date: string, 
/**
 * In slot order, then as added.
 */
entries: Array<PlanEntryView>, };

export type PlanEntryView = { id: string, date: string, slot: string, recipe_id: string | null, 
/**
 * The recipe's current title when it is here, else the title it was planned with (or
 * the free text).
 */
title: string, 
/**
 * Servings planned; `None` cooks the recipe's own.
 */
servings: number | null, 
/**
 * The recipe's own servings, when known.
 */
recipe_servings: number | null, 
/**
 * A planned recipe that is not on this device (deleted, or not synced yet).
 */
missing: boolean, };

export type PlanAddition = { date: string, slot: string, recipe_id?: string | null, text?: string | null, servings?: number | null, };

export type PlanSlotDoc = { 
/**
 * Stable: entries name their slot by it.
 */
id: string, name: string, };

export type PlanSlotInput = { id?: string | null, name: string, };

export type PlanGroceryPreview = { from: string, to: string, 
/**
 * The lines as they will be added, already merged with each other (not yet with the
 * list: an unchecked item of the same name takes the quantity).
 */
lines: Array<GroceryItem>, 
/**
 * How many planned recipes the lines come from.
 */
recipes: number, 
/**
 * Planned recipes that add nothing, with why ("not on this device", "no ingredients").
 */
skipped: Array<PlanSkip>, };

export type PlanSkip = { title: string, reason: string, };

export type GroceryAdded = { items: Array<GroceryItem>, undo: GroceryUndo, 
/**
 * The household whose shared list got the items; none when it was the user's own.
 */
household_name: string | null, };

export type GroceryLists = { 
/**
 * The list in use (always `mine` outside a household).
 */
chosen: GroceryListChoice, 
/**
 * The household's name, when the user is in one.
 */
household_name: string | null, 
/**
 * Unchecked items on the user's own list (what moving them to the household list moves).
 */
mine_unchecked: number, };

export type GroceryListChoice = "mine" | "household";

export type Household = { id: string, name: string, 
/**
 * The household's shared grocery-list document.
 */
grocery_list_id: string, 
/**
 * The household's shared meal plan (absent from relays older than household plans).
 */
meal_plan_id: string | null, };

export type SharedFrom = { owner_name: string, read_only: boolean, };

export type GroceryUndo = { merged: Array<MergedAddition>, };

export type MergedAddition = { item_id: string, 
/**
 * The item was made by this addition (it was not merged into one already there).
 */
created: boolean, 
/**
 * The quantity added, in the item's unit.
 */
quantity: number | null, 
/**
 * Where among the item's `added` amounts it went (merged into an item already there).
 */
addition_key?: string | null, 
/**
 * The recipe this addition put among the item's sources (it was not there before).
 */
source_added: string | null, };

export type ChangeEvent = { "kind": "recipe_changed", id: string, } | { "kind": "recipe_deleted", id: string, } | { "kind": "grocery_changed" } | { "kind": "plan_changed" } | { "kind": "import_progress", stage: ImportStage, done: number, total: number, };

export type ImportStage = "recipes" | "photos";

export type FolderFileInput = { 
/**
 * `/`-separated, inside the folder (e.g. `Soup/recipe.json`).
 */
path: string, bytes_base64: string, };

export type RecipeVersionSummary = { 
/**
 * The version's heads: what `recipe_version` and `restore_version` take.
 */
version: string, 
/**
 * When its last change was made (ms since the Unix epoch); absent for changes that carry no
 * time.
 */
at?: number | null, device: VersionDevice, 
/**
 * How many Automerge changes it groups.
 */
change_count: number, changes: VersionChanges, 
/**
 * One line for people, e.g. "Title changed; 2 ingredients added (flour, eggs)".
 */
summary: string, };

export type VersionDevice = { this_device: boolean, 
/**
 * A short tag of the device's actor (6 hex digits), the same for all its changes.
 */
tag: string, 
/**
 * "This device" or "Another device (1a2b3c)".
 */
label: string, };

export type VersionChanges = { 
/**
 * The version that made the recipe.
 */
created: boolean, 
/**
 * Scalar fields whose value changed, by document name (`title`, `servings`, `tags`, …), in
 * the recipe's field order.
 */
fields: Array<string>, ingredients_added: Array<RowRef>, ingredients_removed: Array<RowRef>, 
/**
 * Rows kept whose quantity, unit, name or note (or place) changed.
 */
ingredients_changed: Array<RowRef>, steps?: TextEdit | null, notes?: TextEdit | null, 
/**
 * File names.
 */
attachments_added: Array<string>, attachments_removed: Array<string>, deleted: boolean, 
/**
 * Brought back after a delete.
 */
undeleted: boolean, 
/**
 * When this version is a restore: the version it restored.
 */
restored_from?: string | null, };

export type RowRef = { id: string, name: string, };

export type TextEdit = { inserted: number, deleted: number, };

export type RestoredVersion = { recipe: Recipe, previous: string, restored: string, };

export type VersionView = { recipe: Recipe, ingredient_lines: Array<IngredientLine>, };

export type DeletedRecipe = { summary: RecipeSummary, 
/**
 * Milliseconds since the Unix epoch.
 */
deleted_at: number, };

