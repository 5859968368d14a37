// The dedicated worker that owns the engine: larder-core compiled to wasm on an OPFS SQLite
// database (the `sahpool` VFS only runs in a dedicated worker), the automerge-repo mirror of its
// documents, and the link to the relay (changes, attachments). It answers the page's requests (see
// src/client/worker-transport.ts) with larder-core's one dispatcher (`rpc::dispatch_with`), and
// supplies what only it can do (`shellHost`: signing in and out, the session and the sync
// status, a page fetched by the relay, an attachment only the relay has, the meal plan's
// calendar feed kept by the relay), the IO and no more.
import { initializeWasm } from "@automerge/automerge-repo/slim";
// The JS automerge's wasm as a separate, cacheable asset (not inlined as base64).
import automergeWasmUrl from "@automerge/automerge/automerge.wasm?url";
import init, { Engine } from "../engine-pkg/larder_web_engine.js";
import type { FromWorker, ToWorker } from "../client/worker-transport";
import type {
  CalendarAction,
  CalendarLink,
  ChangeEvent,
  PageImport,
  Reply,
  Request,
  RpcError,
  ShareAction,
  ShareView,
  SyncStatusView,
} from "../generated/larder";
import { planCalendar, relayCall, shares } from "./relay-api";
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

/** What the worker supplies to core's dispatcher (web/engine/src/shell.rs): the IO only, each
 *  answer the JSON of a reply. Routing and composition are core's (`rpc::dispatch_with`). */
const shellHost = {
  signIn: (server: string, username: string, password: string) =>
    reply(async () => {
      const session = await signIn(server, username, password);
      if (storedSession()?.user_id !== session.user_id) await signOut(true);
      engine?.sessionSave(JSON.stringify(session));
      await startSync(session);
      return sessionView(session);
    }),
  signOut: (removeData: boolean) =>
    reply(async () => {
      await signOut(true);
      // The repo was replaced by one without documents (its pending saves flushed first).
      if (removeData) engine?.eraseAll();
      return null;
    }),
  session: () =>
    reply(async () => {
      const session = storedSession();
      return session ? sessionView(session) : null;
    }),
  syncStatus: () =>
    reply(async (): Promise<SyncStatusView> => {
      // Signed out, nothing is confirmed by a relay.
      const status: SyncStatusView = link
        ? link.status()
        : { state: "signed_out", pending: engine?.documentIds().length ?? 0, last_error: null, progress: null };
      return { ...status, last_error: status.last_error ?? host?.lastError ?? null };
    }),
  fetchPage: (address: string) =>
    reply(async (): Promise<PageImport> => {
      const session = storedSession();
      if (!session) {
        throw new RelayRefused({
          code: "unauthorized",
          message: "importing from an address needs the relay: sign in first",
        });
      }
      return relayCall<PageImport>(
        session.server,
        "api/v1/import/url",
        { method: "POST", body: JSON.stringify({ url: address }) },
        session.token,
      );
    }),
  fetchAttachment: (sha256: string) =>
    reply(async () => {
      if (!link) {
        throw new RelayRefused({ code: "not_found", message: "this file is not on this device (signed out)" });
      }
      await link.download(sha256);
      return null;
    }),
  planCalendar: (action: CalendarAction) =>
    reply(async (): Promise<CalendarLink> => {
      const session = storedSession();
      if (!session) {
        throw new RelayRefused({ code: "unauthorized", message: "sign in to a relay to subscribe to your plan in a calendar" });
      }
      try {
        return await planCalendar(session, action);
      } catch (e) {
        if (e instanceof RelayRefused && e.error.code === "unreachable") {
          throw new RelayRefused({
            code: "unreachable",
            message: "the calendar feed is kept by the relay, which cannot be reached now",
          });
        }
        throw e;
      }
    }),
  shares: (actionJson: string) =>
    reply(async (): Promise<ShareView[]> => {
      const session = storedSession();
      if (!session) {
        throw new RelayRefused({ code: "unauthorized", message: "sign in to a relay to share recipes: shares live on the relay" });
      }
      return await shares(session, JSON.parse(actionJson) as ShareAction);
    }),
};

/** A host answer: `{ok: value}`, or the failure as core's `RpcError`. */
async function reply<T>(run: () => Promise<T>): Promise<string> {
  try {
    return JSON.stringify({ ok: await run() });
  } catch (e) {
    const err: RpcError =
      e instanceof RelayRefused ? e.error : { code: "internal", message: e instanceof Error ? e.message : String(e) };
    return JSON.stringify({ err });
  }
}

async function answer(request: Request): Promise<Reply> {
  if (!engine || !host) return { err: { code: "internal", message: "the engine is not running" } };
  const json = (await engine.call(JSON.stringify(request), shellHost)) as string;
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
