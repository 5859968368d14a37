// The page's entry point: inside a Tauri app (desktop, mobile) the UI uses the app's native
// engine through Tauri commands; in a browser it starts the wasm engine in a worker.
import { startBrowserShell } from "./browser-shell";
import { inTauri } from "./client/tauri-transport";
import { startTauriShell } from "./tauri-shell";

const root = document.getElementById("root");
if (inTauri()) startTauriShell(root);
else startBrowserShell(root);
