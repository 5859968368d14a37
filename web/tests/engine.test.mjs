// The engine in the browser: larder-core compiled to wasm in a dedicated worker on OPFS SQLite,
// driven through the typed client from a real Chromium page, and syncing with a native `larder`
// CLI profile of the same user through a real relay.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  addUser,
  larder,
  launchChromium,
  openApp,
  startRelay,
  until,
  userCommand,
} from "./harness.mjs";

const PASSWORD = "correct horse battery";
/** The relay's data dir; its user "alice" is added before it starts (the dir is locked then). */
const data = mkdtempSync(join(tmpdir(), "larder-relay-"));
/** The relay, serving the app at its own origin. */
let relay;
let browser;
const errors = [];

before(async () => {
  addUser(data, "alice", PASSWORD);
  addUser(data, "carol", PASSWORD);
  addUser(data, "dana", PASSWORD);
  addUser(data, "dave", PASSWORD);
  relay = await startRelay(data);
  browser = await launchChromium();
});

const scratch = [data];
const tempDir = (prefix) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};

after(async () => {
  await browser?.close();
  await relay?.stop();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

const search = (page, query) =>
  page.evaluate((q) => window.larder.client.search(q).then((r) => r.map((s) => s.title)), query);

test("create and search through the typed client; the recipe survives a reload (OPFS)", async () => {
  const context = await browser.newContext();
  const page = await openApp(context, relay.url, errors);
  const created = await page.evaluate(() =>
    window.larder.client.createRecipe({
      title: "Buttermilk pancakes",
      description: "Fluffy",
      servings: 4,
      yield_text: "",
      prep_minutes: 10,
      cook_minutes: 15,
      total_minutes: null,
      tags: ["breakfast"],
      source_url: "",
      ingredients: [
        { quantity: 2, quantity_max: null, unit: "cup", name: "flour", note: "" },
        { quantity: 1.5, quantity_max: null, unit: "cup", name: "buttermilk", note: "" },
        { quantity: 2, quantity_max: null, unit: "", name: "eggs", note: "" },
      ],
      steps: ["Whisk", "Fry"],
      notes: "",
    }),
  );
  assert.match(created.id, /^\w+$/);
  assert.equal(created.ingredients.length, 3);
  assert.deepEqual(await search(page, "buttermilk"), ["Buttermilk pancakes"]);
  assert.deepEqual(await search(page, "saffron"), []);

  // A typed error crosses the worker boundary with its code and message.
  const invalid = await page.evaluate(() =>
    window.larder.client
      .createRecipe({ title: " ", description: "", servings: null, yield_text: "", prep_minutes: null,
        cook_minutes: null, total_minutes: null, tags: [], source_url: "", ingredients: [], steps: [], notes: "" })
      .then(() => null, (e) => ({ name: e.name, code: e.code, message: e.message })),
  );
  assert.deepEqual(invalid, {
    name: "LarderError",
    code: "invalid",
    message: "invalid input: the title is empty",
  });

  // Files: attached bytes come back identical; a schema.org JSON-LD file imports.
  const attached = await page.evaluate(async (id) => {
    const png = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 0, 1, 2, 3, 254, 255]);
    const attachment = await window.larder.client.attachFile(
      id,
      new Blob([png], { type: "image/png" }),
      "stack.png",
    );
    const back = await window.larder.client.attachmentBytes(attachment.sha256);
    return { attachment, same: back.length === png.length && back.every((b, i) => b === png[i]) };
  }, created.id);
  assert.equal(attached.same, true);
  assert.equal(attached.attachment.media_type, "image/png");
  assert.equal(attached.attachment.size, 14);
  const imported = await page.evaluate(async () => {
    const jsonLd = JSON.stringify({
      "@context": "https://schema.org",
      "@type": "Recipe",
      name: "Imported gazpacho",
      recipeIngredient: ["6 tomatoes", "1 cucumber"],
      recipeInstructions: ["Blend", "Chill"],
    });
    const file = new File([jsonLd], "gazpacho.json", { type: "application/ld+json" });
    return window.larder.client.importFile(file);
  });
  assert.equal(imported.ids.length, 1, JSON.stringify(imported));
  assert.deepEqual(await search(page, "cucumber"), ["Imported gazpacho"]);

  await page.reload();
  await page.evaluate(() => window.larder.ready);
  assert.deepEqual(await search(page, "eggs"), ["Buttermilk pancakes"]);
  assert.equal(
    (await page.evaluate((id) => window.larder.client.getRecipe(id), created.id)).attachments[0]
      .file_name,
    "stack.png",
  );
  const again = await page.evaluate((id) => window.larder.client.getRecipe(id), created.id);
  assert.deepEqual(again.steps, ["Whisk", "Fry"]);
  await context.close();
  assert.deepEqual(errors, []);
});

test("one tab owns the database; another uses it through that tab, then takes over", async () => {
  const context = await browser.newContext();
  const first = await openApp(context, relay.url, errors);
  await first.evaluate(() =>
    window.larder.client.createRecipe({
      title: "Tab soup", description: "", servings: null, yield_text: "", prep_minutes: null,
      cook_minutes: null, total_minutes: null, tags: [], source_url: "", steps: [], notes: "",
      ingredients: [{ quantity: null, quantity_max: null, unit: "", name: "turnips", note: "" }],
    }),
  );
  await first.evaluate(() => {
    window.events = [];
    window.larder.client.onChange((event) => window.events.push(event));
  });
  const second = await openApp(context, relay.url, errors);
  assert.equal(await second.evaluate(() => window.larder.ownsDatabase), false);
  // The UI says so (its notice; the sync status is another role=status).
  await second.getByText(/open in another tab/).waitFor();
  // The second tab reads and writes through the first one's engine, and hears its events.
  assert.deepEqual(await search(second, "turnips"), ["Tab soup"]);
  await second.evaluate(() => {
    window.events = [];
    window.larder.client.onChange((event) => window.events.push(event));
  });
  const salad = await second.evaluate(() =>
    window.larder.client.createRecipe({
      title: "Second tab salad", description: "", servings: null, yield_text: "",
      prep_minutes: null, cook_minutes: null, total_minutes: null, tags: [], source_url: "",
      steps: [], notes: "",
      ingredients: [{ quantity: null, quantity_max: null, unit: "", name: "radishes", note: "" }],
    }),
  );
  assert.deepEqual(await search(first, "radishes"), ["Second tab salad"]);
  for (const page of [first, second]) {
    await until("the change event in both tabs", () =>
      page.evaluate((id) => window.events.some((e) => e.id === id), salad.id),
    );
  }
  // The first tab closes: the second starts its own engine on the same database.
  await first.close();
  await until("the second tab to own the database", () =>
    second.evaluate(() => window.larder.transport.ownsDatabase),
  );
  assert.deepEqual(await search(second, "radishes"), ["Second tab salad"]);
  assert.deepEqual(await search(second, "turnips"), ["Tab soup"]);
  await context.close();
  assert.deepEqual(errors, []);
});

test("a browser and a native CLI profile of one user converge through the relay", async () => {
  const cli = tempDir("larder-cli-");
  await larder(cli, ["login", "--server", relay.url, "--user", "alice"], { LARDER_PASSWORD: PASSWORD });
  const leekId = (await larder(cli, ["add", "--title", "Leek soup", "--ingredient", "3 leeks"])).trim();
  await larder(cli, ["sync", "--once"]);

  // The app is served by the relay: the API is same-origin.
  const context = await browser.newContext();
  const page = await openApp(context, relay.url, errors);
  // Change events reach the page, for views to refresh.
  await page.evaluate(() => {
    window.events = [];
    window.larder.client.onChange((event) => window.events.push(event));
  });
  // Signing in through the typed client; a wrong password gets the relay's error.
  const refused = await page.evaluate(() =>
    window.larder.client.signIn(location.origin, "alice", "wrong password").then(
      () => null,
      (e) => ({ code: e.code, message: e.message }),
    ),
  );
  assert.equal(refused?.code, "unauthorized", JSON.stringify(refused));
  assert.match(refused.message, /user name or password/i);
  const session = await page.evaluate(
    (password) => window.larder.client.signIn(location.origin, "alice", password),
    PASSWORD,
  );
  assert.equal(session.user_name, "alice");
  assert.equal(session.server, relay.url);
  const saffron = await page.evaluate(() =>
    window.larder.client.createRecipe({
      title: "Saffron rice", description: "", servings: 2, yield_text: "", prep_minutes: null,
      cook_minutes: null, total_minutes: null, tags: [], source_url: "", steps: [], notes: "",
      ingredients: [{ quantity: 1, quantity_max: null, unit: "pinch", name: "saffron", note: "" }],
    }),
  );

  // The CLI's recipe arrives in the browser (through the change feed and automerge-repo).
  await until("the CLI recipe in the browser", async () =>
    (await search(page, "leeks")).includes("Leek soup"),
  );
  // The browser's recipe arrives in the CLI profile.
  await until(
    "the browser recipe in the CLI",
    async () => {
      await larder(cli, ["sync", "--once"]);
      const hits = JSON.parse(await larder(cli, ["search", "saffron", "--json"]));
      return hits.some((h) => h.title === "Saffron rice");
    },
    30_000,
  );

  const events = await page.evaluate(() => window.events);
  assert.ok(
    events.some((e) => e.kind === "recipe_changed" && e.id === saffron.id),
    "an event for the local write",
  );
  assert.ok(
    events.some((e) => e.kind === "recipe_changed" && e.id === leekId),
    "an event for the recipe synced in",
  );

  // One grocery list for the user: items added on either side show on the other.
  await page.evaluate(() => window.larder.client.addGroceryItem("2 l milk"));
  await larder(cli, ["grocery", "add", "olive oil"]);
  await until(
    "both grocery items in the CLI",
    async () => {
      await larder(cli, ["sync", "--once"]);
      const items = JSON.parse(await larder(cli, ["grocery", "list", "--json"]));
      const names = items.map((i) => i.name).sort();
      return JSON.stringify(names) === JSON.stringify(["milk", "olive oil"]);
    },
    30_000,
  );
  await until("both grocery items in the browser", async () => {
    const items = await page.evaluate(() => window.larder.client.groceryItems());
    return JSON.stringify(items.map((i) => i.name).sort()) === JSON.stringify(["milk", "olive oil"]);
  });

  // Edits of documents both sides already have travel too, both ways.
  await larder(cli, ["edit", leekId, "--add-ingredient", "2 potatoes"]);
  await larder(cli, ["sync", "--once"]);
  await until("the CLI's edit in the browser", async () =>
    (await search(page, "potatoes")).includes("Leek soup"),
  );
  await page.evaluate(
    (id) =>
      window.larder.client
        .getRecipe(id)
        .then((r) => window.larder.client.updateRecipe(id, { ...r, title: "Saffron risotto" })),
    saffron.id,
  );
  await until(
    "the browser's edit in the CLI",
    async () => {
      await larder(cli, ["sync", "--once"]);
      const shown = JSON.parse(await larder(cli, ["show", saffron.id, "--json"]));
      return shown.title === "Saffron risotto";
    },
    30_000,
  );

  // Attachments travel both ways: uploaded by the device that attached them, fetched on
  // demand (and verified) by the other.
  const cliFile = join(cli, "card.txt");
  writeFileSync(cliFile, "Leek soup, as Grandma wrote it");
  const cliAttachment = JSON.parse(await larder(cli, ["attach", leekId, cliFile, "--json"]));
  await larder(cli, ["sync", "--once"]);
  await until("the CLI's attachment in the browser's recipe", async () =>
    (await page.evaluate((id) => window.larder.client.getRecipe(id), leekId)).attachments.length === 1,
  );
  const fetched = await page.evaluate(
    (sha) => window.larder.client.attachmentBytes(sha).then((b) => new TextDecoder().decode(b)),
    cliAttachment.sha256,
  );
  assert.equal(fetched, "Leek soup, as Grandma wrote it");
  const photo = await page.evaluate(
    (id) =>
      window.larder.client.attachFile(
        id,
        new Blob([new Uint8Array([137, 80, 78, 71, 1, 2, 3])], { type: "image/png" }),
        "rice.png",
      ),
    saffron.id,
  );
  await until(
    "the browser's attachment in the CLI profile",
    async () => {
      await larder(cli, ["sync", "--once"]);
      const out = join(cli, "rice.png");
      await larder(cli, ["attachment", "get", saffron.id, "rice.png", "-o", out]);
      return readFileSync(out).equals(Buffer.from([137, 80, 78, 71, 1, 2, 3]));
    },
    30_000,
  );
  const summaries = await page.evaluate(() => window.larder.client.search("saffron"));
  assert.equal(summaries[0].thumbnail?.sha256, photo.sha256, "the image is the thumbnail");

  const status = () => page.evaluate(() => window.larder.client.syncStatus());
  await until("the browser to be up to date", async () => {
    const { state, pending } = await status();
    return state === "up_to_date" && pending === 0;
  });

  // A reload resumes the session and syncing by itself.
  await page.reload();
  await page.evaluate(() => window.larder.ready);
  assert.equal((await page.evaluate(() => window.larder.client.session()))?.user_name, "alice");
  await until("the reloaded page to be up to date", async () => {
    const { state, pending } = await status();
    return state === "up_to_date" && pending === 0;
  });

  // The relay goes away: an edit made meanwhile waits, and is counted.
  await relay.stop();
  await page.evaluate(() =>
    window.larder.client.createRecipe({
      title: "Offline cake", description: "", servings: null, yield_text: "", prep_minutes: null,
      cook_minutes: null, total_minutes: null, tags: [], source_url: "", steps: [], notes: "",
      ingredients: [{ quantity: 3, quantity_max: null, unit: "", name: "plums", note: "" }],
    }),
  );
  await until("the offline state with one change waiting", async () => {
    const { state, pending } = await status();
    return state === "offline" && pending === 1;
  });

  // It comes back: the browser reconnects with a fresh ticket (a used one is refused), pushes
  // what waited and receives what was made elsewhere.
  relay = await startRelay(data, new URL(relay.url).host);
  await larder(cli, ["add", "--title", "Pea soup", "--ingredient", "500 g peas"]);
  await larder(cli, ["sync", "--once"]);
  await until(
    "a CLI recipe made after the restart in the browser",
    async () => (await search(page, "peas")).includes("Pea soup"),
    20_000,
    () => status().then(JSON.stringify),
  );
  await until(
    "the recipe made offline in the CLI",
    async () => {
      await larder(cli, ["sync", "--once"]);
      const hits = JSON.parse(await larder(cli, ["search", "plums", "--json"]));
      return hits.some((h) => h.title === "Offline cake");
    },
    30_000,
  );
  await until("the browser to be up to date again", async () => {
    const { state, pending } = await status();
    return state === "up_to_date" && pending === 0;
  });

  // Signing out stops syncing and forgets the session; the recipes stay on the device.
  await page.evaluate(() => window.larder.client.signOut());
  assert.equal(await page.evaluate(() => window.larder.client.session()), null);
  assert.equal((await status()).state, "signed_out");
  assert.ok((await search(page, "plums")).includes("Offline cake"));
  // The sign-in form will start with the relay and name used before.
  assert.deepEqual(await page.evaluate(() => window.larder.client.lastSignIn()), {
    server: relay.url,
    user_name: "alice",
  });
  // Removing this device's data empties it, for good.
  await page.evaluate(() => window.larder.client.signOut(true));
  assert.equal(await page.evaluate(() => window.larder.client.lastSignIn()), null);
  assert.deepEqual(await search(page, ""), []);
  assert.deepEqual(await page.evaluate(() => window.larder.client.groceryItems()), []);
  await page.reload();
  await page.evaluate(() => window.larder.ready);
  assert.deepEqual(await search(page, ""), []);
  await context.close();
  // Failed attempts while the relay was down are logged by Chromium itself.
  assert.deepEqual(
    errors.filter(
      (e) => !/WebSocket connection to .* failed|ERR_CONNECTION_REFUSED|Failed to fetch/.test(e),
    ),
    [],
  );
});

test("a new browser catching up (in bulk) says syncing until every recipe is there; an adopted recipe then syncs both ways", async () => {
  // Carol's recipes, made on her laptop (the CLI) and on the relay.
  const count = 40;
  const cli = tempDir("larder-cli-");
  await larder(cli, ["login", "--server", relay.url, "--user", "carol"], { LARDER_PASSWORD: PASSWORD });
  const graph = Array.from({ length: count }, (_, i) => ({
    "@type": "Recipe",
    name: `Catch-up broth ${i}`,
    recipeIngredient: ["2 leeks", `${i + 1} carrots`],
    recipeInstructions: "Simmer.",
  }));
  const file = join(cli, "recipes.json");
  writeFileSync(file, JSON.stringify({ "@context": "https://schema.org", "@graph": graph }));
  await larder(cli, ["import", file]);
  await larder(cli, ["sync", "--once"]);

  const context = await browser.newContext();
  const page = await openApp(context, relay.url, errors);
  await page.evaluate(
    (password) => window.larder.client.signIn(location.origin, "carol", password),
    PASSWORD,
  );
  // Status first, then the recipes: once it says up to date, all of them must be here.
  const seen = await until(
    "the browser to be up to date",
    async () => {
      const state = (await page.evaluate(() => window.larder.client.syncStatus())).state;
      const titles = await page.evaluate(() =>
        window.larder.client.search("", 500).then((r) => r.map((s) => s.title)),
      );
      return state === "up_to_date" ? { titles } : null;
    },
    60_000,
  );
  assert.equal(seen.titles.length, count, `up to date with ${seen.titles.length} of ${count}`);

  // They came in bulk (40 of them): an adopted recipe edits and syncs like any other, both ways.
  const [first] = await page.evaluate(() => window.larder.client.search("Catch-up broth 7", 1));
  await page.evaluate(
    (id) =>
      window.larder.client
        .recipeDraft(id)
        .then((draft) => window.larder.client.updateRecipe(id, { ...draft, title: "Broth edited in the browser" })),
    first.id,
  );
  await until(
    "the browser's edit to reach the CLI",
    async () => {
      await larder(cli, ["sync", "--once"]);
      return JSON.parse(await larder(cli, ["show", first.id, "--json"])).title === "Broth edited in the browser" || null;
    },
    30_000,
  );
  await larder(cli, ["edit", first.id, "--servings", "5"]);
  await larder(cli, ["sync", "--once"]);
  await until(
    "the CLI's edit to reach the browser",
    async () => (await page.evaluate((id) => window.larder.client.getRecipe(id), first.id)).servings === 5 || null,
    30_000,
  );
  const merged = await page.evaluate((id) => window.larder.client.getRecipe(id), first.id);
  assert.equal(merged.title, "Broth edited in the browser");
  await context.close();
});

/** Documents the relay has stored through its bulk upload route (its /metrics counter). */
async function bulkUploaded() {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith('larder_bulk_upload_documents_total{result="stored"}'));
  return line ? Number(line.split(" ").pop()) : 0;
}

test("a browser's recipes made before signing in, and a big import while online, reach the relay in bulk", async () => {
  const count = 40;
  const graph = (label) =>
    JSON.stringify({
      "@context": "https://schema.org",
      "@graph": Array.from({ length: count }, (_, i) => ({
        "@type": "Recipe",
        name: `${label} stew ${i}`,
        recipeIngredient: ["1 onion", `${i + 1} beans`],
        recipeInstructions: "Stew.",
      })),
    });
  const importInPage = (page, json) =>
    page.evaluate(
      (text) => window.larder.client.importFile(new File([text], "recipes.json", { type: "application/json" })),
      json,
    );
  const cli = tempDir("larder-cli-");
  await larder(cli, ["login", "--server", relay.url, "--user", "dave"], { LARDER_PASSWORD: PASSWORD });
  const inCli = async (label) => {
    await larder(cli, ["sync", "--once"]);
    const hits = JSON.parse(await larder(cli, ["search", label, "--json", "--limit", "500"]));
    return hits.filter((h) => h.title.startsWith(`${label} stew`)).length;
  };

  // Made on this device before it ever met the relay (nothing synced).
  const context = await browser.newContext();
  const page = await openApp(context, relay.url, errors);
  await importInPage(page, graph("Offline"));
  const before = await bulkUploaded();
  await page.evaluate((password) => window.larder.client.signIn(location.origin, "dave", password), PASSWORD);
  const status = () => page.evaluate(() => window.larder.client.syncStatus());
  await until("the browser to be up to date", async () => {
    const { state, pending } = await status();
    return state === "up_to_date" && pending === 0;
  }, 60_000, () => status().then(JSON.stringify));
  await until("every offline recipe in the CLI", async () => (await inCli("Offline")) === count || null, 30_000);
  const afterSignIn = await bulkUploaded();
  assert.ok(
    afterSignIn - before >= count,
    `the relay stored ${afterSignIn - before} documents through the bulk route, not the ${count} recipes`,
  );

  // A big import while online goes in bulk too, not document by document over the websocket.
  await importInPage(page, graph("Online"));
  await until("every imported recipe in the CLI", async () => (await inCli("Online")) === count || null, 30_000);
  await until("the browser to be up to date again", async () => (await status()).state === "up_to_date" || null);
  const afterImport = await bulkUploaded();
  assert.ok(
    afterImport - afterSignIn >= count,
    `the relay stored ${afterImport - afterSignIn} documents through the bulk route, not the ${count} imported`,
  );
  // A recipe made afterwards on its own still syncs live (too few for bulk).
  await page.evaluate(() =>
    window.larder.client.createRecipe({
      title: "Single stew", description: "", servings: null, yield_text: "", prep_minutes: null,
      cook_minutes: null, total_minutes: null, tags: [], source_url: "", steps: [], notes: "",
      ingredients: [],
    }),
  );
  await until("the single recipe in the CLI", async () => (await inCli("Single")) === 1 || null, 30_000);
  assert.equal(await bulkUploaded(), afterImport, "one recipe goes over the websocket");
  await context.close();
});

test("a session the relay rejects signs the browser out and keeps its recipes", async () => {
  const context = await browser.newContext();
  const page = await openApp(context, relay.url, errors);
  await page.evaluate(
    (password) => window.larder.client.signIn(location.origin, "alice", password),
    PASSWORD,
  );
  await page.evaluate(() =>
    window.larder.client.createRecipe({
      title: "Kept stew", description: "", servings: null, yield_text: "", prep_minutes: null,
      cook_minutes: null, total_minutes: null, tags: [], source_url: "", steps: [], notes: "",
      ingredients: [{ quantity: 1, quantity_max: null, unit: "", name: "celeriac", note: "" }],
    }),
  );
  // The admin disables the user (the relay must be stopped for that): every session is refused.
  await relay.stop();
  userCommand(data, ["disable", "alice"]);
  relay = await startRelay(data, new URL(relay.url).host);
  await until("the browser to be signed out", async () =>
    page.evaluate(() => window.larder.client.syncStatus()).then((s) => s.state === "signed_out"),
  );
  assert.equal(await page.evaluate(() => window.larder.client.session()), null);
  assert.deepEqual(await search(page, "celeriac"), ["Kept stew"]);
  await context.close();
  // Refused tickets and sockets while the session is being rejected are Chromium's own logs.
  assert.deepEqual(
    errors.filter((e) => !/status of 401|WebSocket connection to .* failed/.test(e)),
    [],
  );
});

test("the plan's calendar feed is asked of the relay by the worker; signed out it says to sign in", async () => {
  const context = await browser.newContext();
  const page = await openApp(context, relay.url, errors);
  // Straight through the transport: the typed client's method comes with the plan's UI.
  const ask = (action) =>
    page.evaluate((a) => window.larder.client.transport.call({ op: "plan_calendar", action: a }), action);
  assert.deepEqual(await ask("status"), {
    err: { code: "unauthorized", message: "sign in to a relay to subscribe to your plan in a calendar" },
  });
  await page.evaluate(
    (password) => window.larder.client.signIn(location.origin, "dana", password),
    PASSWORD,
  );
  assert.deepEqual(await ask("status"), {
    ok: { type: "calendar_link", value: { active: false, url: null, created_at: null } },
  });
  const made = await ask("create");
  assert.equal(made.ok?.type, "calendar_link", JSON.stringify(made));
  const { url, created_at } = made.ok.value;
  assert.ok(url.startsWith(`${relay.url}/api/v1/plan/calendar/`) && url.endsWith(".ics"), url);
  // Calendar apps fetch it with no session.
  const feed = await fetch(url);
  assert.equal(feed.status, 200);
  assert.match(feed.headers.get("content-type"), /^text\/calendar/);
  assert.match(await feed.text(), /^BEGIN:VCALENDAR\r\n/);
  assert.deepEqual(await ask("status"), {
    ok: { type: "calendar_link", value: { active: true, url: null, created_at } },
  });
  assert.deepEqual(await ask("revoke"), {
    ok: { type: "calendar_link", value: { active: false, url: null, created_at: null } },
  });
  assert.equal((await fetch(url)).status, 404);
  // The relay logged both fetches, without the token: it is the feed's credential.
  const token = url.slice(url.lastIndexOf("/") + 1, -".ics".length);
  assert.match(relay.log(), /plan\/calendar\/\{token\}\.ics/);
  assert.ok(!relay.log().includes(token), "the feed token is in the relay's log");
  await context.close();
});

test("after a first visit the app opens with the network off and search works", async () => {
  const context = await browser.newContext();
  const page = await openApp(context, relay.url, errors);
  const manifest = await page.evaluate(() =>
    fetch(document.querySelector('link[rel="manifest"]').href).then((r) => r.json()),
  );
  assert.equal(manifest.display, "standalone");
  assert.deepEqual(
    manifest.icons.map((i) => `${i.sizes} ${i.purpose ?? "any"}`),
    ["192x192 any", "512x512 any", "512x512 maskable"],
  );
  await page.evaluate(() => window.larder.offlineReady);
  await page.evaluate(() =>
    window.larder.client.createRecipe({
      title: "Pantry pasta", description: "", servings: null, yield_text: "", prep_minutes: null,
      cook_minutes: null, total_minutes: null, tags: [], source_url: "", steps: [], notes: "",
      ingredients: [{ quantity: null, quantity_max: null, unit: "", name: "capers", note: "" }],
    }),
  );
  await context.setOffline(true);
  await page.reload();
  assert.equal(
    await page.evaluate(() => fetch("/healthz").then(() => "online", () => "offline")),
    "offline",
  );
  await page.evaluate(() => window.larder.ready);
  assert.deepEqual(await search(page, "capers"), ["Pantry pasta"]);
  await context.close();
  // Requests that needed the network (the probe above) fail, as they must.
  assert.deepEqual(
    errors.filter((e) => !/ERR_INTERNET_DISCONNECTED/.test(e)),
    [],
  );
});
