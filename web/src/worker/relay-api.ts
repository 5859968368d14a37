// Calls to the relay's HTTP API from the worker: JSON requests with the session's bearer token,
// and failures turned into typed errors (RelayRefused) carrying the relay's own message.
import type { CalendarAction, CalendarLink, RpcError, ShareAction, ShareView } from "../generated/larder";

/** Where the relay is and the session token to show it. */
export type RelayAddress = { server: string; token: string };

export class RelayRefused extends Error {
  constructor(readonly error: RpcError) {
    super(error.message);
  }
}

/** Calls the relay's API; failures become typed errors with the relay's own message. */
export async function relayCall<T>(
  server: string,
  path: string,
  init: RequestInit,
  token?: string,
): Promise<T> {
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
  // 204 No Content (a DELETE) has no body to read.
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** The meal plan's calendar feed, which the relay keeps (`/api/v1/plan/calendar`): its state, a
 *  new address (the relay's base address joined with the path it answers, shown only now), or
 *  revoking it. */
export async function planCalendar(address: RelayAddress, action: CalendarAction): Promise<CalendarLink> {
  const path = "api/v1/plan/calendar";
  switch (action) {
    case "status": {
      const state = await relayCall<{ active: boolean; created_at: number | null }>(
        address.server,
        path,
        { method: "GET" },
        address.token,
      );
      return { active: state.active, url: null, created_at: state.created_at };
    }
    case "create": {
      const made = await relayCall<{ path: string; created_at: number }>(
        address.server,
        path,
        { method: "POST" },
        address.token,
      );
      const url = new URL(made.path.replace(/^\/+/, ""), `${address.server}/`).toString();
      return { active: true, url, created_at: made.created_at };
    }
    case "revoke":
      await relayCall<undefined>(address.server, path, { method: "DELETE" }, address.token);
      return { active: false, url: null, created_at: null };
  }
}

/** The user's recipe shares, which the relay keeps (`/api/v1/shares`): `action` done, then
 *  the list as it stands. */
export async function shares(address: RelayAddress, action: ShareAction): Promise<ShareView[]> {
  const path = "api/v1/shares";
  if (action.action === "create") {
    const { recipes, all_recipes, with: target, mode } = action;
    const body = JSON.stringify({ recipes: recipes ?? undefined, all_recipes, with: target, mode });
    await relayCall(address.server, path, { method: "POST", body }, address.token);
  } else if (action.action === "revoke") {
    await relayCall(address.server, `${path}/${encodeURIComponent(action.id)}`, { method: "DELETE" }, address.token);
  }
  const list = await relayCall<{ shares: ShareView[] }>(address.server, path, { method: "GET" }, address.token);
  return list.shares;
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

/** Many documents' saved bytes at once (`POST /api/v1/docs/fetch`): the answer's frames, whole
 *  (a batch is a few MiB at most), for the engine to adopt. */
export async function fetchDocuments(address: RelayAddress, ids: string[]): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(new URL("api/v1/docs/fetch", `${address.server}/`), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${address.token}` },
      body: JSON.stringify({ docs: ids }),
    });
  } catch (e) {
    throw new RelayRefused({ code: "unreachable", message: `cannot reach ${address.server}: ${String(e)}` });
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    throw new RelayRefused({
      code: response.status === 401 ? "unauthorized" : "unreachable",
      message: body.message ?? `the relay answered ${response.status} to a bulk fetch`,
    });
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** The relay's answer to a bulk upload: what it stored (durable, in its change feed), refused. */
export type UploadAnswer = {
  stored: { doc_id: string; heads: string[] }[];
  unavailable: string[];
  invalid: { doc_id: string; reason: string }[];
};

/** Sends a batch of documents in bulk (`POST /api/v1/docs/upload`): `body` is core's frames
 *  (`engine.nextUploadBatch`). Resolves with the relay's answer once they are durable. */
export async function uploadDocuments(address: RelayAddress, body: Uint8Array): Promise<UploadAnswer> {
  let response: Response;
  try {
    response = await fetch(new URL("api/v1/docs/upload", `${address.server}/`), {
      method: "POST",
      headers: { "content-type": "application/vnd.larder.docs", authorization: `Bearer ${address.token}` },
      body: body as BodyInit,
    });
  } catch (e) {
    throw new RelayRefused({ code: "unreachable", message: `cannot reach ${address.server}: ${String(e)}` });
  }
  if (!response.ok) {
    const answer = (await response.json().catch(() => ({}))) as { message?: string };
    throw new RelayRefused({
      code: response.status === 401 ? "unauthorized" : "invalid",
      message: answer.message ?? `the relay answered ${response.status} to a bulk upload`,
    });
  }
  return (await response.json()) as UploadAnswer;
}
