// The dedicated worker that owns the engine: larder-core compiled to wasm on an OPFS SQLite
// database (the `sahpool` VFS only runs in a dedicated worker), the automerge-repo mirror of its
// documents, and the link to the relay (changes, attachments). It answers the page's requests (see
// src/client/worker-transport.ts) with larder-core's `rpc::dispatch`, except those that belong
// to this shell: signing in and out, the session and the sync status, the bytes of an
// attachment that is only on the relay so far, importing a page by its address (the relay
// fetches it; core makes the recipes), and the meal plan's calendar feed (kept by the relay).
import { initializeWasm } from "@automerge/automerge-repo/slim";
// The JS automerge's wasm as a separate, cacheable asset (not inlined as base64).
import automergeWasmUrl from "@automerge/automerge/automerge.wasm?url";
import init, { Engine } from "../engine-pkg/larder_web_engine.js";
import type { FromWorker, ToWorker } from "../client/worker-transport";
import type { ChangeEvent, PageImport, Reply, Request, SyncStatusView } from "../generated/larder";
import { planCalendar, relayCall } from "./relay-api";
import { RepoHost } from "./repo-host";
import { RelayRefused, type StoredSession, SyncLink, revoke, sessionView, signIn } from "./session";

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
  let reply: Reply;
  try {
    reply = await answer(message.request);
  } catch (e) {
    reply =
      e instanceof RelayRefused
        ? { err: e.error }
        : { err: { code: "internal", message: e instanceof Error ? e.message : String(e) } };
  }
  post({ seq: message.seq, reply });
}

function storedSession(): StoredSession | null {
  const json = engine?.sessionLoad();
  return json ? (JSON.parse(json) as StoredSession) : null;
}

async function startSync(session: StoredSession): Promise<void> {
  if (!engine || !host) return;
  await link?.stop();
  const current = new SyncLink(engine, host, session, () => void signOut(false));
  link = current;
  await current.start();
}

async function signOut(revokeOnRelay: boolean): Promise<void> {
  // Forgotten first, so nobody sees "signed out" with a session still stored.
  const session = storedSession();
  engine?.sessionForget();
  const current = link;
  link = undefined;
  await current?.stop();
  if (session && revokeOnRelay) await revoke(session);
}

async function answer(request: Request): Promise<Reply> {
  if (!engine || !host) return { err: { code: "internal", message: "the engine is not running" } };
  switch (request.op) {
    case "sign_in": {
      const session = await signIn(request.server, request.username, request.password);
      if (storedSession()?.user_id !== session.user_id) await signOut(true);
      engine.sessionSave(JSON.stringify(session));
      await startSync(session);
      return { ok: { type: "session", value: sessionView(session) } };
    }
    case "sign_out":
      await signOut(true);
      if (request.remove_data) {
        // The repo was replaced by one without documents (its pending saves flushed first).
        engine.eraseAll();
      }
      return { ok: { type: "done" } };
    case "session": {
      const session = storedSession();
      return { ok: { type: "session", value: session ? sessionView(session) : null } };
    }
    case "sync_status": {
      // Signed out, nothing is confirmed by a relay.
      const { state, pending, progress } = link
        ? link.status()
        : { state: "signed_out" as const, pending: engine.documentIds().length, progress: null };
      const status: SyncStatusView = {
        state,
        pending,
        last_error: link?.lastError ?? host.lastError,
        progress,
      };
      return { ok: { type: "sync_status", value: status } };
    }
    case "attachment_bytes": {
      const local = await call(engine, request);
      // Not on this device: another device attached it; fetch it from the relay, then answer.
      if ("err" in local && local.err.code === "not_found" && link) {
        await link.download(request.sha256);
        return call(engine, request);
      }
      return local;
    }
    case "import_url": {
      const session = storedSession();
      if (!session) {
        return {
          err: { code: "unauthorized", message: "importing from an address needs the relay: sign in first" },
        };
      }
      let page: PageImport;
      try {
        page = await relayCall<PageImport>(
          session.server,
          "api/v1/import/url",
          { method: "POST", body: JSON.stringify({ url: request.url }) },
          session.token,
        );
      } catch (e) {
        if (e instanceof RelayRefused && e.error.code === "unreachable") {
          return {
            err: {
              code: "unreachable",
              message: "importing from an address needs the relay, which cannot be reached now",
            },
          };
        }
        throw e;
      }
      return call(engine, { op: "import_page", page });
    }
    case "plan_calendar": {
      const session = storedSession();
      if (!session) {
        return {
          err: { code: "unauthorized", message: "sign in to a relay to subscribe to your plan in a calendar" },
        };
      }
      try {
        const link = await planCalendar(session, request.action);
        return { ok: { type: "calendar_link", value: link } };
      } catch (e) {
        if (e instanceof RelayRefused && e.error.code === "unreachable") {
          return {
            err: {
              code: "unreachable",
              message: "the calendar feed is kept by the relay, which cannot be reached now",
            },
          };
        }
        throw e;
      }
    }
    default:
      return call(engine, request);
  }
}

async function call(engine: Engine, request: Request): Promise<Reply> {
  const json = (await engine.call(JSON.stringify(request))) as string;
  return JSON.parse(json) as Reply;
}

async function start(): Promise<void> {
  await init();
  await initializeWasm(
    fetch(automergeWasmUrl)
      .then((r) => r.arrayBuffer())
      .then((b) => new Uint8Array(b)),
  );
  const opened = await Engine.open(DATABASE);
  host = new RepoHost(opened);
  await opened.start(host);
  opened.subscribe((json: string) => {
    post({ event: JSON.parse(json) as ChangeEvent });
    // An attachment added here goes up as soon as it can.
    link?.kickUploads();
  });
  engine = opened;
  // A stored session resumes syncing (offline, the link keeps trying).
  const session = storedSession();
  if (session) await startSync(session);
  post({ ready: true });
  for (const message of queue.splice(0)) void handle(message);
}

start().catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  post({ fatal: `the engine could not start: ${message}` });
});
