// Cook mode's timers outlive cook mode in real Chromium: a timer started from a step keeps
// counting when cook mode is left, shows in the app's timer bar on every screen, leads back to
// its recipe's cook mode, and says when its time is up wherever the cook is.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertAccessible, assertNoConsoleErrors, openRecipe, relayAndBrowser, signIn, until } from "./ui-helpers.mjs";

const PASSWORD = "open sesame pantry";
const suite = relayAndBrowser("cook", ["vic"], PASSWORD);

const blank = (title, steps) => ({
  title, description: "", servings: 2, yield_text: "", prep_minutes: null, cook_minutes: null,
  total_minutes: null, tags: [], source_url: "", steps, notes: "",
  ingredients: [{ quantity: 4, quantity_max: null, unit: "", name: "apples", note: "" }],
});

test("a timer started in cook mode keeps running on other screens, leads back, and says when time is up", async () => {
  const d = await suite.device();
  const { page } = d;
  await signIn(page, "vic", PASSWORD);
  await page.evaluate((r) => window.larder.client.createRecipe(r), blank("Apple crumble", ["Bake for 25 minutes.", "Rest 2 seconds."]));
  await openRecipe(page, "apples", "Apple crumble");
  await page.getByRole("link", { name: "Cook", exact: true }).click();
  await page.getByRole("button", { name: "Start a timer for 25 minutes" }).click();
  await page.getByRole("timer", { name: "25 minutes timer" }).waitFor();
  await page.getByRole("button", { name: "Leave cook mode" }).click();

  // On the recipe, then on search: the timer bar, counting down.
  const bar = page.getByRole("region", { name: "Cooking timers" });
  const countdown = bar.getByRole("timer", { name: "25 minutes timer" });
  await countdown.waitFor();
  assert.match(await bar.textContent(), /Apple crumble: 25 minutes/);
  const first = await countdown.textContent();
  await until("the countdown to run on", async () => (await countdown.textContent()) < first, 10_000, () => countdown.textContent());
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Grocery list" }).click();
  await countdown.waitFor();
  await assertAccessible(page, "grocery list with a cooking timer");

  // Back to cooking: the same timer there; a short one ends while cook mode is left.
  await bar.getByRole("link", { name: "Back to cooking" }).click();
  await page.getByRole("timer", { name: "25 minutes timer" }).waitFor();
  await page.getByRole("button", { name: "Next step →" }).click();
  await page.getByRole("button", { name: "Start a timer for 2 seconds" }).click();
  await page.getByRole("button", { name: "Leave cook mode" }).click();
  await bar.getByRole("alert").filter({ hasText: "Time is up: 2 seconds (Apple crumble)" }).waitFor({ timeout: 15_000 });
  await bar.getByRole("button", { name: "Dismiss the 2 seconds timer" }).click();
  await bar.getByRole("button", { name: "Cancel the 25 minutes timer" }).click();
  await bar.waitFor({ state: "detached" });
  assertNoConsoleErrors([d]);
});
