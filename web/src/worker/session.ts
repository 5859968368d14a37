// Connecting the worker's repo to the relay: a one-time ticket for the sync websocket
// (`POST /api/v1/sync/ticket`, bound to the peer id `{user id}.{device id}`; a fresh one for
// every reconnection), automerge-repo's websocket adapter on `/sync?ticket=…`, and the relay's
// change feed (`/api/v1/changes`), polled for documents changed elsewhere, each pulled into the
// engine. On connecting, the engine adopts the user's grocery list (`/api/v1/me`).
import type { PeerId } from "@automerge/automerge-repo/slim";
import type { Engine } from "../engine-pkg/larder_web_engine.js";
import type { RepoHost } from "./repo-host";
import { TicketedWebSocketAdapter } from "./ticketed-adapter";

export type { SyncSession } from "../client/worker-transport";
import type { SyncSession } from "../client/worker-transport";

/** How often the change feed is asked for news while connected. */
const FEED_INTERVAL_MS = 1000;

export class SyncLink {
  private cursor = 0;
  private unpulled = new Set<string>();
  /** Each document's heads on the relay (sorted, ',' joined), from the change feed. */
  private relayHeads = new Map<string, string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  state: "offline" | "connecting" | "syncing" | "up_to_date" = "offline";
  lastError: string | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly host: RepoHost,
    private readonly session: SyncSession,
  ) {}

  private url(path: string): string {
    return new URL(path, this.session.server.replace(/\/?$/, "/")).toString();
  }

  private async api<T>(path: string, init?: RequestInit): Promise<T> {
    const response = await fetch(this.url(path), {
      ...init,
      headers: {
        authorization: `Bearer ${this.session.token}`,
        "content-type": "application/json",
      },
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.message ?? `the relay answered ${response.status}`);
    }
    return (await response.json()) as T;
  }

  async start(): Promise<void> {
    this.state = "connecting";
    const peerId = `${this.session.userId}.${this.engine.deviceId()}` as PeerId;
    const ticket = async () =>
      (
        await this.api<{ ticket: string }>("api/v1/sync/ticket", {
          method: "POST",
          body: JSON.stringify({ peer_id: peerId }),
        })
      ).ticket;
    const socketUrl = (t: string) => {
      const ws = new URL(this.url("sync"));
      ws.protocol = ws.protocol === "https:" ? "wss:" : "ws:";
      ws.searchParams.set("ticket", t);
      return ws.toString();
    };
    const adapter = new TicketedWebSocketAdapter(await ticket(), socketUrl, ticket);
    await this.host.connect(peerId, adapter);
    // The user's grocery list is the relay's document: every device adopts it.
    const me = await this.api<{ grocery_list_id: string | null }>("api/v1/me");
    if (me.grocery_list_id) {
      await this.host.pull(me.grocery_list_id);
      await this.engine.useGroceryList(me.grocery_list_id);
    }
    this.state = "syncing";
    await this.followFeed();
  }

  /** Documents whose state here is not the relay's (local changes waiting, or remote ones
   *  not merged yet). */
  pending(): number {
    return this.engine
      .documentIds()
      .filter((id) => this.engine.viewHeads(id) !== this.relayHeads.get(id)).length;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.state = "offline";
  }

  private async followFeed(): Promise<void> {
    try {
      for (;;) {
        const page = await this.api<{
          changes: { seq: number; doc_id: string; heads: string[] }[];
          cursor: number;
          more: boolean;
        }>(`api/v1/changes?since=${this.cursor}`);
        for (const change of page.changes) {
          this.relayHeads.set(change.doc_id, [...change.heads].sort().join(","));
        }
        // Documents whose view already has the relay's heads need nothing; those that could
        // not be pulled yet (the socket was down) are tried again.
        const ids = new Set(
          [...this.unpulled, ...page.changes.map((c) => c.doc_id)].filter(
            (id) => this.engine.viewHeads(id) !== this.relayHeads.get(id),
          ),
        );
        this.unpulled.clear();
        await Promise.all(
          [...ids].map((id) =>
            this.host.pull(id).catch((e: unknown) => {
              this.unpulled.add(id);
              this.lastError = String(e);
            }),
          ),
        );
        this.cursor = page.cursor;
        if (!page.more) break;
      }
      this.state = this.unpulled.size === 0 && this.pending() === 0 ? "up_to_date" : "syncing";
    } catch (e) {
      this.lastError = String(e);
      this.state = "offline";
    }
    this.timer = setTimeout(() => void this.followFeed(), FEED_INTERVAL_MS);
  }
}
