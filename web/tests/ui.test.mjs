// The React UI in real Chromium against a real relay: every screen driven the way a person
// would (labels, roles, accessible names), two devices of one user syncing through the relay,
// offline edits merging, the grocery list shared, delete + undo, sign out revoking the session,
// the app opening offline, the phone layout, cook mode, axe-core on every main screen, screenshots.
import assert from "node:assert/strict";
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { DIST, addUser, launchChromium, startRelay } from "./harness.mjs";
import {
  NETWORK_DOWN,
  assertAccessible,
  assertNoConsoleErrors,
  captureBearer,
  findRecipe,
  makePng,
  newDevice,
  openRecipe,
  screenshot,
  search,
  searchBox,
  signIn,
  until,
  waitForSyncStatus,
} from "./ui-helpers.mjs";

const PASSWORD = "open sesame pantry";
/** One user per test, so tests never see each other's recipes. */
const USERS = ["ana", "ben", "cy", "dee", "eve", "fay", "gus", "ivy", "hal", "jo", "kim", "lee", "mo", "ned"];
const data = mkdtempSync(join(tmpdir(), "larder-ui-relay-"));
let relay;
let browser;
const devices = [];

/** Recipe pages on 127.0.0.1 for import by address (the relay is configured to reach them). */
let pages;

before(async () => {
  for (const user of USERS) addUser(data, user, PASSWORD);
  writeFileSync(join(data, "larder-server.toml"), '[import_url]\nallow_private_networks = ["127.0.0.1/32"]\n');
  pages = await startPageServer();
  relay = await startRelay(data);
  browser = await launchChromium();
});

after(async () => {
  for (const d of devices) await d.context.close().catch(() => undefined);
  await browser?.close();
  await relay?.stop();
  pages?.close();
  rmSync(data, { recursive: true, force: true });
});

async function startPageServer() {
  const png = makePng(4, 4);
  const html = `<!doctype html><html><head><script type="application/ld+json">${JSON.stringify({
    "@context": "https://schema.org",
    "@type": "Recipe",
    name: "Fetched minestrone",
    image: "/minestrone.png",
    recipeIngredient: ["2 carrots", "1 l stock"],
    recipeInstructions: ["Chop", "Simmer 30 minutes"],
  })}</script></head><body><h1>Minestrone</h1></body></html>`;
  const server = createServer((req, res) => {
    if (req.url === "/minestrone") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
    } else if (req.url === "/minestrone.png") {
      res.writeHead(200, { "content-type": "image/png" }).end(png);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

async function device(options) {
  const d = await newDevice(browser, relay.url, options);
  devices.push(d);
  return d;
}

const blank = (title, ingredients, extra = {}) => ({
  title, description: "", servings: null, yield_text: "", prep_minutes: null, cook_minutes: null,
  total_minutes: null, tags: [], source_url: "", steps: [], notes: "",
  ingredients: ingredients.map(([quantity, unit, name]) => ({ quantity, quantity_max: null, unit, name, note: "" })),
  ...extra,
});

/** Creates a recipe through the client (for tests whose subject is another screen). */
const createThroughClient = (page, draft) => page.evaluate((d) => window.larder.client.createRecipe(d), draft);

const ingredientTexts = (page) => page.locator(".ingredients li").allTextContents();
/** Waits for the recipe's ingredient lines (core formats them, asynchronously) to read `expected`. */
const linesBecome = (page, expected) =>
  until(
    `the ingredient lines ${expected}`,
    async () => JSON.stringify(await ingredientTexts(page)) === JSON.stringify(expected),
    10_000,
    async () => JSON.stringify(await ingredientTexts(page)),
  );

test("sign in, create a recipe with three ingredients and an image, find it by an ingredient, see it on a second device", async () => {
  const laptop = await device();
  const { page } = laptop;
  // The sign-in form: the server is the page's origin; a wrong password shows the relay's error.
  assert.equal(await page.getByLabel("Server").inputValue(), relay.url);
  await assertAccessible(page, "sign-in");
  await screenshot(page, "desktop-sign-in");
  await page.getByLabel("Username").fill("ana");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  const refusal = page.getByRole("alert");
  await refusal.waitFor();
  assert.match(await refusal.textContent(), /user name or password/i);

  await signIn(page, "ana", PASSWORD);
  // Landing on search, the search box focused; blank lists all (none yet).
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("aria-label")), "Search recipes");
  await page.getByText("No recipes yet").waitFor();
  await waitForSyncStatus(page, /Up to date/);
  await assertAccessible(page, "empty search");

  // The editor: every field, three ingredient rows (a fourth added and removed, one moved).
  await page.getByRole("navigation").getByRole("link", { name: "New recipe" }).click();
  await page.getByRole("heading", { name: "New recipe" }).waitFor();
  await page.getByLabel("Title").fill("Chickpea curry");
  await page.getByLabel("Description").fill("A weeknight curry, warm and mild.");
  await page.getByLabel("Servings").fill("4");
  await page.getByLabel("Yield").fill("4 bowls");
  await page.getByLabel("Prep minutes").fill("10");
  await page.getByLabel("Cook minutes").fill("25");
  await page.getByLabel("Total minutes").fill("35");
  await page.getByLabel("Tags").fill("dinner, vegetarian");
  await page.getByLabel("Source URL").fill("https://example.org/curry");
  const rows = [
    ["400", "g", "tomatoes", "crushed"],
    ["800", "g", "chickpeas", "drained"],
    ["200", "ml", "coconut milk", ""],
  ];
  for (const [i, [qty, unit, name, note]] of rows.entries()) {
    await page.getByLabel(`Quantity, ingredient ${i + 1}`, { exact: true }).fill(qty);
    await page.getByLabel(`Unit, ingredient ${i + 1}`).fill(unit);
    await page.getByLabel(`Ingredient ${i + 1}`, { exact: true }).fill(name);
    await page.getByLabel(`Note, ingredient ${i + 1}`).fill(note);
  }
  await page.getByLabel("Up to quantity, ingredient 1").fill("500");
  await page.getByRole("button", { name: "Add ingredient" }).click();
  await page.getByLabel("Ingredient 4", { exact: true }).fill("parsley");
  await page.getByRole("button", { name: "Remove parsley" }).click();
  await page.getByRole("button", { name: "Move chickpeas up" }).click();
  await page.getByLabel("Steps (one per line)").fill("Fry the spices.\nAdd everything and simmer 20 minutes.");
  await page.getByLabel("Notes").fill("Better the next day.");
  await page.getByLabel("Attach files").setInputFiles({
    name: "curry.png",
    mimeType: "image/png",
    buffer: makePng(96, 64),
  });
  await page.getByText("curry.png").waitFor();
  await assertAccessible(page, "editor");
  await screenshot(page, "desktop-editor");
  await page.getByRole("button", { name: "Save" }).click();

  // The recipe view, beside the list.
  await page.getByRole("heading", { level: 1, name: "Chickpea curry" }).waitFor();
  await linesBecome(page, [
    "800 g chickpeas, drained",
    "400-500 g tomatoes, crushed",
    "200 ml coconut milk",
  ]);
  await page.getByRole("img", { name: "curry.png" }).waitFor();
  // The search result beside it has the image as its thumbnail.
  await page.locator(".result .thumb img").waitFor();
  assert.match(await page.locator(".times").textContent(), /Prep 10 min · Cook 25 min · Total 35 min/);
  // The servings control rescales the quantities (core scales and formats them).
  await page.getByRole("button", { name: "More servings" }).click();
  await page.getByRole("button", { name: "More servings" }).click();
  assert.equal(await page.getByRole("spinbutton", { name: "Servings", exact: true }).inputValue(), "6");
  await linesBecome(page, ["1200 g chickpeas, drained", "600-750 g tomatoes, crushed", "300 ml coconut milk"]);
  await page.getByRole("spinbutton", { name: "Servings", exact: true }).fill("2");
  await linesBecome(page, ["400 g chickpeas, drained", "200-250 g tomatoes, crushed", "100 ml coconut milk"]);
  await assertAccessible(page, "recipe");
  await waitForSyncStatus(page, /Up to date/);
  await screenshot(page, "desktop-recipe");

  // Found by a word from an ingredient, the results following each keystroke; blank lists all.
  await searchBox(page).fill("");
  await searchBox(page).pressSequentially("cocon", { delay: 30 });
  await page.getByRole("link", { name: "Chickpea curry", exact: true }).waitFor();
  await searchBox(page).press("Backspace");
  await searchBox(page).pressSequentially("x");
  await page.getByText("No recipes match “cocox”.").waitFor();
  await search(page, "saffron");
  await page.getByText("No recipes match").waitFor();
  await findRecipe(page, "", "Chickpea curry");
  await waitForSyncStatus(page, /Up to date/);
  // With a blank search, the tags are one tap away.
  await page.getByRole("list", { name: "Tags" }).getByRole("button", { name: "vegetarian, 1 recipe" }).click();
  assert.equal(await searchBox(page).inputValue(), "vegetarian");
  await page.getByRole("link", { name: "Chickpea curry", exact: true }).waitFor();

  // Another device of the same user sees it.
  const phone2 = await device();
  await signIn(phone2.page, "ana", PASSWORD);
  await openRecipe(phone2.page, "chickpeas", "Chickpea curry");
  await until("the three lines on the second device", async () => (await ingredientTexts(phone2.page)).length === 3);
  assert.match(await phone2.page.locator(".notes").textContent(), /Better the next day/);
  // The image came through the relay: previewed, and the thumbnail in the results.
  await phone2.page.getByRole("img", { name: "curry.png" }).waitFor();
  await phone2.page.locator(".result .thumb img").waitFor();
  assert.ok(
    await phone2.page.getByRole("img", { name: "curry.png" }).evaluate((img) => img.complete && img.naturalWidth === 96),
    "the image decodes to its 96 px width",
  );
  await screenshot(phone2.page, "desktop-second-device");

  assertNoConsoleErrors([laptop, phone2], [/status of 401/]);
});

test("two devices offline edit different fields of one recipe; back online both edits are on both", async () => {
  const a = await device();
  const b = await device();
  await signIn(a.page, "ben", PASSWORD);
  await signIn(b.page, "ben", PASSWORD);
  await createThroughClient(a.page, blank("Lentil soup", [[200, "g", "red lentils"], [1, "", "onion"]], { description: "Plain" }));
  await openRecipe(a.page, "lentils", "Lentil soup");
  await openRecipe(b.page, "lentils", "Lentil soup");
  await waitForSyncStatus(a.page, /Up to date/);
  await waitForSyncStatus(b.page, /Up to date/);

  await a.context.setOffline(true);
  await b.context.setOffline(true);
  await waitForSyncStatus(a.page, /^Offline$/);
  await waitForSyncStatus(b.page, /^Offline$/);

  // Device A renames it; device B rewrites the description.
  await a.page.getByRole("link", { name: "Edit" }).click();
  await a.page.getByLabel("Title").fill("Spiced lentil soup");
  await a.page.getByRole("button", { name: "Save" }).click();
  await a.page.getByRole("heading", { level: 1, name: "Spiced lentil soup" }).waitFor();
  await b.page.getByRole("link", { name: "Edit" }).click();
  await b.page.getByLabel("Description").fill("With cumin and lemon");
  await b.page.getByRole("button", { name: "Save" }).click();
  await b.page.getByText("With cumin and lemon").waitFor();
  await waitForSyncStatus(a.page, /Offline · 1 change waiting/);
  await waitForSyncStatus(b.page, /Offline · 1 change waiting/);
  await screenshot(a.page, "desktop-offline-edit");

  await a.context.setOffline(false);
  await b.context.setOffline(false);
  // Both views refresh by themselves (change events), no reload.
  for (const { page } of [a, b]) {
    await page.getByRole("heading", { level: 1, name: "Spiced lentil soup" }).waitFor({ timeout: 40_000 });
    await page.locator(".description", { hasText: "With cumin and lemon" }).waitFor({ timeout: 40_000 });
    await waitForSyncStatus(page, /Up to date/, 40_000);
  }
  assertNoConsoleErrors([a, b], NETWORK_DOWN);
});

test("grocery list: add a recipe's ingredients (a second add undone), check an item on the other device, see it checked here", async () => {
  const a = await device();
  const b = await device();
  await signIn(a.page, "cy", PASSWORD);
  await signIn(b.page, "cy", PASSWORD);
  await createThroughClient(
    a.page,
    blank("Pancakes", [[250, "g", "flour"], [500, "ml", "milk"], [2, "", "eggs"]], { servings: 4 }),
  );
  await openRecipe(a.page, "flour", "Pancakes");
  // Doubled servings: core scales what goes on the list.
  await a.page.getByRole("spinbutton", { name: "Servings", exact: true }).fill("8");
  await a.page.getByRole("button", { name: "Add to grocery list" }).click();
  await a.page.getByText("Added the ingredients of “Pancakes” to the grocery list.").waitFor();
  // A second tap by mistake, taken back with Undo: the list is as after the first one.
  await a.page.getByRole("button", { name: "Add to grocery list" }).click();
  const flourLines = () =>
    a.page.evaluate(() =>
      window.larder.client.groceryItems().then((items) => items.filter((i) => i.name === "flour").map((i) => i.text)),
    );
  await until("the second addition on the list", async () => (await flourLines())[0] === "1000 g flour");
  await a.page.getByRole("button", { name: "Undo" }).click();
  await a.page.getByText("Took the ingredients of “Pancakes” off the grocery list again.").waitFor();
  assert.deepEqual(await flourLines(), ["500 g flour"]);
  assert.equal(await a.page.getByRole("button", { name: "Undo" }).count(), 0, "undone once only");
  await a.page.getByRole("navigation").getByRole("link", { name: "Grocery list" }).click();
  await a.page.getByRole("heading", { name: "Grocery list" }).waitFor();
  await a.page.getByRole("checkbox", { name: "500 g flour" }).waitFor();
  await a.page.getByRole("checkbox", { name: "1000 ml milk" }).waitFor();
  await a.page.getByRole("checkbox", { name: "4 eggs" }).waitFor();
  // An item added by hand.
  await a.page.getByLabel("Add an item").fill("1 jar maple syrup");
  await a.page.getByRole("button", { name: "Add", exact: true }).click();
  await a.page.getByRole("checkbox", { name: /maple syrup/ }).waitFor();
  await assertAccessible(a.page, "grocery list");
  await waitForSyncStatus(a.page, /Up to date/);
  await screenshot(a.page, "desktop-grocery");

  // The other device checks the flour; this one sees it checked without a reload.
  await b.page.getByRole("navigation").getByRole("link", { name: "Grocery list" }).click();
  const flourThere = b.page.getByRole("checkbox", { name: "500 g flour" });
  await flourThere.waitFor({ timeout: 30_000 });
  await flourThere.check();
  const flourHere = a.page.getByRole("checkbox", { name: "500 g flour" });
  await until("the flour checked on the first device", () => flourHere.isChecked(), 30_000);
  // Unchecking travels too.
  await flourHere.uncheck();
  await until("the flour unchecked on the other device", async () => !(await flourThere.isChecked()), 30_000);
  await flourHere.check();
  await until("the flour checked again there", () => flourThere.isChecked(), 30_000);
  // "Clear checked" here removes it there too.
  await a.page.getByRole("button", { name: "Clear checked" }).click();
  await flourHere.waitFor({ state: "detached" });
  await flourThere.waitFor({ state: "detached", timeout: 30_000 });
  assert.equal(await b.page.getByRole("checkbox").count(), 3);
  assertNoConsoleErrors([a, b]);
});

test("delete asks first and can be undone; sign out removes the data views and the session is refused (401)", async () => {
  const laptop = await device();
  const { page, context } = laptop;
  const tokens = captureBearer(context);
  await signIn(page, "dee", PASSWORD);
  const original = await createThroughClient(
    page,
    blank("Apple crumble", [[6, "", "apples"], [150, "g", "oats"]], { tags: ["dessert"], notes: "Serve warm." }),
  );
  await openRecipe(page, "apples", "Apple crumble");
  await page.getByRole("button", { name: "Delete" }).click();
  const confirm = page.getByRole("alertdialog", { name: "Delete “Apple crumble”?" });
  await confirm.waitFor();
  // Cancel keeps it.
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await confirm.waitFor({ state: "detached" });
  await page.getByRole("button", { name: "Delete" }).click();
  await confirm.getByRole("button", { name: "Yes, delete" }).click();
  await page.getByText("Deleted “Apple crumble”.").waitFor();
  await page.getByRole("link", { name: "Apple crumble" }).waitFor({ state: "detached" });
  await assertAccessible(page, "search after a delete");
  await page.getByRole("button", { name: "Undo" }).click();
  await page.getByRole("heading", { level: 1, name: "Apple crumble" }).waitFor();
  // core restored it: the same recipe (same id), not a copy.
  assert.equal(new URL(page.url()).hash, `#/recipe/${original.id}`);
  assert.match(await page.locator(".notes").textContent(), /Serve warm/);
  await findRecipe(page, "oats", "Apple crumble");
  await waitForSyncStatus(page, /Up to date/);

  // Sign out, removing this device's data: back to the sign-in form, no recipes left here.
  await page.getByRole("navigation").getByRole("link", { name: "More" }).click();
  await page.getByText("Signed in as").waitFor();
  await assertAccessible(page, "more");
  await screenshot(page, "desktop-more");
  await page.getByLabel("Also remove this device’s data").check();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  assert.equal(await searchBox(page).count(), 0);
  assert.equal(await page.getByRole("navigation").count(), 0);
  assert.equal(await page.evaluate(() => window.larder.client.session()), null);
  assert.deepEqual(await page.evaluate(() => window.larder.client.search("")), []);
  // The relay refuses the old session's token.
  assert.ok(tokens.size > 0, "the device's bearer token was seen");
  for (const token of tokens) {
    const me = await fetch(`${relay.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 401);
  }
  // A reload stays signed out.
  await page.reload();
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  assertNoConsoleErrors([laptop]);
});

test("history: versions with device and summary, one read-only, restore it; the other device shows the restored text; undo", async () => {
  const a = await device();
  const b = await device();
  await signIn(a.page, "mo", PASSWORD);
  await signIn(b.page, "mo", PASSWORD);
  await createThroughClient(a.page, blank("Tomato soup", [[4, "", "tomatoes"]], { steps: ["Roast the tomatoes"] }));
  await openRecipe(a.page, "tomatoes", "Tomato soup");

  // An edit on this device: new steps.
  await a.page.getByRole("link", { name: "Edit" }).click();
  await a.page.getByLabel("Steps (one per line)").fill("Boil the tomatoes\nBlend");
  await a.page.getByRole("button", { name: "Save" }).click();
  await a.page.locator(".steps li", { hasText: "Blend" }).waitFor();
  // The other device has the edit.
  await openRecipe(b.page, "tomatoes", "Tomato soup");
  await b.page.locator(".steps li", { hasText: "Boil the tomatoes" }).waitFor({ timeout: 30_000 });

  // History on the device that made both: two versions, newest first, with what changed.
  await a.page.getByRole("link", { name: "History" }).click();
  await a.page.getByRole("heading", { level: 1, name: "History of “Tomato soup”" }).waitFor();
  const versions = a.page.getByRole("list", { name: "Versions" }).getByRole("listitem");
  await until("two versions", async () => (await versions.count()) === 2);
  assert.match(await versions.nth(0).textContent(), /This device.*[Ss]teps edited/);
  assert.match(await versions.nth(1).textContent(), /This device.*Created/);
  await assertAccessible(a.page, "recipe history");
  await screenshot(a.page, "desktop-history");

  // The first version, read-only, then restored.
  await versions.nth(1).getByRole("link").click();
  await a.page.getByText("An earlier version, read-only").waitFor();
  assert.deepEqual(await a.page.locator(".steps li").allTextContents(), ["Roast the tomatoes"]);
  await assertAccessible(a.page, "a version, read-only");
  await screenshot(a.page, "desktop-version");
  await a.page.getByRole("button", { name: "Restore this version" }).click();
  await a.page.getByRole("heading", { level: 1, name: "Tomato soup" }).waitFor();
  await a.page.getByText("Restored an earlier version of “Tomato soup”.").waitFor();
  assert.deepEqual(await a.page.locator(".steps li").allTextContents(), ["Roast the tomatoes"]);

  // The restore is an edit like any other: the other device shows the restored text by itself,
  // and its history names this device's restore as another device's.
  await until(
    "the restored steps on the other device",
    async () => JSON.stringify(await b.page.locator(".steps li").allTextContents()) === JSON.stringify(["Roast the tomatoes"]),
    40_000,
    async () => JSON.stringify(await b.page.locator(".steps li").allTextContents()),
  );
  await b.page.getByRole("link", { name: "History" }).click();
  const theirs = b.page.getByRole("list", { name: "Versions" }).getByRole("listitem");
  await until("three versions on the other device", async () => (await theirs.count()) === 3);
  assert.match(await theirs.nth(0).textContent(), /Another device \([0-9a-f]{6}\).*Restored an earlier version/);

  // Undo on the first device takes the restore back; the other device follows.
  await a.page.getByRole("button", { name: "Undo" }).click();
  await a.page.locator(".steps li", { hasText: "Blend" }).waitFor();
  await b.page.getByRole("link", { name: "← Back to the recipe" }).click();
  await b.page.locator(".steps li", { hasText: "Blend" }).waitFor({ timeout: 40_000 });
  assertNoConsoleErrors([a, b]);
});

test("recently deleted: More lists deleted recipes, newest first, and Restore brings one back", async () => {
  const laptop = await device();
  const { page } = laptop;
  await signIn(page, "ned", PASSWORD);
  const first = await createThroughClient(page, blank("Pea soup", [[300, "g", "peas"]]));
  const second = await createThroughClient(page, blank("Bean stew", [[400, "g", "beans"]]));
  await page.evaluate((id) => window.larder.client.deleteRecipe(id), first.id);
  await page.evaluate((id) => window.larder.client.deleteRecipe(id), second.id);

  await page.getByRole("navigation").getByRole("link", { name: "More" }).click();
  await page.getByRole("link", { name: "Recently deleted recipes" }).click();
  await page.getByRole("heading", { level: 1, name: "Recently deleted" }).waitFor();
  const rows = page.getByRole("list", { name: "Deleted recipes" }).getByRole("listitem");
  await until("two deleted recipes", async () => (await rows.count()) === 2);
  assert.match(await rows.nth(0).textContent(), /Bean stew.*Deleted/);
  assert.match(await rows.nth(1).textContent(), /Pea soup/);
  await assertAccessible(page, "recently deleted");
  await screenshot(page, "desktop-recently-deleted");

  await page.getByRole("button", { name: "Restore “Pea soup”" }).click();
  await page.getByRole("heading", { level: 1, name: "Pea soup" }).waitFor();
  assert.equal(new URL(page.url()).hash, `#/recipe/${first.id}`);
  await findRecipe(page, "peas", "Pea soup");
  await page.getByRole("navigation").getByRole("link", { name: "More" }).click();
  await page.getByRole("link", { name: "Recently deleted recipes" }).click();
  await until("one deleted recipe left", async () => (await rows.count()) === 1);
  assert.match(await rows.nth(0).textContent(), /Bean stew/);
  assertNoConsoleErrors([laptop]);
});

test("More says whether the browser keeps this device's data, as the browser decided", async () => {
  // Headless Chromium grants persistent storage to no site by itself; the second device's
  // browser has granted it to the app's origin (as it does for an installed app).
  const plain = await device();
  const granted = await device();
  const cdp = await granted.context.newCDPSession(granted.page);
  const { targetInfo } = await cdp.send("Target.getTargetInfo");
  await cdp.send("Browser.grantPermissions", {
    permissions: ["durableStorage"],
    origin: relay.url,
    browserContextId: targetInfo.browserContextId,
  });
  const deviceSection = async ({ page }) => {
    await signIn(page, "hal", PASSWORD);
    await page.getByRole("navigation").getByRole("link", { name: "More" }).click();
    const section = page.getByRole("region", { name: "This device" });
    await section.waitFor();
    return {
      text: await section.textContent(),
      persisted: await page.evaluate(() => navigator.storage.persisted()),
    };
  };
  const mayClear = await deviceSection(plain);
  assert.equal(mayClear.persisted, false);
  assert.match(mayClear.text, new RegExp(`may clear Larder’s data .* safe on ${relay.url}`));
  const kept = await deviceSection(granted);
  assert.equal(kept.persisted, true);
  assert.match(kept.text, /keeps Larder’s data on this device/);
  await assertAccessible(granted.page, "more with the device section");
  assertNoConsoleErrors([plain, granted]);
});

test("a session the relay ends sends the app back to sign-in, with the recipes kept on the device", async () => {
  const laptop = await device();
  const { page, context } = laptop;
  const tokens = captureBearer(context);
  await signIn(page, "ivy", PASSWORD);
  await createThroughClient(page, blank("Kept stew", [[1, "", "celeriac"]]));
  await findRecipe(page, "celeriac", "Kept stew");
  await until("the device's token", () => tokens.size > 0);
  // Signed out elsewhere: the session is revoked on the relay. The relay keeps the live feed
  // and socket it already accepted, so the device learns of it when it next connects: here,
  // when the app is opened again.
  for (const token of tokens) {
    const out = await fetch(`${relay.url}/api/v1/session`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
    assert.ok(out.ok, `logout answered ${out.status}`);
  }
  await page.reload();
  await page.getByRole("button", { name: "Sign in" }).waitFor({ timeout: 30_000 });
  await page.getByText("Your session has ended").waitFor();
  await assertAccessible(page, "sign-in after the session ended");
  // The form starts with the relay and the name this device signed in with.
  await until("the sign-in form to be filled in", async () => (await page.getByLabel("Username").inputValue()) === "ivy");
  assert.equal(await page.getByLabel("Server").inputValue(), relay.url);
  assert.deepEqual(
    await page.evaluate(() => window.larder.client.search("celeriac").then((r) => r.map((s) => s.title))),
    ["Kept stew"],
  );
  await signIn(page, "ivy", PASSWORD);
  await findRecipe(page, "celeriac", "Kept stew");
  assertNoConsoleErrors([laptop], [/status of 401/]);
});

test("after a first visit the app opens with the network off, signed in, and search works", async () => {
  const laptop = await device();
  const { page, context } = laptop;
  await signIn(page, "eve", PASSWORD);
  await createThroughClient(page, blank("Pantry pasta", [[1, "tbsp", "capers"], [200, "g", "spaghetti"]]));
  await page.evaluate(() => window.larder.offlineReady);
  await context.setOffline(true);
  await page.reload();
  await searchBox(page).waitFor();
  await waitForSyncStatus(page, /Offline/);
  await openRecipe(page, "capers", "Pantry pasta");
  await screenshot(page, "desktop-offline");
  assertNoConsoleErrors([laptop], NETWORK_DOWN);
});

test("import a JSON-LD file: the report links what came in; a file without a recipe shows core's error", async () => {
  const laptop = await device();
  const { page } = laptop;
  await signIn(page, "gus", PASSWORD);
  await page.getByRole("navigation").getByRole("link", { name: "More" }).click();
  await page.getByRole("link", { name: "Import recipes from a web page or a file" }).click();
  const jsonLd = JSON.stringify({
    "@context": "https://schema.org",
    "@type": "Recipe",
    name: "Imported gazpacho",
    recipeIngredient: ["6 tomatoes", "1 cucumber"],
    recipeInstructions: ["Blend", "Chill"],
  });
  await page.getByLabel("Recipe file or export").setInputFiles({
    name: "gazpacho.json",
    mimeType: "application/ld+json",
    buffer: Buffer.from(jsonLd),
  });
  await page.getByRole("heading", { name: "Imported 1 recipe from gazpacho.json" }).waitFor();
  await assertAccessible(page, "import");
  await screenshot(page, "desktop-import");
  await page.getByRole("link", { name: "Imported gazpacho" }).click();
  await page.getByRole("heading", { level: 1, name: "Imported gazpacho" }).waitFor();
  await until("the imported ingredient lines", async () => (await ingredientTexts(page)).length === 2);
  // A file that is not a recipe: core's error, readable.
  await page.getByRole("navigation").getByRole("link", { name: "More" }).click();
  await page.getByRole("link", { name: "Import recipes from a web page or a file" }).click();
  await page.getByLabel("Recipe file or export").setInputFiles({
    name: "notes.json",
    mimeType: "application/json",
    buffer: Buffer.from('{"hello": "world"}'),
  });
  await page.getByRole("alert").waitFor();
  assertNoConsoleErrors([laptop]);
});

test("import by address: the relay fetches the page, the recipe and its image land here; offline the link is kept", async () => {
  const laptop = await device();
  const { page, context } = laptop;
  await signIn(page, "jo", PASSWORD);
  await page.getByRole("navigation").getByRole("link", { name: "More" }).click();
  await page.getByRole("link", { name: "Import recipes from a web page or a file" }).click();
  const address = page.getByLabel("Recipe page address");
  await address.fill(`${pages.url}/minestrone`);
  await page.getByRole("button", { name: "Import from address" }).click();
  await page.getByRole("heading", { name: "Imported 1 recipe from the page" }).waitFor();
  await assertAccessible(page, "import-address");
  await page.getByRole("link", { name: "Fetched minestrone" }).click();
  await page.getByRole("heading", { level: 1, name: "Fetched minestrone" }).waitFor();
  await until("the fetched ingredient lines", async () => (await ingredientTexts(page)).length === 2);
  const id = decodeURIComponent(new URL(page.url()).hash.replace("#/recipe/", ""));
  const recipe = await page.evaluate((rid) => window.larder.client.getRecipe(rid), id);
  assert.equal(recipe.source_url, `${pages.url}/minestrone`);
  assert.deepEqual(
    recipe.attachments.map((a) => [a.file_name, a.media_type]),
    [["minestrone.png", "image/png"]],
  );

  // The relay refuses a private address, and the screen says why.
  await page.getByRole("navigation").getByRole("link", { name: "More" }).click();
  await page.getByRole("link", { name: "Import recipes from a web page or a file" }).click();
  await address.fill("http://10.1.2.3/soup");
  await page.getByRole("button", { name: "Import from address" }).click();
  await page.getByRole("alert").filter({ hasText: "non-public address" }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Keep the link as a recipe" }).count(), 0);

  // Offline: the relay is needed; the link can be kept as a recipe instead.
  await context.setOffline(true);
  await address.fill("https://example.org/recipes/barley-stew/");
  await page.getByRole("button", { name: "Import from address" }).click();
  await page.getByRole("alert").filter({ hasText: "needs the relay" }).waitFor();
  await page.getByRole("button", { name: "Keep the link as a recipe" }).click();
  await page.getByRole("link", { name: "Barley stew (example.org)" }).click();
  await page.getByRole("heading", { level: 1, name: "Barley stew (example.org)" }).waitFor();
  await context.setOffline(false);
  assertNoConsoleErrors([laptop], NETWORK_DOWN);
});

test("export all from More downloads one zip; another user's device imports it with its attachment", async () => {
  const laptop = await device();
  const { page } = laptop;
  await signIn(page, "kim", PASSWORD);
  const made = await createThroughClient(page, blank("Exported focaccia", [[500, "g", "flour"], [10, "g", "salt"]]));
  await page.evaluate(
    ([id, bytes]) =>
      window.larder.client.attachFile(id, new File([new Uint8Array(bytes)], "crumb.png", { type: "image/png" }), "crumb.png"),
    [made.id, [...makePng(3, 3)]],
  );
  await createThroughClient(page, blank("Exported salad", [[1, "", "lettuce"]]));
  await page.getByRole("navigation").getByRole("link", { name: "More" }).click();
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export all recipes" }).click();
  const file = await download;
  assert.match(file.suggestedFilename(), /^larder-export-\d{4}-\d{2}-\d{2}\.zip$/);
  await page.getByRole("status").filter({ hasText: "2 recipe(s) and 1 attachment(s)" }).waitFor();
  await assertAccessible(page, "more-export");
  const path = join(data, file.suggestedFilename());
  await file.saveAs(path);

  const other = await device();
  await signIn(other.page, "lee", PASSWORD);
  await other.page.getByRole("navigation").getByRole("link", { name: "More" }).click();
  await other.page.getByRole("link", { name: "Import recipes from a web page or a file" }).click();
  await other.page.getByLabel("Recipe file or export").setInputFiles(path);
  await other.page.getByRole("heading", { name: `Imported 2 recipes from ${file.suggestedFilename()}` }).waitFor();
  await other.page.getByText("Read as: Larder export.").waitFor();
  await other.page.getByRole("link", { name: "Exported focaccia" }).click();
  await other.page.getByRole("heading", { level: 1, name: "Exported focaccia" }).waitFor();
  const id = decodeURIComponent(new URL(other.page.url()).hash.replace("#/recipe/", ""));
  const recipe = await other.page.evaluate((rid) => window.larder.client.getRecipe(rid), id);
  assert.deepEqual(
    recipe.ingredients.map((r) => [r.quantity, r.unit, r.name]),
    [[500, "g", "flour"], [10, "g", "salt"]],
  );
  assert.deepEqual(recipe.attachments.map((a) => a.file_name), ["crumb.png"]);
  assertNoConsoleErrors([laptop, other]);
});

test("the main flow on a phone (390×844): bottom navigation, paste box, camera input, large touch targets", async () => {
  const phone = await device({ phone: true });
  const { page } = phone;
  await assertAccessible(page, "phone sign-in");
  await screenshot(page, "phone-sign-in");
  await signIn(page, "fay", PASSWORD);
  const nav = page.getByRole("navigation", { name: "Main" });
  // The navigation is a bar along the bottom of the screen.
  const bar = await nav.boundingBox();
  assert.ok(bar && bar.y + bar.height >= 844 - 1 && bar.y > 700, `bottom navigation at ${JSON.stringify(bar)}`);
  for (const name of ["Search", "Grocery list", "New recipe", "More"]) {
    const box = await nav.getByRole("link", { name }).boundingBox();
    assert.ok(box && box.height >= 44 && box.width >= 44, `${name}: ${JSON.stringify(box)}`);
  }

  await nav.getByRole("link", { name: "New recipe" }).click();
  await page.getByLabel("Title").fill("Tomato salad");
  await page.getByLabel("Servings").fill("2");
  // Pasted lines become rows, parsed by core.
  await page.getByLabel("Paste ingredient lines").fill("4 ripe tomatoes\n1 red onion, sliced\n2 tbsp olive oil");
  await page.getByRole("button", { name: "Add pasted lines" }).click();
  // (The three blank starting rows give way to the parsed ones.)
  await until("the pasted rows", async () => (await page.getByLabel("Paste ingredient lines").inputValue()) === "");
  const rowValues = async (i) =>
    Promise.all(
      [`Quantity, ingredient ${i}`, `Unit, ingredient ${i}`, `Ingredient ${i}`, `Note, ingredient ${i}`].map((l) =>
        page.getByLabel(l, { exact: true }).inputValue(),
      ),
    );
  assert.deepEqual(await rowValues(1), ["4", "", "ripe tomatoes", ""]);
  assert.deepEqual(await rowValues(2), ["1", "", "red onion", "sliced"]);
  assert.deepEqual(await rowValues(3), ["2", "tbsp", "olive oil", ""]);
  assert.equal(await page.getByLabel("Ingredient 4", { exact: true }).count(), 0);
  // A camera input for phones beside the file picker.
  assert.equal(await page.getByLabel("Take a photo").getAttribute("capture"), "environment");
  await page.getByLabel("Take a photo").setInputFiles({ name: "salad.png", mimeType: "image/png", buffer: makePng(64, 64) });
  await page.getByText("salad.png").waitFor();
  await page.getByLabel("Attach files").setInputFiles({ name: "dressing.txt", mimeType: "text/plain", buffer: Buffer.from("3 parts oil, 1 part vinegar\n") });
  await page.getByText("dressing.txt").waitFor();
  await assertAccessible(page, "phone editor");
  await screenshot(page, "phone-editor");
  await page.getByRole("button", { name: "Save" }).click();

  await page.getByRole("heading", { level: 1, name: "Tomato salad" }).waitFor();
  await page.getByRole("img", { name: "salad.png" }).waitFor();
  // Other files are offered for download, with their bytes from the engine.
  const download = page.getByRole("link", { name: "Download dressing.txt" });
  assert.equal(await download.getAttribute("download"), "dressing.txt");
  assert.equal(
    await download.evaluate((a) => fetch(a.href).then((r) => r.text())),
    "3 parts oil, 1 part vinegar\n",
  );
  // A file attached by mistake comes off in the editor; the recipe keeps the rest.
  await page.getByRole("link", { name: "Edit", exact: true }).click();
  await page.getByRole("button", { name: "Remove dressing.txt" }).click();
  await page.getByRole("button", { name: "Remove dressing.txt" }).waitFor({ state: "detached" });
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { level: 1, name: "Tomato salad" }).waitFor();
  await page.getByRole("img", { name: "salad.png" }).waitFor();
  assert.equal(await page.getByRole("link", { name: "Download dressing.txt" }).count(), 0);
  // Single column: the list is not shown beside the recipe.
  assert.equal(await searchBox(page).isVisible(), false);
  for (const name of ["Edit", "Add to grocery list", "Delete", "More servings"]) {
    const box = await page.getByRole(name === "Edit" ? "link" : "button", { name, exact: true }).boundingBox();
    assert.ok(box && box.height >= 44, `${name}: ${JSON.stringify(box)}`);
  }
  await assertAccessible(page, "phone recipe");
  await waitForSyncStatus(page, /Up to date/);
  await screenshot(page, "phone-recipe");
  await page.getByRole("button", { name: "Add to grocery list" }).click();
  await page.getByText("Added the ingredients").waitFor();

  await page.getByRole("link", { name: "← All recipes" }).click();
  await findRecipe(page, "onion", "Tomato salad");
  await assertAccessible(page, "phone search");
  await waitForSyncStatus(page, /Up to date/);
  await screenshot(page, "phone-search");

  await nav.getByRole("link", { name: "Grocery list" }).click();
  const item = page.getByRole("checkbox", { name: /tomatoes/ });
  await item.waitFor();
  const row = await page.locator(".items label").first().boundingBox();
  assert.ok(row && row.height >= 44, `grocery row ${JSON.stringify(row)}`);
  await item.check();
  await page.getByRole("button", { name: "Clear checked" }).waitFor();
  await assertAccessible(page, "phone grocery list");
  await waitForSyncStatus(page, /Up to date/);
  await screenshot(page, "phone-grocery");

  await nav.getByRole("link", { name: "More" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  await screenshot(page, "phone-more");
  assertNoConsoleErrors([phone]);
});

/** Stands in for the browser's Screen Wake Lock (headless Chromium may refuse a real one): every
 *  request is recorded with its type, and every lock handed out can be released (by the app, or
 *  by the test playing the browser hiding the page). */
const WAKE_LOCK_SPY = () => {
  const wake = { calls: [], locks: [] };
  window.__wake = wake;
  const request = async (type) => {
    wake.calls.push(type);
    const lock = new EventTarget();
    Object.assign(lock, {
      type,
      released: false,
      release: async () => {
        if (lock.released) return;
        lock.released = true;
        lock.dispatchEvent(new Event("release"));
      },
    });
    wake.locks.push(lock);
    return lock;
  };
  Object.defineProperty(navigator, "wakeLock", { configurable: true, value: { request } });
};

/** A real touch swipe (CDP touch events, so Chromium makes the pointer events) across `box`, at
 *  height `y`, `dx` pixels sideways. */
async function swipe(page, box, y, dx) {
  const cdp = await page.context().newCDPSession(page);
  const x0 = box.x + box.width / 2 - dx / 2;
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x: x0, y }] });
  for (let i = 1; i <= 6; i++) {
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [{ x: x0 + (dx * i) / 6, y }] });
  }
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await cdp.detach();
}

test("cook mode on a phone (390×844): the screen kept on, steps by keys and swipes, check-off, scaled servings, timers", async () => {
  const phone = await device({ phone: true });
  const { page, context } = phone;
  await context.addInitScript(WAKE_LOCK_SPY);
  await page.reload();
  await page.evaluate(() => window.larder.ready);
  await signIn(page, "mo", PASSWORD);
  await createThroughClient(
    page,
    blank("Weeknight pasta", [[200, "g", "spaghetti"], [2, "tbsp", "olive oil"]], {
      servings: 2,
      steps: [
        "Bring a large pot of salted water to the boil.",
        "Cook the spaghetti 10 to 12 minutes, until al dente.",
        "Warm the oil for 2 seconds, then toss it through.",
        "Serve at once.",
      ],
    }),
  );
  await openRecipe(page, "spaghetti", "Weeknight pasta");
  await page.getByRole("link", { name: "Cook", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Weeknight pasta" }).waitFor();
  const counter = page.locator("#step-counter");
  const stepIs = (n) => until(`step ${n} of 4`, async () => (await counter.textContent()) === `Step ${n} of 4`, 10_000, () => counter.textContent());
  await stepIs(1);

  // The screen is kept on: the wake lock asked for, for the screen.
  await until("the wake lock requested", () => page.evaluate(() => window.__wake.calls.length === 1));
  assert.deepEqual(await page.evaluate(() => window.__wake.calls), ["screen"]);
  await page.getByRole("status").filter({ hasText: "Screen kept on while cooking" }).waitFor();
  // Full screen, large type: no app navigation, the step in big letters.
  assert.equal(await page.getByRole("navigation", { name: "Main" }).count(), 0);
  const size = await page.locator(".step-text").evaluate((p) => parseFloat(getComputedStyle(p).fontSize));
  assert.ok(size >= 24, `step text ${size}px`);
  await assertAccessible(page, "cook mode");
  await screenshot(page, "phone-cook");

  // Keyboard: ArrowRight / ArrowLeft, never past either end.
  await page.keyboard.press("ArrowRight");
  await stepIs(2);
  await page.keyboard.press("ArrowLeft");
  await stepIs(1);
  await page.keyboard.press("ArrowLeft");
  await stepIs(1);
  assert.equal(await page.getByRole("button", { name: "← Previous step" }).isDisabled(), true);

  // Swipes: left for the next step, right for the one before.
  const card = await page.locator(".cook-step").boundingBox();
  const y = (await counter.boundingBox()).y + 10;
  await swipe(page, card, y, -220);
  await stepIs(2);
  await swipe(page, card, y, -220);
  await stepIs(3);
  await swipe(page, card, y, 220);
  await stepIs(2);
  // A short movement is no swipe.
  await swipe(page, card, y, -20);
  await stepIs(2);

  // A timer from the step's text (parsed by core: a range counts down its upper end).
  assert.match(await page.locator(".step-text").textContent(), /^Cook the spaghetti ▶ 10 to 12 minutes, until al dente\.$/);
  await page.getByRole("button", { name: "Start a timer for 10 to 12 minutes" }).click();
  const pastaTimer = page.getByRole("timer", { name: "10 to 12 minutes timer" });
  const first = await pastaTimer.textContent();
  assert.match(first, /^(12:00|11:5\d)$/);
  await page.getByText("check at 02:00 left").waitFor();
  await until("the countdown to run", async () => (await pastaTimer.textContent()) < first, 10_000, () => pastaTimer.textContent());
  await assertAccessible(page, "cook mode with a timer");
  await page.getByRole("button", { name: "Cancel the 10 to 12 minutes timer" }).click();
  await pastaTimer.waitFor({ state: "detached" });

  // Steps checked off, each its own.
  await page.getByLabel("Step done").check();
  await page.getByRole("button", { name: "Next step →" }).click();
  await stepIs(3);
  assert.equal(await page.getByLabel("Step done").isChecked(), false);
  // A short timer runs out: an alert.
  await page.getByRole("button", { name: "Start a timer for 2 seconds" }).click();
  assert.match(await page.getByRole("timer", { name: "2 seconds timer" }).textContent(), /^00:0[12]$/);
  const upAlert = page.getByRole("alert").filter({ hasText: "Time is up: 2 seconds" });
  await upAlert.waitFor({ timeout: 15_000 });
  await page.getByRole("button", { name: "Dismiss" }).click();
  await upAlert.waitFor({ state: "detached" });
  await page.keyboard.press("ArrowLeft");
  await stepIs(2);
  assert.equal(await page.getByLabel("Step done").isChecked(), true);

  // Ingredients: checked off, and scaled by core to the servings chosen (the checks stay).
  await page.getByRole("checkbox", { name: "200 g spaghetti" }).check();
  await page.getByRole("button", { name: "More servings" }).click();
  await page.getByRole("button", { name: "More servings" }).click();
  assert.equal(await page.getByRole("spinbutton", { name: "Servings" }).inputValue(), "4");
  await page.getByRole("checkbox", { name: "400 g spaghetti" }).waitFor();
  assert.equal(await page.getByRole("checkbox", { name: "400 g spaghetti" }).isChecked(), true);
  assert.equal(await page.getByRole("checkbox", { name: "4 tbsp olive oil" }).isChecked(), false);
  await screenshot(page, "phone-cook-scaled");

  // The browser drops the lock when the page is hidden; visible again, cook mode asks again.
  await page.evaluate(() => {
    void window.__wake.locks[0].release();
    document.dispatchEvent(new Event("visibilitychange"));
  });
  await until("the wake lock asked for again", () => page.evaluate(() => window.__wake.calls.length === 2));
  await page.getByRole("status").filter({ hasText: "Screen kept on while cooking" }).waitFor();

  // Escape leaves for the recipe, and the lock is released.
  await page.keyboard.press("Escape");
  await page.getByRole("link", { name: "Cook", exact: true }).waitFor();
  await until("every wake lock released", () => page.evaluate(() => window.__wake.locks.every((l) => l.released)));
  assert.deepEqual(await page.evaluate(() => window.__wake.calls), ["screen", "screen"]);
  assertNoConsoleErrors([phone]);
});

test("cook mode where the web view has no Screen Wake Lock API asks the shell, and says the screen may sleep when it cannot", async () => {
  const laptop = await device();
  const { page, context } = laptop;
  // As in WebKitGTK: no navigator.wakeLock. The browser's engine answers keep_screen_on with
  // "unsupported" (only the desktop shell can hold the screen saver off).
  await context.addInitScript(() => {
    delete Navigator.prototype.wakeLock;
  });
  await page.reload();
  await page.evaluate(() => window.larder.ready);
  assert.equal(await page.evaluate(() => "wakeLock" in navigator), false);
  await signIn(page, "ned", PASSWORD);
  await createThroughClient(page, blank("Toast", [[2, "", "slices of bread"]], { steps: ["Toast 3 minutes."] }));
  await openRecipe(page, "bread", "Toast");
  await page.getByRole("link", { name: "Cook", exact: true }).click();
  await page.getByRole("status").filter({ hasText: "Screen may sleep: this app cannot keep it on here" }).waitFor();
  await page.getByRole("button", { name: "Start a timer for 3 minutes" }).waitFor();
  await assertAccessible(page, "desktop cook mode");
  await screenshot(page, "desktop-cook");
  await page.getByRole("button", { name: "Leave cook mode" }).click();
  await page.getByRole("link", { name: "Cook", exact: true }).waitFor();
  assertNoConsoleErrors([laptop]);
});

test("a newly deployed version is offered with a Reload prompt, and Reload switches to it", async () => {
  // A relay of its own, serving a copy of the app that can be "redeployed".
  const relayData = mkdtempSync(join(tmpdir(), "larder-ui-update-"));
  const web = mkdtempSync(join(tmpdir(), "larder-ui-web-"));
  cpSync(DIST, web, { recursive: true });
  addUser(relayData, "hal", PASSWORD);
  const own = await startRelay(relayData, "127.0.0.1:0", web);
  try {
    const laptop = await newDevice(browser, own.url);
    devices.push(laptop);
    const { page } = laptop;
    await page.evaluate(() => window.larder.offlineReady);
    await signIn(page, "hal", PASSWORD);
    assert.equal(await page.getByRole("button", { name: "Reload" }).count(), 0);
    // Twice: first from the page of the first visit (no service worker controls it yet), then
    // from the reloaded page, which the new worker controls (a returning visitor).
    for (const round of [1, 2]) {
      // A new version: the service worker script changes; the page checks for updates.
      appendFileSync(join(web, "sw.js"), `\n// redeployed ${round}\n`);
      await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.update()));
      const prompt = page.getByRole("alert").filter({ hasText: "A new version of Larder is available." });
      await prompt.waitFor({ timeout: 30_000 });
      if (round === 1) {
        await assertAccessible(page, "update prompt");
        await screenshot(page, "desktop-update-prompt");
      }
      await Promise.all([
        page.waitForEvent("load", { timeout: 30_000 }),
        prompt.getByRole("button", { name: "Reload" }).click(),
      ]);
      // Reloaded into the new version, still signed in.
      await searchBox(page).waitFor();
      assert.equal(await page.getByRole("button", { name: "Reload" }).count(), 0);
      assert.match(await page.evaluate(() => fetch("/sw.js").then((r) => r.text())), new RegExp(`redeployed ${round}`));
      assert.ok(await page.evaluate(() => navigator.serviceWorker.controller !== null), "controlled after the reload");
    }
    assertNoConsoleErrors([laptop]);
  } finally {
    await own.stop();
    rmSync(relayData, { recursive: true, force: true });
    rmSync(web, { recursive: true, force: true });
  }
});
