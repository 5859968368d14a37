// The desktop end-to-end harness: a real relay (`larder-server`) on 127.0.0.1, the `larder` CLI,
// and the debug `larder-desktop` binary driven over WebDriver (tauri-driver in front of
// WebKitGTK's WebKitWebDriver). The app's profile, config and caches live in a temp dir
// (LARDER_DESKTOP_DATA, XDG_*). Every wait polls a condition with a deadline.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { Builder, By } from "selenium-webdriver";
import { until } from "../../../web/tests/poll.mjs";

export { until };

export const DESKTOP = resolve(import.meta.dirname, "../..");
export const ROOT = resolve(DESKTOP, "..");
export const RESULTS = join(DESKTOP, "test-results");
const BIN_DIR =
  process.env.LARDER_BIN_DIR ??
  join(process.env.CARGO_TARGET_DIR ?? join(ROOT, "target"), "debug");
export const APP = join(BIN_DIR, "larder-desktop");
// desktop/test.sh installs it and sets TAURI_DRIVER.
const TAURI_DRIVER = process.env.TAURI_DRIVER ?? "tauri-driver";

/** Sends SIGTERM to a child process; resolves once it has exited (at once if it already had). */
function stopChild(child) {
  return new Promise((ok) => {
    if (child.exitCode !== null) return ok();
    child.once("exit", ok);
    child.kill("SIGTERM");
  });
}

export function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

function run(bin, args, options = {}) {
  const out = spawnSync(join(BIN_DIR, bin), args, { encoding: "utf8", ...options });
  if (out.status !== 0) throw new Error(`${bin} ${args.join(" ")} failed: ${out.stderr}`);
  return out.stdout;
}

/** Adds a user to a relay's data dir (no relay may run on it). */
export function addUser(data, name, password) {
  run("larder-server", ["--data", data, "user", "add", name], { input: `${password}\n${password}\n` });
}

/** A relay over `data`, listening on 127.0.0.1:`port`. */
export async function startRelay(data, port) {
  const child = spawn(join(BIN_DIR, "larder-server"), ["--data", data, "serve", "--bind", `127.0.0.1:${port}`], {
    env: { ...process.env, NO_COLOR: "1", LARDER_LOG: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  await until("the relay to listen", () => /listening addr=/.test(log), 20_000, async () => log);
  return {
    url: `http://127.0.0.1:${port}`,
    log: () => log,
    stop: () => stopChild(child),
  };
}

/** Runs the `larder` CLI on a profile directory; resolves with stdout or rejects. */
export function larder(profile, args, env = {}) {
  return new Promise((ok, fail) => {
    const childEnv = { ...process.env, ...env };
    delete childEnv.LARDER_DATA;
    const child = spawn(join(BIN_DIR, "larder"), ["--data", profile, ...args], { env: childEnv });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => (code === 0 ? ok(out) : fail(new Error(`larder ${args.join(" ")}: ${err}`))));
  });
}

/** The environment the app runs in: its profile and every XDG directory inside `dir`. */
export function appEnv(dir) {
  const env = { ...process.env };
  for (const [name, sub] of [
    ["LARDER_DESKTOP_DATA", "profile"],
    ["XDG_CONFIG_HOME", "config"],
    ["XDG_DATA_HOME", "data"],
    ["XDG_CACHE_HOME", "cache"],
  ]) {
    env[name] = join(dir, sub);
    mkdirSync(env[name], { recursive: true });
  }
  env.LARDER_LOG = env.LARDER_LOG ?? "info";
  return env;
}

/** tauri-driver on a free port (WebKitWebDriver behind it on another); the apps it starts
 *  inherit `env`. */
export async function startDriver(env) {
  const [port, nativePort] = [await freePort(), await freePort()];
  const child = spawn(TAURI_DRIVER, ["--port", String(port), "--native-port", String(nativePort)], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  await until("tauri-driver to answer", async () => (await fetch(`${url}/status`)).ok, 20_000, async () => log);
  return {
    url,
    log: () => log,
    stop: () => stopChild(child),
  };
}

/** Rejects with `what` if `promise` has not settled within `ms`. */
export function within(what, promise, ms) {
  let timer;
  const timeout = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Starts the desktop app through the driver; resolves with a WebDriver session. */
export async function launchApp(driver) {
  const session = new Builder()
    .usingServer(driver.url)
    .withCapabilities({ browserName: "wry", "tauri:options": { application: APP } })
    .build();
  await within("starting the app through tauri-driver", session.getSession(), 60_000);
  // Every WebDriver command gets a deadline too (selenium's default is to wait forever).
  await session.manage().setTimeouts({ script: 20_000, pageLoad: 60_000 });
  return session;
}

/** Logs a step (shown with the test's output, so a failure says how far it got). */
export function step(text) {
  console.log(`# ${new Date().toISOString()} ${text}`);
}

/** Pids of running `larder-desktop` processes (this binary). */
export function appPids() {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/exe`) === APP) pids.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return pids;
}

/** The names on the session bus that the app's single-instance plugin holds
 *  (`org.larder.desktop.SingleInstance…`). */
export function singleInstanceNames() {
  const out = spawnSync("dbus-send", [
    "--session",
    "--dest=org.freedesktop.DBus",
    "--type=method_call",
    "--print-reply",
    "/org/freedesktop/DBus",
    "org.freedesktop.DBus.ListNames",
  ]);
  if (out.status !== 0) throw new Error(`dbus-send ListNames failed: ${out.stderr}`);
  return [...out.stdout.toString().matchAll(/string "([^"]+)"/g)]
    .map((m) => m[1])
    .filter((name) => name.startsWith("org.larder.desktop.SingleInstance"));
}

/** Closes the app's window as a person would (the app then exits, closing its profile) and
 *  waits until the process is gone and its single-instance name is free on the bus (a new
 *  launch would otherwise hand over to it). Both are needed: once the main thread has exited,
 *  /proc no longer names the app's binary while threads still finishing (closing the profile)
 *  keep its D-Bus connection, and with it the name, until they end. */
export async function quitApp(session) {
  await session.close().catch(() => {});
  await until("the app to exit", () => appPids().length === 0, 20_000, async () => `pids ${appPids()}`);
  await until("the app's single-instance name to be free", () => singleInstanceNames().length === 0, 20_000, async () =>
    `still held: ${singleInstanceNames()}`,
  );
  await session.quit().catch(() => {});
}

// ----- finding things the way the UI names them (accessible names) -----

/** The form control whose label (a wrapping <label>, aria-label or aria-labelledby) is
 *  exactly `name`. */
export async function byLabel(session, name, ms = 20_000) {
  return until(
    `the field labelled “${name}”`,
    () =>
      session.executeScript((name) => {
        const text = (el) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
        for (const el of document.querySelectorAll("input, textarea, select")) {
          const names = [el.getAttribute("aria-label")];
          for (const label of el.labels ?? []) {
            // The label's own words, without the control's.
            const clone = label.cloneNode(true);
            for (const c of clone.querySelectorAll("input, textarea, select")) c.remove();
            names.push(text(clone));
          }
          const by = el.getAttribute("aria-labelledby");
          if (by) names.push(by.split(" ").map((id) => text(document.getElementById(id))).join(" "));
          if (names.some((n) => n && n.trim() === name)) return el;
        }
        return null;
      }, name),
    ms,
  );
}

/** A button or link whose accessible name is exactly `name` (inside `scope`, a CSS selector). */
export async function byName(session, name, { scope = "body", ms = 20_000 } = {}) {
  return until(
    `the button or link “${name}”`,
    () =>
      session.executeScript(
        (name, scope) => {
          const root = document.querySelector(scope);
          if (!root) return null;
          // The element's words, leaving out what is hidden from assistive technology.
          const words = (el) => {
            const clone = el.cloneNode(true);
            for (const hidden of clone.querySelectorAll("[aria-hidden=true]")) hidden.remove();
            return clone.textContent.replace(/\s+/g, " ").trim();
          };
          for (const el of root.querySelectorAll("button, a, [role=button], [role=link]")) {
            const label = el.getAttribute("aria-label") ?? words(el);
            if (label === name) return el;
          }
          return null;
        },
        name,
        scope,
      ),
    ms,
  );
}

/** Replaces a field's value by typing (the UI's React state follows real key events). */
export async function fill(session, name, value) {
  const field = await byLabel(session, name);
  await field.clear();
  // clear() does not always reach React's state: select everything and type over it.
  await session.executeScript((el) => el.select?.(), field);
  await field.sendKeys(value === "" ? "\uE003" : value);
  await until(`“${name}” to read ${JSON.stringify(value)}`, async () => (await field.getAttribute("value")) === value);
  return field;
}

export async function heading(session, text, ms = 20_000) {
  return until(`the heading “${text}”`, async () => {
    const found = await session.findElements(By.xpath(`//h1[normalize-space(.)=${xpathString(text)}]`));
    return found[0];
  }, ms);
}

export async function syncText(session) {
  const found = await session.findElements(By.css(".sync"));
  return found[0] ? found[0].getText() : "";
}

export async function screenshot(session, file) {
  const png = Buffer.from(await session.takeScreenshot(), "base64");
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, file), png);
  return png;
}

function xpathString(s) {
  if (!s.includes("'")) return `'${s}'`;
  if (!s.includes('"')) return `"${s}"`;
  return `concat('${s.replace(/'/g, `', "'", '`)}')`;
}

/** A real PNG of `w`×`h` pixels (a gradient), for the attachment. */
export { makePng } from "./png.mjs";
