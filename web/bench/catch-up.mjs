// Benchmark: a user's recipes moving between devices through the relay, one run, same relay:
// - the first upload: a device that imported N recipes, `larder sync --once` until the relay has
//   acknowledged all of them (bulk upload, see core/src/sync_plan.rs);
// - a new native device catching up (`larder login` + `sync --once`): bulk fetch, and beside it
//   the same over the websocket only (`--no-bulk`, document by document, as before bulk);
// - a new browser (larder-core in the wasm worker, Chromium with a persistent profile, so OPFS on
//   disk as users have it) until it says "up to date" with every recipe searchable.
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

const seconds = (t0) => (performance.now() - t0) / 1000;

addUser(dir("relay"), "bench", PASSWORD);
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
    if (browserHas !== count || errors.length > 0) {
      throw new Error(`the browser caught up ${browserHas} of ${count}; errors: ${errors}`);
    }
    const version = execFileSync(CHROMIUM.executablePath, ["--version"], { stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .match(/Chromium [\d.]+/)?.[0] ?? "Chromium";
    console.log(row(`new browser: ${version}, persistent profile`, browser));
    console.log(`browser / native: ${(browser / native).toFixed(2)}x`);
  }
  peaks.push(["the end", relayPeak()]);
  console.log(`relay peak RSS after ${peaks.map(([when, mib]) => `${when}: ${mib.toFixed(0)} MiB`).join(", ")}`);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB`);
} finally {
  await context?.close();
  await relay.stop();
  rmSync(scratch, { recursive: true, force: true });
}
