// End to end, the real desktop app: the debug `larder-desktop` binary under WebDriver, a real
// relay and the `larder` CLI on 127.0.0.1. Sign in, create a recipe with ingredients and an
// image attached through the editor's file field, find it by an ingredient, see it on a CLI
// profile of the same user, put its ingredients on the grocery list the CLI shares; plan a meal;
// export every recipe (the zip downloaded to the Downloads folder); import a recipe page by its
// address (fetched by the relay from a loopback page server); later, a rename made on the CLI
// shows in the app's History beside the app's own version, which is restored and reaches the
// CLI; a second
// launch hands over to the running app (single instance); the window size is restored; quit,
// restart with the relay stopped: the app opens straight to search with the recipe there; edit
// offline, start the relay: the CLI profile gets the edit; a recipe added on the CLI shows up
// in the open app's results by itself.
// Run by desktop/test.sh under xvfb-run and a D-Bus session (single instance uses D-Bus).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { By } from "selenium-webdriver";
import {
  APP,
  RESULTS,
  ROOT,
  addUser,
  appEnv,
  appPids,
  byLabel,
  byName,
  fill,
  freePort,
  heading,
  larder,
  launchApp,
  makePng,
  quitApp,
  step,
  screenshot,
  startDriver,
  startRelay,
  syncText,
  until,
} from "./harness.mjs";

const PASSWORD = "desktop e2e password";
const TITLE = "Harissa roast carrots";
const EDITED = "Harissa roast carrots with feta";

let tmp;
let relay;
let relayPort;
let relayData;
let driver;
let env;
let session;
let downloads;
let pages;

/** A recipe page with JSON-LD and its image, on 127.0.0.1. */
async function startPageServer() {
  const png = makePng(4, 4);
  const html = `<!doctype html><html><head><script type="application/ld+json">${JSON.stringify({
    "@context": "https://schema.org",
    "@type": "Recipe",
    name: "Fetched dal",
    image: "/dal.png",
    recipeIngredient: ["200 g red lentils", "1 onion"],
    recipeInstructions: ["Rinse", "Simmer 20 minutes"],
  })}</script></head><body><h1>Dal</h1></body></html>`;
  const server = createServer((req, res) => {
    if (req.url === "/dal") res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
    else if (req.url === "/dal.png") res.writeHead(200, { "content-type": "image/png" }).end(png);
    else res.writeHead(404).end();
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), "larder-desktop-e2e-"));
  relayData = join(tmp, "relay");
  addUser(relayData, "mira", PASSWORD);
  // The relay may fetch recipe pages from this test's loopback page server.
  writeFileSync(join(relayData, "larder-server.toml"), '[import_url]\nallow_private_networks = ["127.0.0.1/32"]\n');
  pages = await startPageServer();
  relayPort = await freePort();
  relay = await startRelay(relayData, relayPort);
  env = appEnv(join(tmp, "app"));
  // Downloads (More → Export all recipes) land in the test's own Downloads folder.
  env.HOME = join(tmp, "app", "home");
  downloads = join(env.HOME, "Downloads");
  mkdirSync(downloads, { recursive: true });
  writeFileSync(join(env.XDG_CONFIG_HOME, "user-dirs.dirs"), `XDG_DOWNLOAD_DIR="${downloads}"\n`);
  driver = await startDriver(env);
});

after(async () => {
  if (session) await quitApp(session).catch(() => {});
  // The app's own log (its stderr reaches tauri-driver's) and the relay's, for a failed run.
  mkdirSync(RESULTS, { recursive: true });
  if (driver) writeFileSync(join(RESULTS, "app-and-driver.log"), driver.log());
  if (relay) writeFileSync(join(RESULTS, "relay.log"), relay.log());
  await driver?.stop();
  await relay?.stop();
  pages?.close();
  if (tmp && !process.env.LARDER_KEEP_TMP) rmSync(tmp, { recursive: true, force: true, maxRetries: 5 });
});

/** Syncs the CLI profile until `larder show ID --json` satisfies `check`. */
async function cliSees(profile, id, what, check, ms = 90_000) {
  return until(
    `the CLI profile to see ${what}`,
    async () => {
      await larder(profile, ["sync", "--once"]).catch(() => null);
      const out = await larder(profile, ["show", id, "--json"]).catch(() => null);
      return out && check(JSON.parse(out)) && JSON.parse(out);
    },
    ms,
  );
}

test("the desktop app: sign in, create, search, sync to the CLI, single instance, offline restart and edit", { timeout: 300_000 }, async () => {
  step("first launch");
  // --- first launch: no session, so the sign-in form -------------------------------------
  session = await launchApp(driver);
  await byLabel(session, "Username", 60_000);
  assert.equal(await session.getTitle(), "Larder");
  await fill(session, "Server", relay.url);
  await fill(session, "Username", "mira");
  await fill(session, "Password", "not the password");
  await (await byName(session, "Sign in")).click();
  const refusal = await until("the refusal", async () => {
    const alerts = await session.findElements(By.css("[role=alert]"));
    return alerts[0] && (await alerts[0].getText());
  });
  assert.match(refusal, /user name or password/i);
  await fill(session, "Password", PASSWORD);
  await (await byName(session, "Sign in")).click();
  await byLabel(session, "Search recipes");
  await screenshot(session, "desktop-search-empty.png");

  step("creating a recipe");
  // --- a recipe with two ingredients and an image, attached through the file field ------------
  await (await byName(session, "New recipe", { scope: "nav" })).click();
  await heading(session, "New recipe");
  await fill(session, "Title", TITLE);
  await fill(session, "Quantity, ingredient 1", "500");
  await fill(session, "Unit, ingredient 1", "g");
  await fill(session, "Ingredient 1", "carrots");
  await fill(session, "Quantity, ingredient 2", "2");
  await fill(session, "Unit, ingredient 2", "tbsp");
  await fill(session, "Ingredient 2", "rose harissa");
  const image = join(tmp, "carrots.png");
  writeFileSync(image, makePng(120, 80));
  await (await byLabel(session, "Attach files")).sendKeys(image);
  await until("the picked file to be listed", async () =>
    (await session.executeScript(() => document.body.innerText)).includes("carrots.png"),
  );
  await (await byName(session, "Save")).click();
  await heading(session, TITLE);
  const id = await until("the recipe id in the URL", async () =>
    /#\/recipe\/([^/?]+)/.exec(await session.getCurrentUrl())?.[1],
  );
  await until("the image to show", async () =>
    session.executeScript(() =>
      [...document.querySelectorAll("img")].some((i) => i.alt === "carrots.png" && i.complete && i.naturalWidth > 0),
    ),
  );

  step("searching");
  // --- found by an ingredient ----------------------------------------------------------------
  await fill(session, "Search recipes", "harissa");
  await byName(session, TITLE, { scope: ".results" });
  await until("sync to be up to date", async () => (await syncText(session)) === "Up to date", 60_000, () =>
    syncText(session),
  );
  const png = await screenshot(session, "desktop.png");
  if (process.env.LARDER_DOCS_SCREENSHOT) {
    mkdirSync(join(ROOT, "docs/screenshots"), { recursive: true });
    writeFileSync(join(ROOT, "docs/screenshots/desktop.png"), png);
  }

  step("CLI profile");
  // --- the same user's CLI profile gets it, image included ------------------------------------
  const cli = join(tmp, "cli");
  await larder(cli, ["login", "--server", relay.url, "--user", "mira"], { LARDER_PASSWORD: PASSWORD });
  const onCli = await cliSees(cli, id, "the recipe", (r) => r.title === TITLE);
  assert.deepEqual(
    onCli.ingredients.map((i) => i.name),
    ["carrots", "rose harissa"],
  );
  assert.deepEqual(onCli.attachments.map((a) => a.file_name), ["carrots.png"]);
  assert.match(await larder(cli, ["search", "carrots"]), new RegExp(TITLE));

  step("grocery list");
  // --- its ingredients on the grocery list, which the CLI profile shares ----------------------
  await (await byName(session, "Add to grocery list")).click();
  await (await byName(session, "Grocery list", { scope: "nav" })).click();
  await heading(session, "Grocery list");
  await byLabel(session, "500 g carrots");
  await byLabel(session, "2 tbsp rose harissa");
  await until("the grocery items on the CLI profile", async () => {
    await larder(cli, ["sync", "--once"]).catch(() => null);
    const items = JSON.parse(await larder(cli, ["grocery", "list", "--json"]));
    return ["carrots", "rose harissa"].every((name) => items.some((i) => i.name === name));
  }, 60_000);
  await (await byName(session, "Search", { scope: "nav" })).click();
  await byLabel(session, "Search recipes");

  step("meal plan");
  // --- the week's plan: a meal in words on Monday's dinner ----------------------------------------
  await (await byName(session, "Plan", { scope: "nav" })).click();
  await heading(session, "Meal plan");
  const addDinner = await until("Monday's dinner slot", async () => {
    const buttons = await session.findElements(By.css("ol.week > li.day:first-child button[aria-label^='Add to Dinner']"));
    return buttons[0];
  });
  await addDinner.click();
  await fill(session, "Recipe or meal", "Leftovers");
  await (await byName(session, "Add “Leftovers”")).click();
  await until("the meal on Monday", async () =>
    session.executeScript(() => document.querySelector("ol.week > li.day")?.innerText.includes("Leftovers")),
  );

  step("export all");
  // --- More → Export all recipes: the zip is downloaded where downloads go ----------------------
  await (await byName(session, "More", { scope: "nav" })).click();
  await (await byName(session, "Export all recipes")).click();
  await until("the export's confirmation", async () =>
    /Saved larder-export-.*\.zip: 1 recipe\(s\) and 1 attachment\(s\)/.test(await session.executeScript(() => document.body.innerText)),
  );
  const zip = await until("the downloaded zip", () => {
    const name = readdirSync(downloads).find((f) => /^larder-export-.*\.zip$/.test(f));
    return name && join(downloads, name);
  }, 30_000, () => JSON.stringify(readdirSync(downloads)));
  const bytes = await until("the download to finish", () => {
    const b = readFileSync(zip);
    // The end-of-central-directory record closes a complete zip.
    return b.length > 22 && b.includes(Buffer.from("PK\x05\x06", "latin1")) && b;
  });
  assert.ok(bytes.includes(Buffer.from("larder-export.json")), "Larder's manifest in the zip");
  // A fresh CLI profile imports the download: the recipe with its image.
  const fresh = join(tmp, "fresh");
  const imported = (await larder(fresh, ["import", zip])).trim().split("\n");
  assert.equal(imported.length, 1, `one recipe imported: ${imported}`);
  const back = JSON.parse(await larder(fresh, ["show", imported[0], "--json"]));
  assert.equal(back.title, TITLE);
  assert.deepEqual(back.attachments.map((a) => a.file_name), ["carrots.png"]);

  step("import by address");
  // --- More → Import: the relay fetches the page, the recipe and its image land in the app ------
  await (await byName(session, "More", { scope: "nav" })).click();
  await (await byName(session, "Import recipes from a web page or a file")).click();
  await fill(session, "Recipe page address", `${pages.url}/dal`);
  await (await byName(session, "Import from address")).click();
  await (await byName(session, "Fetched dal", { ms: 30_000 })).click();
  await heading(session, "Fetched dal");
  await until("the page's image attached", async () =>
    session.executeScript(() => [...document.querySelectorAll("img")].some((i) => i.alt === "dal.png" && i.complete && i.naturalWidth > 0)),
  );
  await (await byName(session, "Search", { scope: "nav" })).click();
  await byLabel(session, "Search recipes");

  step("second launch");
  // --- single instance: a second launch hands over to the running app and exits ---------------
  const running = appPids();
  assert.equal(running.length, 1, `one app running: ${running}`);
  const second = spawn(APP, [], { env, stdio: "ignore" });
  const code = await new Promise((ok) => second.once("exit", ok));
  assert.equal(code, 0, "the second instance exits cleanly");
  assert.deepEqual(appPids(), running, "the first instance is still the only one");
  assert.equal(await session.getTitle(), "Larder", "and it still answers");

  step("window size");
  // --- the window's size is remembered across restarts -----------------------------------------
  await session.manage().window().setRect({ width: 980, height: 700 });
  const size = await until("the window to take its new size", async () => {
    const rect = await session.manage().window().getRect();
    return rect.width === 980 && rect.height === 700 && rect;
  });
  // The app saves it once the window has settled (and on a clean exit).
  const stateFile = join(env.XDG_CONFIG_HOME, "org.larder.desktop", ".window-state.json");
  await until("the window size to be saved", () => {
    const saved = JSON.parse(readFileSync(stateFile, "utf8")).main;
    return saved.width === 980 && saved.height === 700;
  });

  step("restart offline");
  // --- quit; restart with the relay stopped: straight to search, the recipe is there ----------
  await quitApp(session);
  session = undefined;
  await relay.stop();
  session = await launchApp(driver);
  await byLabel(session, "Search recipes", 60_000);
  const restored = await session.manage().window().getRect();
  assert.deepEqual([restored.width, restored.height], [size.width, size.height], "window size remembered");
  assert.equal(
    (await session.findElements(By.xpath("//label[normalize-space(.)='Username']"))).length,
    0,
    "no sign-in form with a saved session",
  );
  await fill(session, "Search recipes", "carrots");
  await (await byName(session, TITLE, { scope: ".results" })).click();
  await heading(session, TITLE);
  // Loading documents after a restart may make samod re-save them; that is no change waiting.
  await until("no change waiting after the restart", async () => /^(Offline|Connecting…)$/.test(await syncText(session)), 30_000, () =>
    syncText(session),
  );

  step("offline edit");
  // --- edit offline ----------------------------------------------------------------------------
  await (await byName(session, "Edit")).click();
  await heading(session, `Edit “${TITLE}”`);
  await fill(session, "Title", EDITED);
  await (await byName(session, "Save")).click();
  await heading(session, EDITED);
  // Exactly the edit waits: documents samod re-saved as the restarted app loaded them hold
  // nothing the relay lacks (their heads are the relay's), so they are not counted.
  await until("the edit to wait for the relay", async () => /\b1 change waiting/.test(await syncText(session)), 30_000, () =>
    syncText(session),
  );
  await screenshot(session, "desktop-offline-edit.png");

  step("relay back");
  // --- the relay comes back: the app syncs on its own and the CLI profile gets the edit ---------
  relay = await startRelay(relayData, relayPort);
  await until("the app to sync the edit", async () => (await syncText(session)) === "Up to date", 120_000, () =>
    syncText(session),
  );
  await cliSees(cli, id, "the offline edit", (r) => r.title === EDITED);
  await screenshot(session, "desktop-synced.png");

  step("history and restore");
  // --- the CLI renames it; the app's History shows both devices' versions; restoring the app's
  // own version is a new change the CLI profile then gets ---------------------------------------
  await larder(cli, ["edit", id, "--title", "Carrots, renamed on the CLI"]);
  await larder(cli, ["sync", "--once"]);
  await heading(session, "Carrots, renamed on the CLI", 60_000);
  await (await byName(session, "History")).click();
  await heading(session, "History of “Carrots, renamed on the CLI”");
  const rows = await until("two versions listed", async () => {
    const texts = await session.executeScript(() => [...document.querySelectorAll("ol.versions > li")].map((li) => li.innerText));
    return texts.length >= 2 && texts;
  });
  assert.match(rows[0], /Another device/, rows.join(" | "));
  assert.match(rows[1], /This device/, rows.join(" | "));
  await session.executeScript(() => document.querySelectorAll("ol.versions > li")[1].querySelector("a").click());
  await heading(session, EDITED);
  await (await byName(session, "Restore this version")).click();
  await heading(session, EDITED);
  await cliSees(cli, id, "the restored title", (r) => r.title === EDITED);

  step("a recipe from the CLI");
  // --- and the other way: a recipe made on the CLI appears in the open app by itself (background
  // sync, then the change event refreshes the results already on screen) -----------------------
  await fill(session, "Search recipes", "posset");
  await until("no match yet", async () =>
    (await session.executeScript(() => document.body.innerText)).includes("No recipes match"),
  );
  await larder(cli, ["add", "--title", "Lemon posset", "--ingredient", "600 ml double cream"]);
  await larder(cli, ["sync", "--once"]);
  await byName(session, "Lemon posset", { scope: ".results", ms: 60_000 });
  await quitApp(session);
  session = undefined;
});
