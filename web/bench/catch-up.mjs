// Benchmark: a user's recipes moving between devices through the relay, one run, same relay:
// - the first upload: a device that imported N recipes, `larder sync --once` until the relay has
//   acknowledged all of them (bulk upload, see core/src/sync_plan.rs);
// - a new native device catching up (`larder login` + `sync --once`): bulk fetch, and beside it
//   the same over the websocket only (`--no-bulk`, document by document, as before bulk);
// - a new browser (larder-core in the wasm worker, Chromium with a persistent profile, so OPFS on
//   disk as users have it) until it says "up to date" with every recipe searchable, with the
//   engine worker's peak JS heap meanwhile (CDP `Runtime.getHeapUsage`, sampled);
// - a browser's first upload: N recipes imported before signing in, sign-in until the relay has
//   stored them all (its bulk-upload counter).
// Prints times, per recipe, ratios, and the relay's peak RSS.
//
//   node web/bench/catch-up.mjs [--recipes N] [--native-only]
//       (default 300; needs web/dist and the binaries in LARDER_BIN_DIR, as the tests do)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { BIN_DIR, CHROMIUM, addUser, larder, openApp, startRelay, until } from "../tests/harness.mjs";

const { values } = parseArgs({
  options: { recipes: { type: "string", default: "300" }, "native-only": { type: "boolean", default: false } },
});
const count = Number(values.recipes);
if (!Number.isInteger(count) || count < 1) throw new Error(`--recipes wants a positive integer, not ${values.recipes}`);
const PASSWORD = "catch-up bench pantry";
const scratch = mkdtempSync(join(tmpdir(), "larder-catch-up-"));
const dir = (name) => join(scratch, name);

/** Recipes shaped like real ones: a description, seven ingredients, four steps, tags. */
function recipes(n) {
  return Array.from({ length: n }, (_, i) => ({
    "@type": "Recipe",
    name: `Market soup ${i + 1}`,
    description: "A warming soup for cold evenings, with whatever the market has.",
    recipeYield: "4 servings",
    keywords: i % 2 ? "soup, vegetarian" : "soup",
    recipeIngredient: ["2 leeks", `${(i % 5) + 1} carrots`, "1 onion", "2 cloves garlic", "1 l stock", "1 tsp salt", "pepper"],
    recipeInstructions: ["Chop everything.", "Sweat the leeks and onion.", "Add stock and carrots.", "Simmer 30 minutes."],
  }));
}

/** The relay's count of documents stored through its bulk upload route. */
async function bulkStored() {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith('larder_bulk_upload_documents_total{result="stored"}'));
  return line ? Number(line.split(" ").pop()) : 0;
}

/** Users, added before the relay starts (its data dir is locked while it runs). */
const USERS = ["bench", "bench-upload"];

/** Samples the engine worker's JS heap (CDP `Runtime.getHeapUsage` on the worker target,
 *  reached through the page's CDP session) every 100 ms until `stop`, which answers the peaks in
 *  MiB: `used` (the JS heap) and `backing` (array buffer backing stores, where the wasm
 *  engine's linear memory lives). */
async function sampleWorkerHeap(context, page) {
  const cdp = await context.newCDPSession(page);
  let worker;
  const pending = new Map();
  let nextId = 1;
  cdp.on("Target.attachedToTarget", ({ sessionId, targetInfo }) => {
    if (targetInfo.type === "worker") worker ??= sessionId;
  });
  cdp.on("Target.receivedMessageFromTarget", ({ sessionId, message }) => {
    if (sessionId !== worker) return;
    const reply = JSON.parse(message);
    pending.get(reply.id)?.(reply.result);
    pending.delete(reply.id);
  });
  await cdp.send("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  await until("the engine worker's CDP target", () => worker);
  const usage = () =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      void cdp.send("Target.sendMessageToTarget", {
        sessionId: worker,
        message: JSON.stringify({ id, method: "Runtime.getHeapUsage" }),
      });
    });
  let peak = 0;
  let backing = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const result = await usage();
      peak = Math.max(peak, result?.usedSize ?? 0);
      backing = Math.max(backing, result?.backingStorageSize ?? 0);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await cdp.detach().catch(() => undefined);
      return { used: peak / 2 ** 20, backing: backing / 2 ** 20 };
    },
  };
}

const seconds = (t0) => (performance.now() - t0) / 1000;

for (const name of USERS) addUser(dir("relay"), name, PASSWORD);
const relay = await startRelay(dir("relay"));
let context;
try {
  // The user's recipes, made on a first device and sent to the relay.
  await larder(dir("first"), ["login", "--server", relay.url, "--user", "bench"], { LARDER_PASSWORD: PASSWORD });
  writeFileSync(dir("recipes.json"), JSON.stringify({ "@context": "https://schema.org", "@graph": recipes(count) }));
  await larder(dir("first"), ["import", dir("recipes.json")]);
  /** The relay's peak RSS so far, in MiB. */
  const relayPeak = () =>
    Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${relay.pid}/status`, "utf8"))?.[1]) / 1024;
  const peaks = [];
  let t0 = performance.now();
  await larder(dir("first"), ["sync", "--once"]);
  const upload = seconds(t0);
  peaks.push(["the upload", relayPeak()]);

  // A new native device: signing in, then one `sync --once` until it is in sync. Every device
  // is timed from its sign-in (one password check on the relay each).
  const nativeDevice = async (name, args) => {
    const started = performance.now();
    await larder(dir(name), ["login", "--server", relay.url, "--user", "bench"], { LARDER_PASSWORD: PASSWORD });
    await larder(dir(name), ["sync", "--once", ...args]);
    const took = seconds(started);
    const has = JSON.parse(await larder(dir(name), ["search", "--json", "--limit", String(count + 10)])).length;
    if (has !== count) throw new Error(`${name} caught up ${has} of ${count}`);
    return took;
  };
  const native = await nativeDevice("native", []);
  peaks.push(["the bulk catch-up", relayPeak()]);
  const nativeLive = await nativeDevice("native-live", ["--no-bulk"]);
  peaks.push(["the websocket catch-up", relayPeak()]);

  const row = (name, s) =>
    `${name.padEnd(52)}${`${s.toFixed(2)} s`.padStart(10)}${`${((s * 1000) / count).toFixed(2)} ms`.padStart(12)}`;
  console.log(`${count} recipes moving through the relay (binaries: ${BIN_DIR})`);
  console.log(`${"".padEnd(52)}${"time".padStart(10)}${"per recipe".padStart(12)}`);
  console.log(row("first upload: sync --once after the import", upload));
  console.log(row("new native device: login + sync --once", native));
  console.log(row("- the same over the websocket only (--no-bulk)", nativeLive));
  console.log(`native, websocket only / bulk: ${(nativeLive / native).toFixed(2)}x`);

  if (!values["native-only"]) {
    // A new browser: signed in, then until it says "up to date" with every recipe there.
    context = await chromium.launchPersistentContext(dir("chromium"), CHROMIUM);
    const errors = [];
    const page = await openApp(context, relay.url, errors);
    const heap = await sampleWorkerHeap(context, page);
    t0 = performance.now();
    await page.evaluate(([pw]) => window.larder.client.signIn(location.origin, "bench", pw), [PASSWORD]);
    const browserHas = await until(
      "the browser to be up to date",
      async () => {
        const { state } = await page.evaluate(() => window.larder.client.syncStatus());
        if (state !== "up_to_date") return null;
        // Pages of 500, the most one search answers.
        return page.evaluate(async () => {
          let total = 0;
          for (;;) {
            const hits = await window.larder.client.search("", 500, total);
            total += hits.length;
            if (hits.length < 500) return total;
          }
        });
      },
      30 * 60_000,
    );
    const browser = seconds(t0);
    const peakHeap = await heap.stop();
    if (browserHas !== count || errors.length > 0) {
      throw new Error(`the browser caught up ${browserHas} of ${count}; errors: ${errors}`);
    }
    await context.close();

    // A browser's first upload: N recipes imported before signing in (a profile used offline),
    // then signed in, until the relay has stored every one of them in bulk.
    context = await chromium.launchPersistentContext(dir("chromium-upload"), CHROMIUM);
    const upPage = await openApp(context, relay.url, errors);
    await upPage.evaluate(
      (text) => window.larder.client.importFile(new File([text], "recipes.json", { type: "application/json" })),
      readFileSync(dir("recipes.json"), "utf8"),
    );
    const storedBefore = await bulkStored();
    t0 = performance.now();
    await upPage.evaluate(([pw]) => window.larder.client.signIn(location.origin, "bench-upload", pw), [PASSWORD]);
    const signedIn = seconds(t0);
    await until(
      "the relay to store the browser's recipes",
      async () => (await bulkStored()) - storedBefore >= count || null,
      30 * 60_000,
    );
    const browserUpload = seconds(t0);
    if (errors.length > 0) throw new Error(`the browser's upload: errors: ${errors}`);

    const version = execFileSync(CHROMIUM.executablePath, ["--version"], { stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .match(/Chromium [\d.]+/)?.[0] ?? "Chromium";
    console.log(row(`new browser: ${version}, persistent profile`, browser));
    console.log(`browser / native: ${(browser / native).toFixed(2)}x`);
    console.log(
      `browser worker peak during the catch-up (sampled every 100 ms): JS heap ${peakHeap.used.toFixed(1)} MiB, ` +
        `array buffers incl. wasm memory ${peakHeap.backing.toFixed(1)} MiB`,
    );
    console.log(row("first upload from a browser: sign-in until all stored", browserUpload));
    console.log(`- of it, the sign-in request: ${signedIn.toFixed(2)} s`);
  }
  peaks.push(["the end", relayPeak()]);
  console.log(`relay peak RSS after ${peaks.map(([when, mib]) => `${when}: ${mib.toFixed(0)} MiB`).join(", ")}`);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB`);
} finally {
  await context?.close();
  await relay.stop();
  rmSync(scratch, { recursive: true, force: true });
}
