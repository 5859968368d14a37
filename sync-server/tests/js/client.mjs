// A real JS automerge-repo device (@automerge/automerge-repo and its websocket client adapter,
// as the browser runs them) for the relay's protocol conformance tests, driven by a Rust test
// over stdin/stdout: one JSON request per line in, one JSON reply per line out (same `id`).
//
// Environment: LARDER_BASE (http://host:port), LARDER_TOKEN (a session token), LARDER_USER
// (the user id). The peer id is "{user}.{32 hex}", and every connection attempt first asks
// POST /api/v1/sync/ticket for a fresh one-time ticket (the relay refuses a used one).
//
// Requests (`find` replies {found: false, state, reason} when the relay says unavailable):
// {op: "hello"} waits until the relay is a connected peer; "create" {title},
// "edit" {doc, key, value}, "get" {doc}, "find" {doc}, "import" {doc, title, key, value}
// (a local document forged under an existing id), "wait_heads" {doc, heads, ms},
// "offline", "online", "status" ({connected, connections}: how many times the relay became
// a peer), "inbound" {doc} (every message the relay sent about it), "quit".
// Heads are automerge change hashes in hex, sorted. Any failure replies {id, error}; anything
// unexpected (an uncaught error) prints {fatal} and exits non-zero, so the test fails.
import { createInterface } from "node:readline";
import { randomBytes } from "node:crypto";
import * as A from "@automerge/automerge";
import { Repo, cbor } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

const base = process.env.LARDER_BASE;
const token = process.env.LARDER_TOKEN;
const user = process.env.LARDER_USER;
if (!base || !token || !user) {
  throw new Error("LARDER_BASE, LARDER_TOKEN and LARDER_USER are required");
}
const peerId = `${user}.${randomBytes(16).toString("hex")}`;

function out(value) {
  process.stdout.write(JSON.stringify(value) + "\n");
}
for (const event of ["uncaughtException", "unhandledRejection"]) {
  process.on(event, (err) => {
    out({ fatal: `${event}: ${err?.stack ?? err}` });
    process.exit(1);
  });
}

/** Every inbound message, summarised: {type, documentId, changes, heads} (sync data decoded). */
const inbound = [];

// The websocket client adapter, with a fresh ticket in its URL before every connection
// attempt (first connect, retries, reconnects) and a switch to take the device offline.
class TicketedAdapter extends WebSocketClientAdapter {
  #metadata;
  #fetching = false;
  #offline = false;

  constructor() {
    super(`${base.replace(/^http/, "ws")}/sync`, 200);
  }

  connect(id, metadata) {
    if (metadata !== undefined) this.#metadata = metadata;
    if (this.#offline || this.#fetching) return;
    this.#fetching = true;
    fetch(`${base}/api/v1/sync/ticket`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ peer_id: id }),
    })
      .then(async (res) => {
        if (res.status !== 200) throw new Error(`ticket: HTTP ${res.status}`);
        const { ticket } = await res.json();
        this.url = `${base.replace(/^http/, "ws")}/sync?ticket=${ticket}`;
      })
      .finally(() => {
        this.#fetching = false;
        if (!this.#offline) super.connect(id, this.#metadata);
      });
  }

  receiveMessage(bytes) {
    try {
      const m = cbor.decode(new Uint8Array(bytes));
      const seen = { type: m.type, documentId: m.documentId ?? null };
      if (m.data && (m.type === "sync" || m.type === "request")) {
        const s = A.decodeSyncMessage(m.data);
        seen.changes = s.changes.length;
        seen.heads = s.heads.length;
      }
      inbound.push(seen);
    } catch (e) {
      inbound.push({ type: "undecodable", error: String(e) });
    }
    super.receiveMessage(bytes);
  }

  offline() {
    this.#offline = true;
    this.disconnect();
  }

  online() {
    this.#offline = false;
    this.connect(peerId, this.#metadata);
  }
}

const adapter = new TicketedAdapter();
const repo = new Repo({ peerId, network: [adapter] });
let connected = false;
let connections = 0;
const waiters = new Set();
function notify() {
  for (const w of [...waiters]) w();
}
repo.networkSubsystem.on("peer", () => {
  connected = true;
  connections += 1;
  notify();
});
repo.networkSubsystem.on("peer-disconnected", () => {
  connected = false;
  notify();
});

/** Resolves once `cond()` holds (re-checked on every connection change and `also` event). */
function until(cond, ms, what, also) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!cond()) return;
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const cleanup = () => {
      clearTimeout(timer);
      waiters.delete(check);
      also?.off("heads-changed", check);
    };
    waiters.add(check);
    also?.on("heads-changed", check);
    check();
  });
}

const sortedHeads = (handle) => [...A.getHeads(handle.doc())].sort();
const handles = new Map();
function handleOf(doc) {
  const h = handles.get(doc);
  if (!h) throw new Error(`no handle for ${doc} on this device`);
  return h;
}
const snapshot = (h) => ({ heads: sortedHeads(h), content: JSON.parse(JSON.stringify(h.doc())) });

const ops = {
  async hello() {
    await until(() => connected, 10000, "the relay as a peer");
    return { peerId };
  },
  async create({ title }) {
    const h = repo.create({ title });
    handles.set(h.documentId, h);
    return { doc: h.documentId, ...snapshot(h) };
  },
  async edit({ doc, key, value }) {
    const h = handleOf(doc);
    h.change((d) => {
      d[key] = value;
    });
    return snapshot(h);
  },
  async get({ doc }) {
    return snapshot(handleOf(doc));
  },
  async find({ doc }) {
    try {
      const h = await repo.find(doc);
      handles.set(doc, h);
      return { found: true, ...snapshot(h) };
    } catch (e) {
      const state = repo.handles[doc]?.state ?? null;
      return { found: false, state, reason: String(e?.message ?? e) };
    }
  },
  async import({ doc, title, key, value }) {
    let forged = A.from({ title });
    forged = A.change(forged, (d) => {
      d[key] = value;
    });
    const h = repo.import(A.save(forged), { docId: doc });
    handles.set(doc, h);
    return snapshot(h);
  },
  async wait_heads({ doc, heads, ms }) {
    const h = handleOf(doc);
    const want = [...heads].sort().join(",");
    await until(() => sortedHeads(h).join(",") === want, ms ?? 10000, `heads ${want} of ${doc}`, h);
    return snapshot(h);
  },
  async offline() {
    adapter.offline();
    await until(() => !connected, 10000, "the connection to go");
    return {};
  },
  async online() {
    adapter.online();
    await until(() => connected, 10000, "the relay as a peer again");
    return {};
  },
  async status() {
    return { connected, connections };
  },
  async inbound({ doc }) {
    return { messages: inbound.filter((m) => m.documentId === doc) };
  },
  async quit() {
    adapter.offline();
    setImmediate(() => process.exit(0));
    return {};
  },
};

const lines = createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  let req;
  try {
    req = JSON.parse(line);
    const op = ops[req.op];
    if (!op) throw new Error(`unknown op ${req.op}`);
    out({ id: req.id, ...(await op(req)) });
  } catch (e) {
    out({ id: req?.id ?? null, error: String(e?.stack ?? e) });
  }
});
lines.on("close", () => process.exit(0));
