// Sharing a recipe between two signed-in browsers in real Chromium, through a real relay: ana
// shares one recipe read-only with ben from its Share dialog; ben's browser finds it under
// "Shared with me", marked as ana's, without Edit or Delete; ana sees who has access and
// revokes it; on ben's next connection the recipe is gone from his browser. axe on both screens.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertAccessible, assertNoConsoleErrors, openRecipe, relayAndBrowser, searchBox, signIn, until, waitForSyncStatus } from "./ui-helpers.mjs";

const PASSWORD = "open sesame pantry";
const suite = relayAndBrowser("share", ["ana", "ben"], PASSWORD);

const draft = (title) => ({
  title, description: "", servings: 2, yield_text: "", prep_minutes: null, cook_minutes: null,
  total_minutes: null, tags: [], source_url: "", steps: ["Simmer."], notes: "",
  ingredients: [{ quantity: 2, quantity_max: null, unit: "", name: "leeks", note: "" }],
});

test("ana shares a recipe read-only with ben, who reads it marked and cannot edit it; revoked, it leaves his browser", async () => {
  const ana = await suite.device();
  const ben = await suite.device();
  await signIn(ana.page, "ana", PASSWORD);
  await signIn(ben.page, "ben", PASSWORD);
  await ana.page.evaluate((d) => window.larder.client.createRecipe(d), draft("Leek soup"));
  await ana.page.evaluate((d) => window.larder.client.createRecipe(d), draft("Ana's secret stew"));
  await waitForSyncStatus(ana.page, /Up to date/);

  await openRecipe(ana.page, "leeks", "Leek soup");
  await ana.page.getByRole("button", { name: "Share", exact: true }).click();
  const dialog = ana.page.getByRole("region", { name: "Share “Leek soup”" });
  await dialog.getByText("Only you can see this recipe.").waitFor();
  await dialog.getByLabel("User name").fill("ben");
  await dialog.getByRole("button", { name: "Share", exact: true }).click();
  await dialog.getByText("Shared “Leek soup” with ben (read-only).").waitFor();
  await dialog.getByRole("list", { name: "Who has access" }).getByText("ben (user) · read-only").waitFor();
  await assertAccessible(ana.page, "share dialog");
  // A name that is no one: the relay's sentence, nothing shared.
  await dialog.getByLabel("User name").fill("nobody");
  await dialog.getByRole("button", { name: "Share", exact: true }).click();
  await dialog.getByRole("alert").getByText(/no user or household is named "nobody"/).waitFor();

  // Ben: a fresh connection learns the share; the recipe comes with the change feed.
  await ben.page.reload();
  await ben.page.evaluate(() => window.larder.ready);
  await searchBox(ben.page).waitFor();
  await ben.page.getByRole("button", { name: "Shared with me" }).click();
  await ben.page.getByRole("button", { name: "Shared with me", pressed: true }).waitFor();
  const link = ben.page.getByRole("link", { name: "Leek soup", exact: true });
  await link.waitFor({ timeout: 30_000 });
  await ben.page.locator(".result", { has: link }).getByText("Shared by ana").waitFor();
  assert.equal(await ben.page.getByRole("link", { name: "Ana's secret stew" }).count(), 0);
  await link.click();
  await ben.page.getByRole("heading", { level: 1, name: "Leek soup" }).waitFor();
  await ben.page.getByText("Shared with you by ana · read-only: ask them to change it").waitFor();
  assert.equal(await ben.page.getByRole("link", { name: "Edit", exact: true }).count(), 0);
  assert.equal(await ben.page.getByRole("button", { name: "Delete", exact: true }).count(), 0);
  assert.equal(await ben.page.getByRole("button", { name: "Share", exact: true }).count(), 0);
  await assertAccessible(ben.page, "a recipe shared read-only");
  // The same on a phone: marked in the list, the banner, no Edit; axe-clean.
  const phone = await suite.device({ phone: true });
  await signIn(phone.page, "ben", PASSWORD);
  await phone.page.getByRole("button", { name: "Shared with me" }).click();
  const onPhone = phone.page.getByRole("link", { name: "Leek soup", exact: true });
  await onPhone.waitFor({ timeout: 30_000 });
  await phone.page.locator(".result", { has: onPhone }).getByText("Shared by ana").waitFor();
  await assertAccessible(phone.page, "phone: recipes shared with me");
  await onPhone.click();
  await phone.page.getByText("Shared with you by ana · read-only: ask them to change it").waitFor();
  assert.equal(await phone.page.getByRole("link", { name: "Edit", exact: true }).count(), 0);
  await assertAccessible(phone.page, "phone: a recipe shared read-only");
  // The engine refuses an edit too, with the reason.
  const refused = await ben.page.evaluate(async () => {
    const [hit] = await window.larder.client.search("leeks", undefined, undefined, true);
    const d = await window.larder.client.recipeDraft(hit.id);
    return window.larder.client.updateRecipe(hit.id, { ...d, title: "Ben's soup" }).then(
      () => "saved",
      (e) => `${e.code}: ${e.message}`,
    );
  });
  assert.equal(refused, "read_only: ana shares this recipe with you read-only; ask them to change it");

  // Ana revokes; ben's next connection takes the recipe off his browser.
  await dialog.getByRole("button", { name: "Revoke ben" }).click();
  await dialog.getByText("ben no longer has access through that share.").waitFor();
  await dialog.getByText("Only you can see this recipe.").waitFor();
  await ben.page.goto(`${suite.relay.url}/#/`);
  await ben.page.reload();
  await ben.page.evaluate(() => window.larder.ready);
  await until(
    "the revoked recipe to leave ben's browser",
    async () => (await ben.page.evaluate(() => window.larder.client.search("leeks").then((hits) => hits.length))) === 0,
    30_000,
  );

  assertNoConsoleErrors([ana, ben, phone], [/the server responded with a status of 404/]);
});
