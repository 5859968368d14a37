// A household's shared grocery list in real Chromium: two members (ana and ben), each on a
// browser and a `larder` CLI profile, through one relay. Each browser shows the household list
// with the choice of list; ticks made offline in both browsers arrive everywhere; "Add to
// grocery list" on a recipe goes to the household list and amounts added from both members sum;
// the meal plan is the household's; ben moves his own list's items across in one step; after
// `household remove`, ben's browser goes back to his own list and no longer offers the
// household's.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { addUser, larder, launchChromium, serverCommand, startRelay } from "./harness.mjs";
import { assertAccessible, assertNoConsoleErrors, newDevice, NETWORK_DOWN, openRecipe, screenshot, signIn, until } from "./ui-helpers.mjs";

const PASSWORD = "open sesame pantry";
const data = mkdtempSync(join(tmpdir(), "larder-household-relay-"));
const profiles = mkdtempSync(join(tmpdir(), "larder-household-cli-"));
let relay;
let browser;
const devices = [];

before(async () => {
  for (const user of ["ana", "ben"]) addUser(data, user, PASSWORD);
  serverCommand(data, ["household", "create", "smiths"]);
  for (const user of ["ana", "ben"]) serverCommand(data, ["household", "add", "smiths", user]);
  relay = await startRelay(data);
  browser = await launchChromium();
});

after(async () => {
  for (const d of devices) await d.context.close().catch(() => undefined);
  await browser?.close();
  await relay?.stop();
  rmSync(data, { recursive: true, force: true });
  rmSync(profiles, { recursive: true, force: true });
});

async function browserOf(user, options) {
  const d = await newDevice(browser, relay.url, options);
  devices.push(d);
  await signIn(d.page, user, PASSWORD);
  await d.page.getByRole("navigation").getByRole("link", { name: "Grocery list" }).click();
  await d.page.getByRole("heading", { name: "Grocery list" }).waitFor();
  return d;
}

async function cliOf(user) {
  const profile = join(profiles, user);
  await larder(profile, ["login", "--server", relay.url, "--user", user], { LARDER_PASSWORD: PASSWORD });
  await larder(profile, ["sync", "--once"]);
  return profile;
}

/** The list shown on a page: each item's text and whether it is ticked, in name order. */
async function shown(page) {
  const boxes = page.locator(".grocery .items input[type=checkbox]");
  const items = [];
  for (let i = 0; i < (await boxes.count()); i++) {
    const box = boxes.nth(i);
    const text = await box.locator("xpath=following-sibling::span").textContent();
    items.push(`${text}${(await box.isChecked()) ? " ✓" : ""}`);
  }
  return items.sort();
}

async function cliShown(profile) {
  await larder(profile, ["sync", "--once"]);
  const items = JSON.parse(await larder(profile, ["grocery", "list", "--json"]));
  return items.map((i) => `${i.text}${i.checked ? " ✓" : ""}`).sort();
}

async function showsEventually(page, expected) {
  await until(`the list to read ${expected.join(", ")}`, async () => JSON.stringify(await shown(page)) === JSON.stringify(expected), 30_000, () => shown(page));
}

test("two members share the household list: offline ticks, summed additions, moving items, leaving", async () => {
  const ana = await browserOf("ana");
  const ben = await browserOf("ben");
  const anaCli = await cliOf("ana");
  const benCli = await cliOf("ben");
  for (const { page } of [ana, ben]) {
    const choice = page.getByRole("group", { name: "Which grocery list" });
    await choice.getByRole("button", { name: "smiths (household)", pressed: true }).waitFor();
  }

  // One member's CLI adds; both browsers show it.
  await larder(anaCli, ["grocery", "add", "2 l milk"]);
  await larder(anaCli, ["grocery", "add", "bread"]);
  await larder(anaCli, ["sync", "--once"]);
  for (const { page } of [ana, ben]) await showsEventually(page, ["2 l milk", "bread"]);

  // Both browsers go offline and tick a different item; back online, every device agrees.
  await ana.context.setOffline(true);
  await ben.context.setOffline(true);
  await ana.page.getByRole("checkbox", { name: "2 l milk" }).check();
  await ben.page.getByRole("checkbox", { name: "bread" }).check();
  await ana.context.setOffline(false);
  await ben.context.setOffline(false);
  const ticked = ["2 l milk ✓", "bread ✓"];
  for (const { page } of [ana, ben]) await showsEventually(page, ticked);
  for (const profile of [anaCli, benCli]) {
    await until("the CLI to see both ticks", async () => JSON.stringify(await cliShown(profile)) === JSON.stringify(ticked));
  }

  // "Add to grocery list" on a recipe goes to the household list; ben's CLI adds eggs too.
  const id = (await larder(anaCli, ["add", "--title", "Pancakes", "--ingredient", "3 eggs"])).trim();
  await larder(anaCli, ["sync", "--once"]);
  await ana.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Search" }).click();
  await openRecipe(ana.page, "eggs", "Pancakes");
  await ana.page.getByRole("button", { name: "Add to grocery list" }).click();
  await ana.page.getByText("Added the ingredients of “Pancakes” to the smiths household list.").waitFor();
  const flan = (await larder(benCli, ["add", "--title", "Flan", "--ingredient", "2 eggs"])).trim();
  await larder(benCli, ["grocery", "add-recipe", flan]);
  await larder(benCli, ["sync", "--once"]);
  assert.ok(id);
  await showsEventually(ben.page, ["2 l milk ✓", "5 eggs", "bread ✓"]);

  // The meal plan is the household's: a meal ana's CLI plans shows in ben's browser.
  await larder(anaCli, ["plan", "add", "2026-12-08", "dinner", "Soup night"]);
  await larder(anaCli, ["sync", "--once"]);
  await ben.page.goto(`${relay.url}/#/plan/2026-12-07`);
  await ben.page.getByText("shared with the smiths household").waitFor();
  await ben.page.getByText("Soup night").waitFor({ timeout: 30_000 });
  await ben.page.getByRole("navigation").getByRole("link", { name: "Grocery list" }).click();
  await ben.page.getByRole("heading", { name: "Grocery list" }).waitFor();

  // Ben keeps an item on his own list, then moves it across in one step.
  const choice = ben.page.getByRole("group", { name: "Which grocery list" });
  await choice.getByRole("button", { name: "My own list" }).click();
  await choice.getByRole("button", { name: "My own list", pressed: true }).waitFor();
  await showsEventually(ben.page, []);
  await ben.page.getByLabel("Add an item").fill("1 lemon");
  await ben.page.getByRole("button", { name: "Add", exact: true }).click();
  await ben.page.getByRole("checkbox", { name: "1 lemon" }).waitFor();
  await ben.page.getByText("Your own list has 1 unchecked item.").waitFor();
  await assertAccessible(ben.page, "grocery list with the household choice");
  // The same choice and offer on a phone, axe-clean.
  const phone = await browserOf("ben", { phone: true });
  // The choice is this device's: a new phone starts on the household list.
  await phone.page.getByRole("group", { name: "Which grocery list" }).getByRole("button", { name: "smiths (household)", pressed: true }).waitFor();
  await phone.page.getByRole("button", { name: "Move it to smiths" }).waitFor();
  await assertAccessible(phone.page, "phone: grocery list with the household choice");
  await screenshot(ben.page, "desktop-grocery-household");
  await ben.page.getByRole("button", { name: "Move it to smiths" }).click();
  await choice.getByRole("button", { name: "smiths (household)", pressed: true }).waitFor();
  const all = ["1 lemon", "2 l milk ✓", "5 eggs", "bread ✓"];
  await showsEventually(ben.page, all);
  await ana.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Grocery list" }).click();
  await showsEventually(ana.page, all);

  // Ben leaves the household: on his next connection his browser is back on his own list.
  serverCommand(data, ["household", "remove", "smiths", "ben"]);
  await ben.page.reload();
  await ben.page.evaluate(() => window.larder.ready);
  await ben.page.getByRole("heading", { name: "Grocery list" }).waitFor();
  await until("ben's browser to drop the household list", async () => (await ben.page.getByRole("group", { name: "Which grocery list" }).count()) === 0, 30_000);
  await showsEventually(ben.page, []);
  assert.deepEqual(await cliShown(anaCli), all, "ana keeps the household list");

  assertNoConsoleErrors(devices, NETWORK_DOWN);
});
