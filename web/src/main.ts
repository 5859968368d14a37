// The page's entry point for now: starts the engine (see engine-host.ts) and exposes the typed
// client (the React UI will take it from here). `window.larder` is what the browser tests drive.
import { type EngineHost, SHARED_MESSAGE, startEngine } from "./engine-host";
import { applyUpdate, offlineReady, onUpdate } from "./pwa";

declare global {
  interface Window {
    larder: EngineHost & {
      offlineReady: Promise<void>;
      onUpdate: typeof onUpdate;
      applyUpdate: typeof applyUpdate;
    };
  }
}

const host = startEngine();
window.larder = { ...host, offlineReady, onUpdate, applyUpdate };

const status = document.getElementById("status");
const show = (text: string) => {
  if (status) status.textContent = text;
};
host.ready.then(
  () => show(host.transport.ownsDatabase ? "Engine ready" : SHARED_MESSAGE),
  (e: Error) => show(e.message),
);
