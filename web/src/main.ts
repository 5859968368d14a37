// The page's entry point for now: starts the engine (see engine-host.ts) and exposes the typed
// client (the React UI will take it from here). `window.larder` is what the browser tests drive.
import { type EngineHost, WAITING_MESSAGE, startEngine } from "./engine-host";

declare global {
  interface Window {
    larder: EngineHost;
  }
}

const host = startEngine();
window.larder = host;

const status = document.getElementById("status");
const show = (text: string) => {
  if (status) status.textContent = text;
};
void host.ownsDatabase.then((owner) => {
  if (!owner) show(WAITING_MESSAGE);
});
host.ready.then(
  () => show("Engine ready"),
  (e: Error) => show(e.message),
);
