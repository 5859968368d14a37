// Benchmark: a new device catching up a user's recipes from the relay. The browser (larder-core
// in the wasm worker, Chromium with a persistent profile, so OPFS on disk as users have it)
// against the native client (`larder sync --once`), same relay, same recipes, one run. Prints
// both times, per recipe, and their ratio.
//
//   node web/bench/catch-up.mjs [--recipes N]     (default 300; needs web/dist and the binaries
//                                                  in LARDER_BIN_DIR, as the tests do)
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { BIN_DIR, CHROMIUM, addUser, larder, openApp, startRelay, until } from "../tests/harness.mjs";

const { values } = parseArgs({ options: { recipes: { type: "string", default: "300" } } });
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
  // The user's recipes, made on a first device and on the relay.
  await larder(dir("first"), ["login", "--server", relay.url, "--user", "bench"], { LARDER_PASSWORD: PASSWORD });
  writeFileSync(dir("recipes.json"), JSON.stringify({ "@context": "https://schema.org", "@graph": recipes(count) }));
  await larder(dir("first"), ["import", dir("recipes.json")]);
  await larder(dir("first"), ["sync", "--once"]);

  // A new native device: signing in, then one `sync --once` until it is in sync. Both devices
  // are timed from their sign-in (one password check on the relay each).
  let t0 = performance.now();
  await larder(dir("native"), ["login", "--server", relay.url, "--user", "bench"], { LARDER_PASSWORD: PASSWORD });
  await larder(dir("native"), ["sync", "--once"]);
  const native = seconds(t0);
  const nativeHas = JSON.parse(await larder(dir("native"), ["search", "--json", "--limit", String(count + 10)])).length;

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
      return page.evaluate((n) => window.larder.client.search("", n).then((r) => r.length), count + 10);
    },
    30 * 60_000,
  );
  const browser = seconds(t0);
  if (nativeHas !== count || browserHas !== count || errors.length > 0) {
    throw new Error(`caught up ${nativeHas} (native) and ${browserHas} (browser) of ${count}; errors: ${errors}`);
  }

  const version = execFileSync(CHROMIUM.executablePath, ["--version"], { stdio: ["ignore", "pipe", "ignore"] })
    .toString()
    .match(/Chromium [\d.]+/)?.[0] ?? "Chromium";
  const row = (name, s) => `${name.padEnd(48)}${`${s.toFixed(2)} s`.padStart(10)}${`${((s * 1000) / count).toFixed(1)} ms`.padStart(12)}`;
  console.log(`A new device catching up ${count} recipes (binaries: ${BIN_DIR})`);
  console.log(`${"".padEnd(48)}${"time".padStart(10)}${"per recipe".padStart(12)}`);
  console.log(row("native: larder login + sync --once", native));
  console.log(row(`browser: ${version}, persistent profile`, browser));
  console.log(`browser / native: ${(browser / native).toFixed(2)}×`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB`);
} finally {
  await context?.close();
  await relay.stop();
  rmSync(scratch, { recursive: true, force: true });
}
