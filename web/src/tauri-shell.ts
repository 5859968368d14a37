// The Tauri shell (desktop and mobile apps): larder-core runs natively in the app, so the UI
// talks to it through Tauri commands; no wasm engine, worker or service worker is started.
import { LarderClient } from "./client";
import { TauriTransport } from "./client/tauri-transport";
import { mountApp } from "./ui";

export function startTauriShell(root: HTMLElement | null): void {
  const client = new LarderClient(new TauriTransport());
  if (root) mountApp(root, client, {});
}
