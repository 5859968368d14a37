// The page's entry point for now: starts the engine worker and exposes the typed client (the
// React UI will take it from here). `window.larder` is what the browser tests drive.
import { LarderClient, WorkerTransport } from "./client";

const worker = new Worker(new URL("./worker/engine-worker.ts", import.meta.url), {
  type: "module",
  name: "larder-engine",
});
const transport = new WorkerTransport(worker);
const client = new LarderClient(transport);

declare global {
  interface Window {
    larder: { client: LarderClient; transport: WorkerTransport; ready: Promise<void> };
  }
}
window.larder = { client, transport, ready: transport.ready };

const status = document.getElementById("status");
transport.ready.then(
  () => {
    if (status) status.textContent = "Engine ready";
  },
  (e: Error) => {
    if (status) status.textContent = e.message;
  },
);
