// Test harness: a real relay (`larder-server serve` on 127.0.0.1) serving the built app
// (web/dist) beside its API, users, the `larder` CLI, and Chromium driven by playwright-core.
// Everything binds to 127.0.0.1; every wait polls a condition with a deadline.
import { spawn, spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { until } from "./poll.mjs";

export { until };

export const WEB = resolve(import.meta.dirname, "..");
export const DIST = join(WEB, "dist");
export const BIN_DIR =
  process.env.LARDER_BIN_DIR ??
  join(process.env.CARGO_TARGET_DIR ?? join(WEB, "..", "target"), "debug");

/** A relay on `bind` (default 127.0.0.1:0) over the data dir `data`, serving `web` (web/dist). */
export async function startRelay(data, bind = "127.0.0.1:0", web = DIST) {
  const args = ["--data", data, "serve", "--bind", bind, "--web", web];
  const child = spawn(join(BIN_DIR, "larder-server"), args, {
    env: { ...process.env, NO_COLOR: "1", LARDER_LOG: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const addr = await until("the relay to listen", () => /listening addr=(\S+)/.exec(log)?.[1]);
  return {
    url: `http://${addr}`,
    data,
    pid: child.pid,
    log: () => log,
    stop: () =>
      new Promise((ok) => {
        child.once("exit", ok);
        child.kill("SIGTERM");
      }),
  };
}

/** Adds a user to a relay's data dir (creating it; no relay may run on it: it is locked). */
export function addUser(data, name, password) {
  const out = spawnSync(join(BIN_DIR, "larder-server"), ["--data", data, "user", "add", name], {
    input: `${password}\n${password}\n`,
  });
  if (out.status !== 0) throw new Error(`user add failed: ${out.stderr}`);
}

/** Runs `larder-server ARGS…` (an admin command: `user …`, `household …`) on a data dir,
 *  directly or through the admin socket of the relay running on it. */
export function serverCommand(data, args) {
  const out = spawnSync(join(BIN_DIR, "larder-server"), ["--data", data, ...args]);
  if (out.status !== 0) throw new Error(`${args.join(" ")} failed: ${out.stderr}`);
  return String(out.stdout);
}

/** Runs `larder-server user ARGS…` on a data dir. */
export function userCommand(data, args) {
  serverCommand(data, ["user", ...args]);
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
    child.on("exit", (code) =>
      code === 0 ? ok(out) : fail(new Error(`larder ${args.join(" ")}: ${err}`)),
    );
  });
}

/** Debian's Chromium and the flags every run uses (no browser is downloaded). */
export const CHROMIUM = {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
};

export async function launchChromium() {
  return chromium.launch(CHROMIUM);
}

/** Opens the app and waits for the engine worker to be ready; console errors are collected. */
export async function openApp(context, url, errors) {
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  await page.evaluate(() => window.larder.ready);
  return page;
}
