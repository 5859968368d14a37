// LarderClient: the one typed client of the engine's API (larder-core's rpc module). Every
// method sends one generated `Request` and unwraps the `Response` variant it expects; failures
// throw a LarderError carrying the engine's typed code and readable message. No domain logic.
import type {
  Attachment,
  CalendarAction,
  CalendarLink,
  ChangeEvent,
  CookView,
  DeletedRecipe,
  ExportSummary,
  GroceryAdded,
  GroceryItem,
  GroceryListChoice,
  GroceryLists,
  GroceryUndo,
  ImportReport,
  IngredientInput,
  IngredientLine,
  LastSignIn,
  PlanAddition,
  PlanGroceryPreview,
  PlanSlotInput,
  PlanView,
  Recipe,
  RecipeDraft,
  RecipeSummary,
  RecipeVersionSummary,
  Request,
  Response,
  RestoredVersion,
  RpcErrorCode,
  ShareAction,
  ShareView,
  SessionView,
  SyncStatusView,
  TagCount,
  VersionView,
} from "../generated/larder";
import type { Transport } from "./transport";

export type * from "../generated/larder";
export type { Transport } from "./transport";
export { TauriTransport } from "./tauri-transport";
export { WorkerTransport } from "./worker-transport";

export class LarderError extends Error {
  constructor(
    readonly code: RpcErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "LarderError";
  }
}

type Variant<T extends Response["type"]> = Extract<Response, { type: T }>;
type ValueOf<T extends Response["type"]> = Variant<T> extends { value: infer V } ? V : undefined;

export class LarderClient {
  constructor(private readonly transport: Transport) {}

  private async ask<T extends Response["type"]>(request: Request, expected: T): Promise<ValueOf<T>> {
    const reply = await this.transport.call(request);
    if ("err" in reply) {
      throw new LarderError(reply.err.code, reply.err.message);
    }
    if (reply.ok.type !== expected) {
      throw new LarderError("internal", `expected a ${expected} reply, got ${reply.ok.type}`);
    }
    return (reply.ok as { value?: unknown }).value as ValueOf<T>;
  }

  /** Change events (a recipe changed or was deleted, the grocery list changed), for views to
   *  refresh; returns the function that stops them. */
  onChange(listener: (event: ChangeEvent) => void): () => void {
    return this.transport.subscribe(listener);
  }

  /** Recipes matching `query` (blank: all); `sharedOnly`: only those others share with you. */
  search(query: string, limit?: number, offset?: number, sharedOnly?: boolean): Promise<RecipeSummary[]> {
    return this.ask({ op: "search", query, limit, offset, shared_only: sharedOnly }, "summaries");
  }
  getRecipe(id: string): Promise<Recipe> {
    return this.ask({ op: "get_recipe", id }, "recipe");
  }
  /** The draft an editor starts from: the recipe's own (saved unchanged, it changes nothing),
   *  or a blank one for a new recipe. */
  recipeDraft(id: string | null): Promise<RecipeDraft> {
    return this.ask({ op: "recipe_draft", id }, "draft");
  }
  createRecipe(draft: RecipeDraft): Promise<Recipe> {
    return this.ask({ op: "create_recipe", draft }, "recipe");
  }
  updateRecipe(id: string, draft: RecipeDraft): Promise<Recipe> {
    return this.ask({ op: "update_recipe", id, draft }, "recipe");
  }
  async deleteRecipe(id: string): Promise<void> {
    await this.ask({ op: "delete_recipe", id }, "done");
  }
  /** Brings a deleted recipe back: the undo of deleteRecipe. */
  restoreRecipe(id: string): Promise<Recipe> {
    return this.ask({ op: "restore_recipe", id }, "recipe");
  }
  /** A recipe's versions, newest first (when, which device, what changed). */
  recipeHistory(id: string): Promise<RecipeVersionSummary[]> {
    return this.ask({ op: "recipe_history", id }, "history");
  }
  /** A recipe as it was at one of its versions (read-only), with its ingredient lines. */
  recipeVersion(id: string, version: string): Promise<VersionView> {
    return this.ask({ op: "recipe_version", id, version }, "version");
  }
  /** Makes the recipe read as it did at `version`, as a new edit; undone by undoRestore. */
  restoreVersion(id: string, version: string): Promise<RestoredVersion> {
    return this.ask({ op: "restore_version", id, version }, "restored");
  }
  /** Takes a restoreVersion back (its reply's `previous` and `restored`). */
  undoRestore(id: string, previous: string, restored: string): Promise<Recipe> {
    return this.ask({ op: "undo_restore", id, previous, restored }, "recipe");
  }
  /** Deleted recipes, most recently deleted first. */
  recentlyDeleted(): Promise<DeletedRecipe[]> {
    return this.ask({ op: "recently_deleted" }, "deleted");
  }
  /** The recipe's ingredients scaled to `servings` (its own when omitted), each with its
   *  formatted line. */
  ingredientLines(recipeId: string, servings?: number): Promise<IngredientLine[]> {
    return this.ask({ op: "ingredient_lines", recipe_id: recipeId, servings }, "ingredient_lines");
  }
  /** The recipe for cook mode: ingredients scaled to `servings` (its own when omitted), each
   *  step cut by the engine into text and timer phrases with their seconds. */
  cookView(id: string, servings?: number): Promise<CookView> {
    return this.ask({ op: "cook_view", id, servings }, "cook_view");
  }
  /** Keeps the screen on (or lets it sleep again) where the app shell can; the browser's
   *  engine answers `unsupported`, as do shells that cannot. */
  async keepScreenOn(on: boolean): Promise<void> {
    await this.ask({ op: "keep_screen_on", on }, "done");
  }
  /** Pasted text → ingredient rows (one per non-blank line), parsed by the engine. */
  parseIngredients(text: string): Promise<IngredientInput[]> {
    return this.ask({ op: "parse_ingredients", text }, "ingredients");
  }
  listTags(): Promise<TagCount[]> {
    return this.ask({ op: "list_tags" }, "tags");
  }
  async attachFile(recipeId: string, file: File | Blob, fileName: string): Promise<Attachment> {
    const bytes = new Uint8Array(await file.arrayBuffer());
    return this.ask(
      {
        op: "attach_file",
        recipe_id: recipeId,
        file_name: fileName,
        media_type: file.type,
        bytes_base64: toBase64(bytes),
      },
      "attachment",
    );
  }
  /** Takes an attachment off a recipe; the recipe as it is now. */
  removeAttachment(recipeId: string, sha256: string): Promise<Recipe> {
    return this.ask({ op: "remove_attachment", recipe_id: recipeId, sha256 }, "recipe");
  }
  async attachmentBytes(sha256: string): Promise<Uint8Array> {
    const { bytes_base64 } = await this.ask({ op: "attachment_bytes", sha256 }, "bytes");
    return fromBase64(bytes_base64);
  }
  async importFile(file: File): Promise<ImportReport> {
    const bytes = new Uint8Array(await file.arrayBuffer());
    return this.ask(
      { op: "import_file", file_name: file.name, bytes_base64: toBase64(bytes) },
      "import",
    );
  }
  /** Imports a folder (a Nextcloud Cookbook folder picked whole): each file by its path in it. */
  async importFolder(files: File[]): Promise<ImportReport> {
    const entries = [];
    for (const file of files) {
      const bytes = new Uint8Array(await file.arrayBuffer());
      entries.push({ path: file.webkitRelativePath || file.name, bytes_base64: toBase64(bytes) });
    }
    return this.ask({ op: "import_folder", files: entries }, "import");
  }
  /** Imports the recipe page at `url`, fetched by the relay (offline: code `unreachable`). */
  importUrl(url: string): Promise<ImportReport> {
    return this.ask({ op: "import_url", url }, "import");
  }
  /** Keeps an address as a recipe of its own, to import properly when online. */
  saveLink(url: string): Promise<Recipe> {
    return this.ask({ op: "save_link", url }, "recipe");
  }
  /** Every recipe with its attachments as Larder's own zip (importFile reads it back). */
  async exportAll(): Promise<{ fileName: string; bytes: Uint8Array; summary: ExportSummary }> {
    const exported = await this.ask({ op: "export_all" }, "export");
    return { fileName: exported.file_name, bytes: fromBase64(exported.bytes_base64), summary: exported.summary };
  }
  exportJsonLd(id: string): Promise<unknown> {
    return this.ask({ op: "export_json_ld", id }, "json_ld");
  }
  groceryItems(): Promise<GroceryItem[]> {
    return this.ask({ op: "grocery_items" }, "grocery");
  }
  /** Adds a recipe's ingredients; the list, and the `undo` that takes them off again. */
  addRecipeToGrocery(recipeId: string, servings?: number): Promise<GroceryAdded> {
    return this.ask({ op: "add_recipe_to_grocery", recipe_id: recipeId, servings }, "grocery_added");
  }
  /** Takes back one `addRecipeToGrocery` (pass its `undo`, once). */
  undoGroceryAddition(undo: GroceryUndo): Promise<GroceryItem[]> {
    return this.ask({ op: "undo_grocery_addition", undo }, "grocery");
  }
  addGroceryItem(text: string): Promise<GroceryItem[]> {
    return this.ask({ op: "add_grocery_item", text }, "grocery");
  }
  setGroceryChecked(itemId: string, checked: boolean): Promise<GroceryItem[]> {
    return this.ask({ op: "set_grocery_checked", item_id: itemId, checked }, "grocery");
  }
  removeGroceryItem(itemId: string): Promise<GroceryItem[]> {
    return this.ask({ op: "remove_grocery_item", item_id: itemId }, "grocery");
  }
  clearCheckedGrocery(): Promise<GroceryItem[]> {
    return this.ask({ op: "clear_checked_grocery" }, "grocery");
  }
  /** This user's recipe shares (kept by the relay): list them, make one, revoke one; each
   *  answers the list afterwards. */
  shares(action: ShareAction): Promise<ShareView[]> {
    return this.ask({ op: "shares", action }, "shares");
  }
  /** The lists to choose between (the user's own, their household's) and the one in use. */
  groceryLists(): Promise<GroceryLists> {
    return this.ask({ op: "grocery_lists" }, "grocery_lists");
  }
  chooseGroceryList(list: GroceryListChoice): Promise<GroceryLists> {
    return this.ask({ op: "choose_grocery_list", list }, "grocery_lists");
  }
  /** Moves the user's unchecked items into the household's list, which is used from then on. */
  moveGroceryToHousehold(): Promise<GroceryItem[]> {
    return this.ask({ op: "move_grocery_to_household" }, "grocery");
  }
  /** The week (Monday to Sunday) of the meal plan holding `date` (YYYY-MM-DD). */
  planWeek(date: string): Promise<PlanView> {
    return this.ask({ op: "plan_week", date }, "plan");
  }
  /** Plans a recipe (servings, or its own) or a few words on a day's slot; the entry's id. */
  async planAdd(addition: PlanAddition): Promise<string> {
    return (await this.ask({ op: "plan_add", addition }, "plan_entry")).id;
  }
  async planMove(entryId: string, date: string, slot: string): Promise<void> {
    await this.ask({ op: "plan_move", entry_id: entryId, date, slot }, "done");
  }
  async planSetServings(entryId: string, servings: number | null): Promise<void> {
    await this.ask({ op: "plan_set_servings", entry_id: entryId, servings }, "done");
  }
  async planRemove(entryId: string): Promise<void> {
    await this.ask({ op: "plan_remove", entry_id: entryId }, "done");
  }
  async planSetSlots(slots: PlanSlotInput[]): Promise<void> {
    await this.ask({ op: "plan_set_slots", slots }, "done");
  }
  /** What sending the recipes planned `from..to` to the grocery list would add. */
  planGroceryPreview(from: string, to: string): Promise<PlanGroceryPreview> {
    return this.ask({ op: "plan_grocery_preview", from, to }, "plan_grocery_preview");
  }
  /** Adds them; undo with `undoGroceryAddition`. */
  planToGrocery(from: string, to: string): Promise<GroceryAdded> {
    return this.ask({ op: "plan_to_grocery", from, to }, "grocery_added");
  }
  /** The plan's calendar feed: its state, a new address (the old one stops), or revoking it. */
  planCalendar(action: CalendarAction): Promise<CalendarLink> {
    return this.ask({ op: "plan_calendar", action }, "calendar_link");
  }
  syncStatus(): Promise<SyncStatusView> {
    return this.ask({ op: "sync_status" }, "sync_status");
  }
  /** Signs in to a relay and starts syncing; a refusal throws with the relay's message. */
  async signIn(server: string, username: string, password: string): Promise<SessionView> {
    const session = await this.ask({ op: "sign_in", server, username, password }, "session");
    if (!session) throw new LarderError("internal", "signed in without a session");
    return session;
  }
  async signOut(removeData = false): Promise<void> {
    await this.ask({ op: "sign_out", remove_data: removeData }, "done");
  }
  session(): Promise<SessionView | null> {
    return this.ask({ op: "session" }, "session");
  }
  /** The relay and user name this device last signed in with (kept after signing out). */
  lastSignIn(): Promise<LastSignIn | null> {
    return this.ask({ op: "last_sign_in" }, "last_sign_in");
  }
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
