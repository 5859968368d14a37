// The browser shell: starts the engine (see engine-host.ts), exposes the typed client as
// `window.larder` (the engine tests drive it), and mounts the UI with the PWA's hooks.
import { type EngineHost, SHARED_MESSAGE, startEngine } from "./engine-host";
import { applyUpdate, offlineReady, onUpdate } from "./pwa";
import { mountApp } from "./ui";

declare global {
  interface Window {
    larder: EngineHost & {
      offlineReady: Promise<void>;
      onUpdate: typeof onUpdate;
      applyUpdate: typeof applyUpdate;
    };
  }
}

export function startBrowserShell(root: HTMLElement | null): void {
  const host = startEngine();
  window.larder = { ...host, offlineReady, onUpdate, applyUpdate };
  if (root) {
    mountApp(root, host.client, {
      ready: host.ready,
      defaultServer: location.origin,
      keepData,
      notice: host.ownsDatabase.then((owns) => (owns ? null : SHARED_MESSAGE)),
      onUpdate,
      applyUpdate,
    });
  }
}

/** Persistent storage: without it the browser may evict the origin's data (the database with
 *  edits not yet synced) under storage pressure. Chromium decides silently (installed app, site
 *  engagement); Firefox asks the user, so this runs once a user has signed in. */
async function keepData(): Promise<boolean> {
  if (!navigator.storage?.persist) return false;
  if (await navigator.storage.persisted()) return true;
  return navigator.storage.persist();
}
