// The signed-in session and the link to the relay.
//
// - `signIn`: `POST /api/v1/session`, then `GET /api/v1/me`; the session is kept in the database
//   (same shape as the native client's), so a reload resumes syncing.
// - `SyncLink`: automerge-repo's websocket adapter on `/sync?ticket=…` (a fresh one-time ticket,
//   bound to the peer id `{user id}.{device id}`, for every connection), the user's grocery
//   list adopted, the relay's live change feed (live-feed.ts) followed for documents changed
//   elsewhere, each pulled into the engine unless its view already has the relay's heads, and
//   attachments uploaded as they are added (transfers.ts). The feed's backlog is planned by core
//   (`engine.planCatchUp`, core's sync_plan): documents this device holds nothing of come in
//   bulk batches (`POST /api/v1/docs/fetch`, adopted by the engine many per transaction, the
//   next batch fetched while one is adopted), the rest is pulled one by one. Likewise the first
//   upload: core plans it (`engine.planUpload`, core's bulk_upload: documents the relay never
//   confirmed, when there are enough of them) and builds each batch's body; the link POSTs them
//   (`POST /api/v1/docs/upload`) and hands the answers back (`engine.settleUpload`). Documents
//   a bulk upload takes are not announced over the websocket (RepoHost.holdOnly) until the relay
//   has stored them. The feed reconnects with backoff and at once when the browser comes back
//   online. A rejected session (401) signs the device out; local data and edits stay.
import type { PeerId } from "@automerge/automerge-repo/slim";
import type { Engine } from "../engine-pkg/larder_web_engine.js";
import type { SessionView } from "../generated/larder";
import { type FeedEntry, followLiveFeed } from "./live-feed";
import { RelayRefused, fetchDocuments, normaliseServer, relayCall, uploadDocuments } from "./relay-api";
import type { RepoHost } from "./repo-host";
import { TicketedWebSocketAdapter } from "./ticketed-adapter";
import { download, uploadDue } from "./transfers";

export { RelayRefused } from "./relay-api";

/** The stored session (the native client's `sync::session::Session`). */
export type StoredSession = {
  server: string;
  token: string;
  user_id: string;
  user_name: string;
  grocery_list_id: string | null;
};

/** Longest wait before trying the relay again after a failure. */
const MAX_RETRY_MS = 5000;
/** How often queued attachment uploads, and documents the feed named that could not be pulled
 *  yet (the sync socket was down), are tried again. Uploads also follow each local change. */
const RETRY_TICK_MS = 2000;
/** Documents pulled at once (a new device may be told of hundreds while it catches up; each
 *  pull waits on the relay, the engine merges them one at a time). */
const PULL_CONCURRENCY = 8;

export async function signIn(server: string, username: string, password: string): Promise<StoredSession> {
  const base = normaliseServer(server);
  const login = await relayCall<{ token: string }>(base, "api/v1/session", {
    method: "POST",
    body: JSON.stringify({ username, password }),
  });
  const me = await relayCall<{ id: string; name: string; grocery_list_id: string | null }>(
    base,
    "api/v1/me",
    {},
    login.token,
  );
  return { server: base, token: login.token, user_id: me.id, user_name: me.name, grocery_list_id: me.grocery_list_id };
}

/** Revokes the session on the relay; offline or already revoked is fine. */
export async function revoke(session: StoredSession): Promise<void> {
  await relayCall(session.server, "api/v1/session", { method: "DELETE" }, session.token).catch(() => undefined);
}

export function sessionView(session: StoredSession): SessionView {
  return { server: session.server, user_id: session.user_id, user_name: session.user_name };
}

export class SyncLink {
  private cursor = 0;
  private unpulled = new Set<string>();
  /** Each document's heads on the relay (sorted, ',' joined), from the change feed. */
  private relayHeads = new Map<string, string>();
  private profileDocsAdopted = false;
  private stopped = false;
  private connected = false;
  /** The live feed has delivered its backlog since it was (re)opened and the backlog's bulk
   *  batches are in: every document changed elsewhere is known. */
  private caughtUp = false;
  /** The feed's `caught-up` event has come: entries are pulled as they arrive. Before it, they
   *  are kept in `backlog` for core to plan all at once. */
  private feedCaughtUp = false;
  private backlog: FeedEntry[] = [];
  /** While bulk batches come in: documents adopted of those the plan sends in bulk. */
  private progress: { done: number; total: number } | null = null;
  private readonly abort = new AbortController();
  /** Ends the wait before the next attempt early (the browser came back online). */
  private wake: () => void = () => undefined;
  private retryTimer: ReturnType<typeof setInterval> | undefined;
  /** Documents being pulled or waiting their turn; true once a newer feed entry named the
   *  document during its pull, so it is pulled once more after it. */
  private pulling = new Map<string, boolean>();
  private waiting: string[] = [];
  private active = 0;
  private uploading: Promise<void> | undefined;
  /** The bulk upload of documents, while one runs; `uploadAgain`: kicked meanwhile. */
  private uploadingDocs: Promise<void> | undefined;
  private uploadAgain = false;
  /** While a bulk upload runs: documents the relay has answered for, of those it sends. */
  private uploadProgress: { done: number; total: number } | null = null;
  private readonly onOnline = () => {
    this.wake();
    this.kickUploads();
  };
  /** The browser went offline: the live stream is dropped (and followed again once online),
   *  so no entry is waited for on a dead connection. */
  private readonly onOffline = () => {
    this.stream?.abort();
  };
  /** Aborts the current live-feed request only. */
  private stream: AbortController | undefined;
  lastError: string | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly host: RepoHost,
    private readonly session: StoredSession,
    private readonly onUnauthorized: () => void,
  ) {}

  private api<T>(path: string, init: RequestInit = {}): Promise<T> {
    return relayCall<T>(this.session.server, path, init, this.session.token);
  }

  /** Where sync stands and how many documents differ from the relay: offline until the feed
   *  is followed, then syncing until every document here matches the relay and every attachment
   *  is uploaded. One pass over the documents serves both figures. */
  status(): {
    state: "offline" | "connecting" | "syncing" | "up_to_date";
    pending: number;
    progress: { done: number; total: number } | null;
  } {
    const pending = this.pending();
    const progress = this.progress ?? this.uploadProgress;
    // The browser knows first (and Chromium may leave open sockets up while offline).
    if (!self.navigator.onLine) return { state: "offline", pending, progress };
    if (!this.connected) return { state: this.lastError ? "offline" : "connecting", pending, progress };
    const settled =
      this.caughtUp &&
      this.unpulled.size === 0 &&
      this.pulling.size === 0 &&
      pending === 0 &&
      !this.uploadingDocs &&
      this.engine.queuedUploads() === 0;
    return { state: settled ? "up_to_date" : "syncing", pending, progress };
  }

  /** Connects (without waiting for the network: offline, it keeps trying). */
  async start(): Promise<void> {
    const peerId = `${this.session.user_id}.${this.engine.deviceId()}` as PeerId;
    const ticket = async () =>
      (
        await this.api<{ ticket: string }>("api/v1/sync/ticket", {
          method: "POST",
          body: JSON.stringify({ peer_id: peerId }),
        })
      ).ticket;
    const socketUrl = (t: string) => {
      const ws = new URL("sync", `${this.session.server}/`);
      ws.protocol = ws.protocol === "https:" ? "wss:" : "ws:";
      ws.searchParams.set("ticket", t);
      return ws.toString();
    };
    // Documents a bulk upload will take are kept off the websocket from the start, and go up
    // while the repo loads every document for the socket.
    this.host.holdOnly(this.planUpload().bulk);
    this.kickDocUploads();
    await this.host.connect(peerId, new TicketedWebSocketAdapter(socketUrl, ticket));
    self.addEventListener("online", this.onOnline);
    self.addEventListener("offline", this.onOffline);
    this.retryTimer = setInterval(() => {
      this.kickUploads();
      this.retryUnpulled();
    }, RETRY_TICK_MS);
    void this.followFeed();
    this.kickUploads();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.connected = false;
    // A bulk upload cut short: its documents stay marked and are planned again next time.
    this.engine.abandonUpload();
    this.waiting.length = 0;
    this.abort.abort();
    this.stream?.abort();
    this.wake();
    clearInterval(this.retryTimer);
    self.removeEventListener("online", this.onOnline);
    self.removeEventListener("offline", this.onOffline);
    await this.host.disconnect();
  }

  /** Documents whose state here is not the relay's (local changes waiting, or remote ones
   *  not merged yet). */
  private pending(): number {
    let pending = 0;
    for (const [id, heads] of this.engine.viewHeadsAll()) {
      if (heads !== this.relayHeads.get(id)) pending += 1;
    }
    return pending;
  }

  /** Uploads due attachments and documents waiting for the relay now, unless a round is
   *  already running. */
  kickUploads(): void {
    this.kickDocUploads();
    if (this.stopped || this.uploading) return;
    this.uploading = uploadDue(this.engine, this.session)
      .then(() => undefined)
      .catch((e: unknown) => this.failed(e))
      .finally(() => {
        this.uploading = undefined;
      });
  }

  /** core's plan for the documents waiting for the relay (a run already under way is kept). */
  private planUpload(): { total: number; bulk: string[]; live: string[] } {
    return JSON.parse(this.engine.planUpload()) as { total: number; bulk: string[]; live: string[] };
  }

  /** Uploads in bulk what core plans, unless a run is going (then once more after it). */
  private kickDocUploads(): void {
    if (this.stopped) return;
    if (this.uploadingDocs) {
      this.uploadAgain = true;
      return;
    }
    this.uploadingDocs = this.uploadDocuments()
      .catch((e: unknown) => this.failed(e))
      .finally(() => {
        this.uploadingDocs = undefined;
        this.uploadProgress = null;
        if (this.uploadAgain && !this.stopped) {
          this.uploadAgain = false;
          this.kickDocUploads();
        }
      });
  }

  /** One bulk upload: the plan's documents are held off the websocket, core builds each
   *  batch, the relay's answer goes back to core and the batch is then announced (the relay has
   *  it: the websocket exchange that follows carries no document). Documents the plan leaves
   *  for the websocket are announced at once. Offline, everything stays held for the next try;
   *  a refused batch goes over the websocket. */
  private async uploadDocuments(): Promise<void> {
    const plan = this.planUpload();
    this.host.holdOnly(plan.bulk);
    if (plan.total === 0 || !self.navigator.onLine) return;
    const address = { server: this.session.server, token: this.session.token };
    this.uploadProgress = { done: 0, total: plan.total };
    for (;;) {
      if (this.stopped) return;
      const body = this.engine.nextUploadBatch();
      if (!body) return;
      let answer: string;
      try {
        answer = JSON.stringify(await uploadDocuments(address, body));
      } catch (e) {
        const left = this.engine.abandonUpload();
        if (e instanceof RelayRefused && e.error.code === "unreachable") {
          // Still marked: planned again on the next tick.
          this.lastError = e.message;
          return;
        }
        this.host.release(left);
        throw e;
      }
      const settled = JSON.parse(this.engine.settleUpload(answer)) as {
        done: number;
        total: number;
        batch: string[];
      };
      this.host.settled(settled.batch);
      this.uploadProgress = { done: settled.done, total: settled.total };
    }
  }

  /** Pulls again the documents whose pull failed. */
  private retryUnpulled(): void {
    for (const id of this.unpulled) this.schedulePull(id);
  }

  /** Pulls `id` soon, at most PULL_CONCURRENCY at once. A document already being pulled is
   *  pulled once more when that pull ends: it may have read the document before the change
   *  this call is for reached the repo. */
  private schedulePull(id: string): void {
    if (this.stopped) return;
    if (this.pulling.has(id)) {
      this.pulling.set(id, true);
      return;
    }
    this.pulling.set(id, false);
    this.waiting.push(id);
    this.drainPulls();
  }

  private drainPulls(): void {
    while (!this.stopped && this.active < PULL_CONCURRENCY && this.waiting.length > 0) {
      const id = this.waiting.shift() as string;
      this.active++;
      void this.pullIfBehind(id).finally(() => {
        this.active--;
        if (this.pulling.get(id) === true && !this.stopped) {
          this.pulling.set(id, false);
          this.waiting.push(id);
        } else {
          this.pulling.delete(id);
        }
        this.drainPulls();
      });
    }
  }

  /** The bytes of an attachment another device added, fetched from the relay into the engine. */
  download(sha256: string): Promise<void> {
    return download(this.engine, this.session, sha256);
  }

  private failed(e: unknown): void {
    if (e instanceof RelayRefused && e.error.code === "unauthorized") {
      if (!this.stopped) this.onUnauthorized();
      return;
    }
    this.lastError = e instanceof Error ? e.message : String(e);
  }

  private async adoptProfileDocuments(): Promise<void> {
    if (this.profileDocsAdopted) return;
    // The user's grocery list and meal plan are the relay's documents: every device adopts them.
    const me = await this.api<{ grocery_list_id: string | null; meal_plan_id?: string | null }>("api/v1/me");
    if (me.grocery_list_id) {
      await this.host.pull(me.grocery_list_id);
      await this.engine.useGroceryList(me.grocery_list_id);
    }
    if (me.meal_plan_id) {
      await this.host.pull(me.meal_plan_id);
      await this.engine.useMealPlan(me.meal_plan_id);
    }
    this.profileDocsAdopted = true;
  }

  /** One feed entry: the relay's heads noted, the document pulled unless already there. The
   *  feed goes on meanwhile, so the link knows the whole backlog at once (and says "syncing"
   *  until it is pulled). */
  private apply(entry: FeedEntry): void {
    this.relayHeads.set(entry.doc_id, [...entry.heads].sort().join(","));
    this.cursor = Math.max(this.cursor, entry.seq);
    if (this.feedCaughtUp) {
      // Recorded before the pull writes the document, so it never counts as one to upload.
      try {
        this.engine.noteRelayHeads(JSON.stringify([{ doc_id: entry.doc_id, heads: entry.heads }]));
      } catch (e) {
        this.lastError = e instanceof Error ? e.message : String(e);
      }
      this.schedulePull(entry.doc_id);
    } else this.backlog.push(entry);
  }

  /** The feed's backlog, planned by core: bulk batches adopted by the engine (the next one
   *  fetched while one is adopted), everything else pulled one by one. A failed batch falls back
   *  to pulling its documents. */
  private async takeBacklog(): Promise<void> {
    const entries = this.backlog;
    this.backlog = [];
    try {
      const plan = JSON.parse(
        this.engine.planCatchUp(JSON.stringify(entries.map((e) => ({ doc_id: e.doc_id, heads: e.heads })))),
      ) as { bulk: string[][]; live: string[] };
      for (const id of plan.live) this.schedulePull(id);
      const total = plan.bulk.reduce((n, batch) => n + batch.length, 0);
      if (total > 0) this.progress = { done: 0, total };
      const address = { server: this.session.server, token: this.session.token };
      const fetchBatch = (ids: string[]) =>
        fetchDocuments(address, ids).then(
          (body) => ({ body }),
          (error: unknown) => ({ error }),
        );
      let next = plan.bulk.length > 0 ? fetchBatch(plan.bulk[0]) : undefined;
      for (let i = 0; i < plan.bulk.length && next && !this.stopped; i++) {
        const batch = plan.bulk[i];
        const fetched = await next;
        next = i + 1 < plan.bulk.length ? fetchBatch(plan.bulk[i + 1]) : undefined;
        if ("error" in fetched) {
          if (fetched.error instanceof RelayRefused && fetched.error.error.code === "unauthorized") {
            this.failed(fetched.error);
            return;
          }
          for (const id of batch) this.schedulePull(id);
        } else {
          const left = (await this.engine.adoptFrames(fetched.body)) as string[];
          for (const id of left) this.schedulePull(id);
        }
        this.progress = { done: (this.progress?.done ?? 0) + batch.length, total };
      }
    } catch (e) {
      // The plan or an adoption failed: pull everything the backlog named, one by one.
      this.lastError = e instanceof Error ? e.message : String(e);
      for (const entry of entries) this.schedulePull(entry.doc_id);
    } finally {
      this.progress = null;
      this.caughtUp = true;
    }
    this.kickDocUploads();
  }

  private async pullIfBehind(id: string): Promise<void> {
    if (this.engine.viewHeads(id) === this.relayHeads.get(id)) {
      this.unpulled.delete(id);
      return;
    }
    try {
      await this.host.pull(id);
      this.unpulled.delete(id);
    } catch (e) {
      // The socket was down: tried again when the feed reconnects.
      this.unpulled.add(id);
      this.lastError = String(e);
    }
  }

  /** Follows the live feed for as long as the link runs, reconnecting with backoff. */
  private async followFeed(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.adoptProfileDocuments();
        if (!self.navigator.onLine) throw new Error("the browser is offline");
        this.stream = new AbortController();
        await followLiveFeed(
          this.session.server,
          this.session.token,
          this.cursor,
          () => {
            // Connected as soon as the relay accepts the stream, even when nothing changed.
            this.connected = true;
            this.caughtUp = false;
            this.feedCaughtUp = false;
            this.backlog = [];
            this.lastError = null;
            failures = 0;
          },
          (entry) => this.apply(entry),
          () => {
            this.feedCaughtUp = true;
            void this.takeBacklog();
          },
          AbortSignal.any([this.abort.signal, this.stream.signal]),
        );
      } catch (e) {
        if (this.stopped) return;
        if (e instanceof RelayRefused && e.error.code === "unauthorized") {
          this.onUnauthorized();
          return;
        }
        this.lastError = !self.navigator.onLine
          ? "the browser is offline"
          : e instanceof Error
            ? e.message
            : String(e);
        failures++;
      }
      this.connected = false;
      if (this.stopped) return;
      await new Promise<void>((resume) => {
        const timer = setTimeout(resume, Math.min(MAX_RETRY_MS, 250 * 2 ** failures));
        this.wake = () => {
          clearTimeout(timer);
          resume();
        };
      });
    }
  }
}
