// The signed-in session and the link to the relay.
//
// - `signIn`: `POST /api/v1/session`, then `GET /api/v1/me`; the session is kept in the database
//   (same shape as the native client's), so a reload resumes syncing.
// - `SyncLink`: automerge-repo's websocket adapter on `/sync?ticket=…` (a fresh one-time ticket,
//   bound to the peer id `{user id}.{device id}`, for every connection), the user's grocery
//   list adopted, and the relay's change feed (`/api/v1/changes`) polled for documents changed
//   elsewhere, each pulled into the engine unless its view already has the relay's heads. A
//   rejected session (401) signs the device out; local data and edits stay.
import type { PeerId } from "@automerge/automerge-repo/slim";
import type { Engine } from "../engine-pkg/larder_web_engine.js";
import type { RpcError, SessionView } from "../generated/larder";
import type { RepoHost } from "./repo-host";
import { TicketedWebSocketAdapter } from "./ticketed-adapter";

/** The stored session (the native client's `sync::session::Session`). */
export type StoredSession = {
  server: string;
  token: string;
  user_id: string;
  user_name: string;
  grocery_list_id: string | null;
};

/** How often the change feed is asked for news while connected. */
const FEED_INTERVAL_MS = 1000;

export class RelayRefused extends Error {
  constructor(readonly error: RpcError) {
    super(error.message);
  }
}

/** Calls the relay's API; failures become typed errors with the relay's own message. */
async function relayCall<T>(server: string, path: string, init: RequestInit, token?: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(new URL(path, `${server}/`), {
      ...init,
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
    });
  } catch (e) {
    throw new RelayRefused({ code: "unreachable", message: `cannot reach ${server}: ${String(e)}` });
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    const message = body.message ?? `the relay answered ${response.status}`;
    const code =
      response.status === 401 ? "unauthorized" : response.status === 429 ? "rate_limited" : "invalid";
    throw new RelayRefused({ code, message });
  }
  return (await response.json()) as T;
}

/** The relay's base address without a trailing slash; only http(s). */
export function normaliseServer(server: string): string {
  let url: URL;
  try {
    url = new URL(server.trim());
  } catch {
    throw new RelayRefused({ code: "invalid", message: `not a relay address: ${server}` });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new RelayRefused({ code: "invalid", message: `not an http(s) address: ${server}` });
  }
  return url.toString().replace(/\/+$/, "");
}

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
  private groceryAdopted = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  state: "offline" | "connecting" | "syncing" | "up_to_date" = "offline";
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

  /** Connects (without waiting for the network: offline, it keeps trying). */
  async start(): Promise<void> {
    this.state = "connecting";
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
    await this.host.connect(peerId, new TicketedWebSocketAdapter(socketUrl, ticket));
    void this.followFeed();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.state = "offline";
    await this.host.disconnect();
  }

  /** Documents whose state here is not the relay's (local changes waiting, or remote ones
   *  not merged yet). */
  pending(): number {
    return this.engine
      .documentIds()
      .filter((id) => this.engine.viewHeads(id) !== this.relayHeads.get(id)).length;
  }

  private async adoptGroceryList(): Promise<void> {
    if (this.groceryAdopted) return;
    // The user's grocery list is the relay's document: every device adopts it.
    const me = await this.api<{ grocery_list_id: string | null }>("api/v1/me");
    if (me.grocery_list_id) {
      await this.host.pull(me.grocery_list_id);
      await this.engine.useGroceryList(me.grocery_list_id);
    }
    this.groceryAdopted = true;
  }

  private async followFeed(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.adoptGroceryList();
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
      if (e instanceof RelayRefused && e.error.code === "unauthorized") {
        this.onUnauthorized();
        return;
      }
      this.lastError = e instanceof Error ? e.message : String(e);
      this.state = "offline";
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.followFeed(), FEED_INTERVAL_MS);
  }
}
