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
      notice: host.ownsDatabase.then((owns) => (owns ? null : SHARED_MESSAGE)),
      onUpdate,
      applyUpdate,
    });
  }
}
