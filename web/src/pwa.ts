// The service worker: registered once the page has loaded; when a new version has been
// deployed and precached, `onUpdate` listeners hear of it and `applyUpdate()` reloads into it
// (the UI shows the prompt). `offlineReady` resolves once the app can open without a network.
// Not in the Tauri apps: they ship the UI inside the app, and WebKit refuses service workers on
// their tauri:// origin.
import { registerSW } from "virtual:pwa-register";
import { inTauri } from "./client/tauri-transport";

const listeners = new Set<() => void>();
let markOfflineReady: () => void = () => {};
export const offlineReady = new Promise<void>((resolve) => (markOfflineReady = resolve));

const update = inTauri()
  ? async (_reloadPage?: boolean) => {}
  : registerSW({
      immediate: true,
      onNeedRefresh() {
        for (const listener of listeners) listener();
      },
      onOfflineReady() {
        markOfflineReady();
      },
      onRegisteredSW(_url, registration) {
        // Already installed and controlling this page: it works offline.
        if (registration?.active && navigator.serviceWorker.controller) markOfflineReady();
      },
    });

export function onUpdate(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export async function applyUpdate(): Promise<void> {
  await update(true);
  // workbox-window reloads when the new worker takes control of this page. A page no worker
  // controls (the first visit: the worker never claims open pages) sees no such change, and the
  // new worker activates by itself as no page uses the old one: reload now.
  if (!navigator.serviceWorker.controller) location.reload();
}
