// The React UI in real Chromium against a real relay: every screen driven the way a person
// would (labels, roles, accessible names), two devices of one user syncing through the relay,
// offline edits merging, the grocery list shared, delete + undo, sign out revoking the session,
// the app opening offline, the phone layout, axe-core on every main screen, screenshots.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { addUser, launchChromium, startRelay } from "./harness.mjs";
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
const USERS = ["ana", "ben", "cy", "dee", "eve", "fay", "gus"];
const data = mkdtempSync(join(tmpdir(), "larder-ui-relay-"));
let relay;
let browser;
const devices = [];

before(async () => {
  for (const user of USERS) addUser(data, user, PASSWORD);
  relay = await startRelay(data);
  browser = await launchChromium();
});

after(async () => {
  for (const d of devices) await d.context.close().catch(() => undefined);
  await browser?.close();
  await relay?.stop();
  rmSync(data, { recursive: true, force: true });
});

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
    await page.getByLabel(`Quantity, ingredient ${i + 1}`).fill(qty);
    await page.getByLabel(`Unit, ingredient ${i + 1}`).fill(unit);
    await page.getByLabel(`Ingredient ${i + 1}`, { exact: true }).fill(name);
    await page.getByLabel(`Note, ingredient ${i + 1}`).fill(note);
  }
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
  assert.deepEqual(await ingredientTexts(page), [
    "800 g chickpeas, drained",
    "400 g tomatoes, crushed",
    "200 ml coconut milk",
  ]);
  await page.getByRole("img", { name: "curry.png" }).waitFor();
  assert.match(await page.locator(".times").textContent(), /Prep 10 min · Cook 25 min · Total 35 min/);
  // The servings control rescales the quantities.
  await page.getByRole("button", { name: "More servings" }).click();
  await page.getByRole("button", { name: "More servings" }).click();
  assert.equal(await page.getByRole("spinbutton", { name: "Servings", exact: true }).inputValue(), "6");
  assert.deepEqual(await ingredientTexts(page), [
    "1,200 g chickpeas, drained",
    "600 g tomatoes, crushed",
    "300 ml coconut milk",
  ]);
  await page.getByRole("spinbutton", { name: "Servings", exact: true }).fill("2");
  assert.equal((await ingredientTexts(page))[0], "400 g chickpeas, drained");
  await assertAccessible(page, "recipe");
  await screenshot(page, "desktop-recipe");

  // Found by a word from an ingredient; blank lists all.
  await findRecipe(page, "coconut", "Chickpea curry");
  await search(page, "saffron");
  await page.getByText("No recipes match").waitFor();
  await findRecipe(page, "", "Chickpea curry");
  await waitForSyncStatus(page, /Up to date/);

  // Another device of the same user sees it.
  const phone2 = await device();
  await signIn(phone2.page, "ana", PASSWORD);
  await openRecipe(phone2.page, "chickpeas", "Chickpea curry");
  assert.equal((await ingredientTexts(phone2.page)).length, 3);
  assert.match(await phone2.page.locator(".notes").textContent(), /Better the next day/);
  await phone2.page.getByText("curry.png").first().waitFor();

  assertNoConsoleErrors([laptop, phone2], [/status of 401/]);
});
