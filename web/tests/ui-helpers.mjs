// Helpers for the UI tests: devices (browser contexts) with console-error collection, signing
// in through the form, an axe-core check, screenshots into web/test-results/, and a real PNG.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { crc32, deflateSync } from "node:zlib";
import { WEB, addUser, launchChromium, openApp, startRelay, until } from "./harness.mjs";

export const RESULTS = join(WEB, "test-results");
mkdirSync(RESULTS, { recursive: true });
const AXE = join(WEB, "node_modules", "axe-core", "axe.min.js");

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

/** A device: its own browser context (own OPFS database), one page, every console error kept. */
export async function newDevice(browser, url, { phone = false } = {}) {
  const context = await browser.newContext(
    phone
      ? { viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
      : { viewport: DESKTOP },
  );
  const errors = [];
  const page = await openApp(context, url, errors);
  return { context, page, errors };
}

/** A test file's relay (its own data directory, `users` made with `password`) and Chromium,
 *  started before its tests and stopped after them, and `device()` for a new device on it. */
export function relayAndBrowser(name, users, password) {
  const data = mkdtempSync(join(tmpdir(), `larder-${name}-relay-`));
  const suite = { relay: null, browser: null, devices: [] };
  before(async () => {
    for (const user of users) addUser(data, user, password);
    suite.relay = await startRelay(data);
    suite.browser = await launchChromium();
  });
  after(async () => {
    for (const d of suite.devices) await d.context.close().catch(() => undefined);
    await suite.browser?.close();
    await suite.relay?.stop();
    rmSync(data, { recursive: true, force: true });
  });
  suite.device = async (options) => {
    const d = await newDevice(suite.browser, suite.relay.url, options);
    suite.devices.push(d);
    return d;
  };
  return suite;
}

/** Fails on console errors and page errors, except those matching `allowed` (Chromium's own
 *  network logs in tests that take the network away or send a wrong password). */
export function assertNoConsoleErrors(devices, allowed = []) {
  const errors = devices.flatMap((d) => d.errors).filter((e) => !allowed.some((re) => re.test(e)));
  assert.deepEqual(errors, [], "console errors");
}

export const NETWORK_DOWN = [
  /ERR_INTERNET_DISCONNECTED/,
  /ERR_CONNECTION_REFUSED/,
  /WebSocket connection to .* failed/,
  /Failed to fetch/,
];

export async function signIn(page, user, password) {
  await page.getByLabel("Username").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("searchbox", { name: "Search recipes" }).waitFor();
}

export const searchBox = (page) => page.getByRole("searchbox", { name: "Search recipes" });

export async function search(page, query) {
  await searchBox(page).fill(query);
}

/** Waits for the recipe link named `title` in the results (syncing may bring it). */
export async function findRecipe(page, query, title, ms = 30_000) {
  await search(page, query);
  const link = page.getByRole("link", { name: title, exact: true });
  await link.waitFor({ timeout: ms });
  return link;
}

export async function openRecipe(page, query, title) {
  await (await findRecipe(page, query, title)).click();
  await page.getByRole("heading", { level: 1, name: title }).waitFor();
}

/** Runs axe-core on the page; fails on any WCAG 2.1 A/AA violation (labels, names, alt text,
 *  ARIA, contrast…), listing rule and elements. */
export async function assertAccessible(page, screen) {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
      rules: { region: { enabled: false } },
    });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  assert.deepEqual(violations, [], `axe violations on the ${screen} screen`);
}

export async function screenshot(page, name) {
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    document.activeElement instanceof HTMLElement && document.activeElement.blur();
  });
  await page.screenshot({ path: join(RESULTS, `${name}.png`) });
}

/** A real PNG of `w`×`h` pixels in stripes of the given colours. */
export function makePng(w, h, colours = [[47, 107, 63], [246, 241, 228], [201, 139, 43]]) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    const [r, g, b] = colours[Math.floor((y / h) * colours.length)];
    for (let x = 0; x < w; x++) raw.set([r, g, b], y * (w * 3 + 1) + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** The sync status line's text, once it matches `re`. */
export async function waitForSyncStatus(page, re, ms = 30_000) {
  return until(`the sync status to match ${re}`, async () => {
    const text = await page.locator(".sync").textContent();
    return re.test(text ?? "") && text;
  }, ms, async () => page.locator(".sync").textContent());
}

/** Bearer tokens the device sent to the relay (from the engine worker's API calls). */
export function captureBearer(context) {
  const tokens = new Set();
  context.on("request", async (request) => {
    const auth = await request.headerValue("authorization").catch(() => null);
    if (auth?.startsWith("Bearer ")) tokens.add(auth.slice(7));
  });
  return tokens;
}

export { until };
