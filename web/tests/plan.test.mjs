// The meal plan in real Chromium against a real relay: a week planned by search and by free
// text, a meal moved and re-served, the week sent to the grocery list after its preview, the
// plan and the list seen on a second browser, both browsers planning offline and merging, "Plan
// this" from a recipe, the plan's calendar address (the feed read, then stopped: 404), the
// phone's day list, axe on the plan screen.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  NETWORK_DOWN,
  assertAccessible,
  assertNoConsoleErrors,
  newDevice,
  openRecipe,
  relayAndBrowser,
  screenshot,
  signIn,
  until,
  waitForSyncStatus,
} from "./ui-helpers.mjs";

const PASSWORD = "open sesame pantry";
const USERS = ["pia", "quin", "ros"];
const suite = relayAndBrowser("plan", USERS, PASSWORD);
const device = suite.device;
const relayUrl = () => suite.relay.url.replace(/\/$/, "");

const blank = (title, servings, ingredients) => ({
  title, description: "", servings, yield_text: "", prep_minutes: null, cook_minutes: null,
  total_minutes: null, tags: [], source_url: "", steps: [], notes: "",
  ingredients: ingredients.map(([quantity, unit, name]) => ({ quantity, quantity_max: null, unit, name, note: "" })),
});
const createThroughClient = (page, draft) => page.evaluate((d) => window.larder.client.createRecipe(d), draft);

/** The week on screen, as core answers it (dates of its days, for finding their columns). */
const weekDates = (page) =>
  page.evaluate(() => {
    const pad = (n) => String(n).padStart(2, "0");
    const now = new Date();
    const today = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
    return window.larder.client.planWeek(today).then((w) => ({ days: w.days.map((d) => d.date), next: w.next }));
  });
/** Day `i` (0 = Monday) of the week on screen. */
const day = (page, i) => page.locator("ol.week > li.day").nth(i);
const slot = (page, i, name) => day(page, i).getByRole("region", { name: new RegExp(`^${name},`) });
const mealsIn = (page, i, name) => slot(page, i, name).locator(".meal-line").allTextContents();

async function openPlan(page) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Plan" }).click();
  await page.getByRole("heading", { level: 1, name: "Meal plan" }).waitFor();
  await page.locator("ol.week > li.day").nth(6).waitFor();
}

async function planBySearch(page, i, slotName, query, title, servings) {
  await slot(page, i, slotName).getByRole("button", { name: /^Add to / }).click();
  const form = slot(page, i, slotName).getByRole("form");
  if (servings) await form.getByLabel("Servings").fill(String(servings));
  await form.getByLabel("Recipe or meal").fill(query);
  await form.getByRole("button", { name: `Plan ${title}` }).click();
  await form.waitFor({ state: "detached" });
}

async function planText(page, i, slotName, text) {
  await slot(page, i, slotName).getByRole("button", { name: /^Add to / }).click();
  const form = slot(page, i, slotName).getByRole("form");
  await form.getByLabel("Recipe or meal").fill(text);
  await form.getByRole("button", { name: `Add “${text}”` }).click();
  await form.waitFor({ state: "detached" });
}

test("plan a week by search and free text, move a meal, send the week to the grocery list; the second browser sees plan and list", async () => {
  const a = await device();
  const b = await device();
  await signIn(a.page, "pia", PASSWORD);
  await signIn(b.page, "pia", PASSWORD);
  await createThroughClient(a.page, blank("Pancakes", 2, [[250, "g", "flour"], [2, "", "eggs"], [500, "ml", "milk"]]));
  await createThroughClient(a.page, blank("Country bread", 4, [[500, "g", "flour"], [2, "tsp", "salt"]]));
  await openPlan(a.page);
  await assertAccessible(a.page, "empty meal plan");

  // Monday dinner: pancakes for 4 (the recipe serves 2); Wednesday lunch: the bread as it is;
  // Thursday dinner: leftovers, in words.
  await planBySearch(a.page, 0, "Dinner", "pancakes", "Pancakes", 4);
  await planBySearch(a.page, 2, "Lunch", "bread", "Country bread");
  await planText(a.page, 3, "Dinner", "Leftovers");
  assert.deepEqual(await mealsIn(a.page, 0, "Dinner"), ["Pancakes · serves 4"]);
  assert.deepEqual(await mealsIn(a.page, 2, "Lunch"), ["Country bread · serves 4"]);
  assert.deepEqual(await mealsIn(a.page, 3, "Dinner"), ["Leftovers"]);

  // Leftovers move to Friday's lunch.
  const { days } = await weekDates(a.page);
  await slot(a.page, 3, "Dinner").getByRole("button", { name: "Change Leftovers" }).click();
  const change = slot(a.page, 3, "Dinner").getByRole("form", { name: "Change Leftovers" });
  await change.getByLabel("Day").fill(days[4]);
  await change.getByLabel("Slot").selectOption({ label: "Lunch" });
  await change.getByRole("button", { name: "Save" }).click();
  await until("leftovers on Friday", async () => (await mealsIn(a.page, 4, "Lunch")).join() === "Leftovers");
  assert.deepEqual(await mealsIn(a.page, 3, "Dinner"), []);
  await assertAccessible(a.page, "meal plan");
  await screenshot(a.page, "desktop-meal-plan");

  // The week to the grocery list: previewed (scaled, merged), then added.
  await a.page.getByRole("button", { name: "Add this week to the grocery list" }).click();
  const preview = a.page.getByRole("list", { name: "Will be added" });
  await preview.waitFor();
  assert.deepEqual(await preview.getByRole("listitem").allTextContents(), ["1000 g flour", "4 eggs", "1000 ml milk", "2 tsp salt"]);
  await a.page.getByText("From 2 planned recipes, this adds:").waitFor();
  await assertAccessible(a.page, "meal plan grocery preview");
  await a.page.getByRole("button", { name: "Add 4 items" }).click();
  await a.page.getByText("Added 4 items to the grocery list.").waitFor();

  // The other browser: the same list and the same plan, without a reload.
  await b.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Grocery list" }).click();
  for (const item of ["1000 g flour", "4 eggs", "1000 ml milk", "2 tsp salt"]) {
    await b.page.getByRole("checkbox", { name: item }).waitFor({ timeout: 30_000 });
  }
  await openPlan(b.page);
  await until("the plan on the second browser", async () => (await mealsIn(b.page, 0, "Dinner")).join() === "Pancakes · serves 4", 30_000);
  assert.deepEqual(await mealsIn(b.page, 4, "Lunch"), ["Leftovers"]);
  // Removed there, gone here.
  await slot(b.page, 4, "Lunch").getByRole("button", { name: "Remove Leftovers" }).click();
  await until("leftovers removed on the first browser", async () => (await mealsIn(a.page, 4, "Lunch")).length === 0, 30_000);

  // The plan in a calendar app: an address of its own, read by anyone who has it, until stopped.
  await a.page.getByRole("button", { name: "Calendar" }).click();
  await a.page.getByText("No calendar address yet.").waitFor();
  await a.page.getByRole("button", { name: "Make a calendar address" }).click();
  const address = await a.page.getByLabel("Calendar address (shown once: copy it now)").inputValue();
  assert.match(address, new RegExp(`^${relayUrl()}/api/v1/plan/calendar/[^/]+\\.ics$`));
  const feed = await fetch(address);
  assert.equal(feed.status, 200);
  assert.match(feed.headers.get("content-type"), /^text\/calendar/);
  const ics = await feed.text();
  assert.match(ics, /SUMMARY:Dinner: Pancakes/);
  assert.match(ics, /SUMMARY:Lunch: Country bread/);
  assert.doesNotMatch(ics, /Leftovers/);
  await assertAccessible(a.page, "meal plan calendar address");
  await a.page.getByRole("button", { name: "Stop the address" }).click();
  await a.page.getByText("No calendar address yet.").waitFor();
  assert.equal((await fetch(address)).status, 404, "a stopped address reads nothing");
  assertNoConsoleErrors([a, b]);
});

test("two browsers plan the same week offline; back online both meals are on both, and Plan this adds from a recipe", async () => {
  const a = await device();
  const b = await device();
  await signIn(a.page, "quin", PASSWORD);
  await signIn(b.page, "quin", PASSWORD);
  await createThroughClient(a.page, blank("Tomato soup", 2, [[6, "", "tomatoes"]]));
  await openPlan(a.page);
  await openPlan(b.page);
  await waitForSyncStatus(a.page, /Up to date/);
  await waitForSyncStatus(b.page, /Up to date/);

  await a.context.setOffline(true);
  await b.context.setOffline(true);
  await waitForSyncStatus(a.page, /^Offline$/);
  await waitForSyncStatus(b.page, /^Offline$/);
  await planText(a.page, 1, "Dinner", "Fish pie");
  await planText(b.page, 1, "Lunch", "Salad");
  await planText(b.page, 1, "Dinner", "Curry");
  await waitForSyncStatus(a.page, /Offline · 1 change waiting/);

  await a.context.setOffline(false);
  await b.context.setOffline(false);
  for (const { page } of [a, b]) {
    await until("both dinners", async () => (await mealsIn(page, 1, "Dinner")).sort().join() === "Curry,Fish pie", 40_000);
    assert.deepEqual(await mealsIn(page, 1, "Lunch"), ["Salad"]);
    await waitForSyncStatus(page, /Up to date/, 40_000);
  }

  // From the recipe: Plan this → next Monday's lunch; the plan's next week shows it.
  const { next } = await weekDates(a.page);
  await a.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Search" }).click();
  await openRecipe(a.page, "tomatoes", "Tomato soup");
  await a.page.getByRole("button", { name: "Plan this" }).click();
  const form = a.page.getByRole("form", { name: "Plan Tomato soup" });
  await form.getByLabel("Day").fill(next);
  await form.getByLabel("Slot").selectOption({ label: "Lunch" });
  await form.getByRole("button", { name: "Plan", exact: true }).click();
  await form.getByRole("status").waitFor();
  assert.match(await form.getByRole("status").textContent(), /Planned “Tomato soup” for .* \(Lunch\)/);
  await form.getByRole("link", { name: "Open the plan" }).click();
  await a.page.getByRole("heading", { level: 1, name: "Meal plan" }).waitFor();
  await until("the soup on next Monday", async () => (await mealsIn(a.page, 0, "Lunch")).join() === "Tomato soup · serves 2");
  await until("and on the other browser", async () => {
    const w = await b.page.evaluate((d) => window.larder.client.planWeek(d), next);
    return w.days[0].entries.some((e) => e.title === "Tomato soup" && e.slot === "lunch");
  }, 30_000);
  assertNoConsoleErrors([a, b], NETWORK_DOWN);
});

test("on a phone (390×844) the week is a list of days, one under the other, with large touch targets", async () => {
  const phone = await device({ phone: true });
  const { page } = phone;
  await signIn(page, "ros", PASSWORD);
  await openPlan(page);
  await planText(page, 0, "Breakfast", "Porridge");
  const boxes = await Promise.all([0, 1, 2].map((i) => day(page, i).boundingBox()));
  assert.ok(boxes.every((b) => b && Math.abs(b.x - boxes[0].x) < 1), `one column: ${JSON.stringify(boxes)}`);
  assert.ok(boxes[0].y + boxes[0].height <= boxes[1].y && boxes[1].y + boxes[1].height <= boxes[2].y, "days stacked in order");
  for (const button of [
    slot(page, 0, "Breakfast").getByRole("button", { name: "Change Porridge" }),
    slot(page, 0, "Lunch").getByRole("button", { name: /^Add to / }),
  ]) {
    const box = await button.boundingBox();
    assert.ok(box && box.height >= 44, `touch target ${JSON.stringify(box)}`);
  }
  await assertAccessible(page, "phone meal plan");
  await screenshot(page, "phone-meal-plan");
  assertNoConsoleErrors([phone]);
});
