// The signed-in session and the link to the relay.
//
// - `signIn`: `POST /api/v1/session`, then `GET /api/v1/me`; the session is kept in the database
//   (same shape as the native client's), so a reload resumes syncing.
// - `SyncLink`: the IO of sync in the browser, driven by core's sync policy (the engine's
//   `SyncClient`, core's `sync_client`, which the native engine follows too): automerge-repo's
//   websocket adapter on `/sync?ticket=…` (a fresh one-time ticket, bound to the peer id
//   `{user id}.{device id}`, for every connection), the user's grocery list and meal plan
//   adopted, the relay's live change feed (live-feed.ts) followed and each entry handed to the
//   policy, which answers what to pull over the websocket and what to fetch in bulk batches
//   (`POST /api/v1/docs/fetch`, adopted by the engine many per transaction, the next batch
//   fetched while one is adopted), how long to wait before following the feed again, and where
//   sync stands. Likewise the first upload: core plans it (`engine.planUpload`, core's
//   bulk_upload) and builds each batch's body; the link POSTs them (`POST /api/v1/docs/upload`)
//   and hands the answers back (`engine.settleUpload`). Documents a bulk upload takes are not
//   announced over the websocket (RepoHost.holdOnly) until the relay has stored them.
//   Attachments are uploaded as they are added (transfers.ts). The feed is followed again at
//   once when the browser comes back online. A rejected session (401) signs the device out;
//   local data and edits stay.
import type { PeerId } from "@automerge/automerge-repo/slim";
import type { Engine, SyncClient } from "../engine-pkg/larder_web_engine.js";
import type { Household, SessionView, SyncAction, SyncStatusView } from "../generated/larder";
import { followLiveFeed } from "./live-feed";
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

/** How often queued attachment uploads, and documents whose pull failed (the sync socket was
 *  down), are tried again. Uploads also follow each local change. */
const RETRY_TICK_MS = 2000;

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
  /** Core's sync policy for this link. */
  private readonly sync: SyncClient;
  private profileDocsAdopted = false;
  private stopped = false;
  private readonly abort = new AbortController();
  /** Ends the wait before the next attempt early (the browser came back online). */
  private wake: () => void = () => undefined;
  private retryTimer: ReturnType<typeof setInterval> | undefined;
  /** Bulk batches the policy asked for, fetched two at a time and adopted in order. */
  private fetches: string[][] = [];
  private fetching: Promise<void> | undefined;
  private uploading: Promise<void> | undefined;
  /** The bulk upload of documents, while one runs; `uploadAgain`: kicked meanwhile. */
  private uploadingDocs: Promise<void> | undefined;
  private uploadAgain = false;
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

  constructor(
    private readonly engine: Engine,
    private readonly host: RepoHost,
    private readonly session: StoredSession,
    private readonly onUnauthorized: () => void,
  ) {
    this.sync = engine.syncClient();
  }

  private api<T>(path: string, init: RequestInit = {}): Promise<T> {
    return relayCall<T>(this.session.server, path, init, this.session.token);
  }

  /** Where sync stands, as core's policy says. */
  status(): SyncStatusView {
    const uploading = Boolean(this.uploading || this.uploadingDocs);
    return JSON.parse(this.sync.status(self.navigator.onLine, uploading)) as SyncStatusView;
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
      this.act(() => this.sync.retry());
    }, RETRY_TICK_MS);
    void this.followFeed();
    this.kickUploads();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // A bulk upload cut short: its documents stay marked and are planned again next time.
    this.engine.abandonUpload();
    this.fetches.length = 0;
    this.abort.abort();
    this.stream?.abort();
    this.wake();
    clearInterval(this.retryTimer);
    self.removeEventListener("online", this.onOnline);
    self.removeEventListener("offline", this.onOffline);
    this.sync.free();
    await this.host.disconnect();
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
        if (!this.stopped) this.sync.uploadProgress(0, 0);
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
    this.sync.uploadProgress(0, plan.total);
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
          this.sync.failed(e.message);
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
      if (!this.stopped) this.sync.uploadProgress(settled.done, settled.total);
    }
  }

  /** Does what the policy answered (`plan`: a call into it returning JSON actions). */
  private act(plan: () => string): void {
    if (this.stopped) return;
    let actions: SyncAction[];
    try {
      actions = JSON.parse(plan()) as SyncAction[];
    } catch (e) {
      this.failed(e);
      return;
    }
    for (const action of actions) {
      if (action.do === "pull") void this.pull(action.doc_id);
      else this.fetches.push(action.batch);
    }
    if (this.fetches.length > 0 && !this.fetching) {
      this.fetching = this.fetchBatches().finally(() => {
        this.fetching = undefined;
        this.kickDocUploads();
      });
    }
  }

  private async pull(id: string): Promise<void> {
    let ok = true;
    try {
      await this.host.pull(id);
    } catch (e) {
      // The socket was down: the policy tries it again on a later tick.
      ok = false;
      if (!this.stopped) this.sync.failed(String(e));
    }
    this.act(() => this.sync.pulled(id, ok));
  }

  /** The bulk batches asked for, in order: each adopted by the engine while the next is
   *  fetched. The policy hears of each (a failed fetch: its documents are pulled instead). */
  private async fetchBatches(): Promise<void> {
    const address = { server: this.session.server, token: this.session.token };
    const fetchBatch = (ids: string[]) =>
      fetchDocuments(address, ids).then(
        (body) => ({ body }),
        (error: unknown) => ({ error }),
      );
    let batch = this.fetches.shift();
    let next = batch ? fetchBatch(batch) : undefined;
    while (batch && next && !this.stopped) {
      const fetched = await next;
      const following = this.fetches.shift();
      next = following ? fetchBatch(following) : undefined;
      let left: string[] | undefined;
      if ("error" in fetched) {
        if (fetched.error instanceof RelayRefused && fetched.error.error.code === "unauthorized") {
          this.failed(fetched.error);
          return;
        }
        this.failed(fetched.error);
      } else {
        try {
          left = (await this.engine.adoptFrames(fetched.body)) as string[];
        } catch (e) {
          this.failed(e);
        }
      }
      const done = batch;
      this.act(() => this.sync.fetched(done, left));
      batch = following;
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
    if (!this.stopped) this.sync.failed(e instanceof Error ? e.message : String(e));
  }

  private async adoptProfileDocuments(): Promise<void> {
    // The user's grocery list and meal plan are the relay's documents: every device adopts them
    // once. The household (and its shared list) is asked for on every connection: an admin
    // adds and removes members while devices are offline.
    const me = await this.api<{ grocery_list_id: string | null; meal_plan_id?: string | null; household?: Household | null }>("api/v1/me");
    if (!this.profileDocsAdopted) {
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
    const household = me.household ?? null;
    if (household) {
      await this.host.pull(household.grocery_list_id);
      if (household.meal_plan_id) await this.host.pull(household.meal_plan_id);
    }
    await this.engine.useHousehold(JSON.stringify(household));
    // Recipes others share with this user: marked here, and a revoked one leaves the view.
    const incoming = await this.api<{ recipes: unknown[] }>("api/v1/shares/incoming");
    this.engine.useIncomingShares(JSON.stringify(incoming.recipes));
  }

  /** Follows the live feed for as long as the link runs, each entry handed to the policy; it
   *  says how long to wait before following the feed again. */
  private async followFeed(): Promise<void> {
    while (!this.stopped) {
      let error: string | null = null;
      try {
        await this.adoptProfileDocuments();
        if (!self.navigator.onLine) throw new Error("the browser is offline");
        this.stream = new AbortController();
        await followLiveFeed(
          this.session.server,
          this.session.token,
          this.sync.cursor(),
          () => this.sync.opened(),
          (entry) => this.act(() => this.sync.entry(entry)),
          () => this.act(() => this.sync.caughtUp()),
          AbortSignal.any([this.abort.signal, this.stream.signal]),
        );
      } catch (e) {
        if (this.stopped) return;
        if (e instanceof RelayRefused && e.error.code === "unauthorized") {
          this.onUnauthorized();
          return;
        }
        error = !self.navigator.onLine ? "the browser is offline" : e instanceof Error ? e.message : String(e);
      }
      if (this.stopped) return;
      const wait = this.sync.closed(error ?? undefined);
      await new Promise<void>((resume) => {
        const timer = setTimeout(resume, wait);
        this.wake = () => {
          clearTimeout(timer);
          resume();
        };
      });
    }
  }
}
