// The dedicated worker that owns the engine: larder-core compiled to wasm on an OPFS SQLite
// database (the `sahpool` VFS only runs in a dedicated worker), the automerge-repo mirror of its
// documents, and the link to the relay. It answers the page's requests (see
// src/client/worker-transport.ts) with larder-core's `rpc::dispatch`, except sync status and
// connecting, which belong to this shell.
import { initializeWasm } from "@automerge/automerge-repo/slim";
// The JS automerge's wasm as a separate, cacheable asset (not inlined as base64).
import automergeWasmUrl from "@automerge/automerge/automerge.wasm?url";
import init, { Engine } from "../engine-pkg/larder_web_engine.js";
import type { FromWorker, ToWorker } from "../client/worker-transport";
import type { ChangeEvent, Reply, SyncStatusView } from "../generated/larder";
import { RepoHost } from "./repo-host";
import { SyncLink } from "./session";

const DATABASE = "larder.db";

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (message: FromWorker) => scope.postMessage(message);

let engine: Engine | undefined;
let host: RepoHost | undefined;
let link: SyncLink | undefined;
const queue: ToWorker[] = [];

scope.addEventListener("message", (event: MessageEvent<ToWorker>) => {
  if (engine) void handle(event.data);
  else queue.push(event.data);
});

async function handle(message: ToWorker): Promise<void> {
  const reply = await answer(message);
  post({ seq: message.seq, reply });
}

async function answer(message: ToWorker): Promise<Reply> {
  if (!engine || !host) return { err: { code: "internal", message: "the engine is not running" } };
  if ("connect" in message) {
    try {
      link?.stop();
      link = new SyncLink(engine, host, message.connect);
      await link.start();
      return { ok: { type: "done" } };
    } catch (e) {
      return { err: { code: "unsupported", message: `cannot sync: ${String(e)}` } };
    }
  }
  if (message.request.op === "sync_status") {
    const status: SyncStatusView = {
      state: link ? link.state : "signed_out",
      // Signed out, nothing is confirmed by a relay.
      pending: link ? link.pending() : engine.documentIds().length,
      last_error: link?.lastError ?? host.lastError,
    };
    return { ok: { type: "sync_status", value: status } };
  }
  const json = (await engine.call(JSON.stringify(message.request))) as string;
  return JSON.parse(json) as Reply;
}

async function start(): Promise<void> {
  await init();
  await initializeWasm(fetch(automergeWasmUrl).then((r) => r.arrayBuffer()).then((b) => new Uint8Array(b)));
  const opened = await Engine.open(DATABASE);
  host = new RepoHost(opened);
  await opened.start(host);
  opened.subscribe((json: string) => post({ event: JSON.parse(json) as ChangeEvent }));
  engine = opened;
  post({ ready: true });
  for (const message of queue.splice(0)) void handle(message);
}

start().catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  post({ fatal: `the engine could not start: ${message}` });
});
