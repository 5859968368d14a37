// Importing a whole folder in real Chromium: a Nextcloud Cookbook folder picked with the folder
// picker (every file with its path inside the folder), core reading it like the export zip, the
// photos attached, the progress shown while it runs, and the same folder again adding nothing.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { assertAccessible, assertNoConsoleErrors, makePng, relayAndBrowser, signIn } from "./ui-helpers.mjs";

const PASSWORD = "open sesame pantry";
const USERS = ["uma"];
const suite = relayAndBrowser("import", USERS, PASSWORD);
const folders = mkdtempSync(join(tmpdir(), "larder-cookbook-"));
after(() => rmSync(folders, { recursive: true, force: true }));

/** A Nextcloud Cookbook folder of `count` recipes, each with its photo. */
function cookbook(count) {
  const root = join(folders, "Cookbook");
  for (let i = 1; i <= count; i++) {
    const name = `Preserve ${String(i).padStart(2, "0")}`;
    mkdirSync(join(root, name), { recursive: true });
    writeFileSync(
      join(root, name, "recipe.json"),
      JSON.stringify({
        "@context": "http://schema.org",
        "@type": "Recipe",
        id: String(i),
        name,
        recipeIngredient: ["500 g fruit", "250 g sugar"],
        recipeInstructions: ["Cook", "Jar"],
      }),
    );
    writeFileSync(join(root, name, "full.jpg"), makePng(8, 8));
  }
  return root;
}

test("a Nextcloud Cookbook folder imports from the folder picker with its photos and progress; again adds nothing", async () => {
  const d = await suite.device();
  const { page } = d;
  await signIn(page, "uma", PASSWORD);
  await page.getByRole("navigation").getByRole("link", { name: "More" }).click();
  await page.getByRole("link", { name: "Import recipes from a web page or a file" }).click();
  // What core says while it runs, and whether the screen showed it.
  await page.evaluate(() => {
    window.progressSeen = { events: [], shown: false };
    window.larder.client.onChange((e) => e.kind === "import_progress" && window.progressSeen.events.push(e));
    new MutationObserver(() => {
      if (document.querySelector(".import-progress progress")) window.progressSeen.shown = true;
    }).observe(document.body, { subtree: true, childList: true });
  });
  const root = cookbook(60);
  await page.getByLabel("Or a folder (a Nextcloud Cookbook folder)").setInputFiles(root);
  await page.getByRole("heading", { name: "Imported 60 recipes from Cookbook" }).waitFor({ timeout: 60_000 });
  const seen = await page.evaluate(() => window.progressSeen);
  const photos = seen.events.filter((e) => e.stage === "photos").map((e) => e.done);
  assert.equal(photos[0], 0, JSON.stringify(seen.events));
  assert.equal(photos.at(-1), 60, JSON.stringify(seen.events));
  assert.ok(photos.every((n, i) => i === 0 || n > photos[i - 1]), `forward only: ${photos}`);
  assert.ok(seen.shown, "the progress bar was on screen while it ran");
  await assertAccessible(page, "import report after a folder");

  // One of them, with its photo.
  const withPhotos = await page.evaluate(async () => {
    const found = await window.larder.client.search("Preserve", 100);
    const recipes = await Promise.all(found.map((r) => window.larder.client.getRecipe(r.id)));
    return recipes.filter((r) => r.attachments.length === 1 && r.attachments[0].file_name === "full.jpg").length;
  });
  assert.equal(withPhotos, 60);

  await page.getByLabel("Or a folder (a Nextcloud Cookbook folder)").setInputFiles(root);
  await page.getByRole("heading", { name: "Imported 0 recipes from Cookbook" }).waitFor({ timeout: 60_000 });
  await page.getByText("60 recipes were already here from an earlier import.").waitFor();
  assert.equal(await page.evaluate(() => window.larder.client.search("Preserve", 500).then((r) => r.length)), 60);
  assertNoConsoleErrors([d]);
});
