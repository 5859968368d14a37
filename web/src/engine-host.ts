// Starting the engine from a page. The OPFS database allows one connection, so exactly one tab
// runs the engine worker: the one holding the "larder-engine" Web Lock. Every other tab uses
// the engine through that tab (requests, replies and change events over a BroadcastChannel),
// and takes the lock, starting its own worker, when that tab closes. There are never two
// writers. Requests in flight when the owning tab closes fail with a clear error (they may or
// may not have run), never run twice.
import { LarderClient, WorkerTransport } from "./client";
import type { Transport } from "./client/transport";
import type { ChangeEvent, Reply, Request } from "./generated/larder";

export const ENGINE_LOCK = "larder-engine";
const CHANNEL = "larder-engine";
export const SHARED_MESSAGE = "Larder is open in another tab; this tab uses it through that one.";

type TabMessage =
  | { kind: "request"; from: string; seq: number; request: Request }
  | { kind: "reply"; to: string; seq: number; reply: Reply }
  | { kind: "event"; event: ChangeEvent }
  | { kind: "ping" }
  | { kind: "owner-ready" };

/** The engine of this tab's worker when it owns the database, else the owning tab's. */
export class SharedEngineTransport implements Transport {
  private local: WorkerTransport | null = null;
  private readonly channel = new BroadcastChannel(CHANNEL);
  private readonly tabId = crypto.randomUUID();
  private seq = 0;
  private remote = new Map<number, (reply: Reply) => void>();
  private listeners = new Set<(event: ChangeEvent) => void>();
  private markReady: () => void = () => {};
  private markFailed: (e: Error) => void = () => {};
  /** Resolves once an engine (this tab's or the owner's) answers. */
  readonly ready: Promise<void>;

  constructor() {
    this.ready = new Promise((resolve, reject) => {
      this.markReady = resolve;
      this.markFailed = reject;
    });
    this.channel.onmessage = (event: MessageEvent<TabMessage>) => this.receive(event.data);
  }

  get ownsDatabase(): boolean {
    return this.local !== null;
  }

  /** This tab got the lock: from now on its own worker answers, for other tabs too. */
  own(worker: Worker): void {
    const local = new WorkerTransport(worker);
    this.local = local;
    for (const resolve of this.remote.values()) {
      resolve({
        err: { code: "internal", message: "the tab running Larder closed; please try again" },
      });
    }
    this.remote.clear();
    local.subscribe((event) => {
      this.emit(event);
      this.post({ kind: "event", event });
    });
    local.ready.then(
      () => {
        this.markReady();
        this.post({ kind: "owner-ready" });
      },
      (e: Error) => this.markFailed(e),
    );
  }

  /** Another tab owns the database: ask it whether its engine is ready. */
  share(): void {
    this.post({ kind: "ping" });
  }

  private post(message: TabMessage): void {
    this.channel.postMessage(message);
  }

  private emit(event: ChangeEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private receive(message: TabMessage): void {
    const local = this.local;
    switch (message.kind) {
      case "request":
        if (local) {
          void local.call(message.request).then((reply) =>
            this.post({ kind: "reply", to: message.from, seq: message.seq, reply }),
          );
        }
        break;
      case "reply":
        if (message.to === this.tabId) {
          this.remote.get(message.seq)?.(message.reply);
          this.remote.delete(message.seq);
        }
        break;
      case "event":
        if (!local) this.emit(message.event);
        break;
      case "ping":
        if (local) void local.ready.then(() => this.post({ kind: "owner-ready" }));
        break;
      case "owner-ready":
        if (!local) this.markReady();
        break;
    }
  }

  call(request: Request): Promise<Reply> {
    if (this.local) return this.local.call(request);
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.remote.set(seq, resolve);
      this.post({ kind: "request", from: this.tabId, seq, request });
    });
  }

  subscribe(listener: (event: ChangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export type EngineHost = {
  client: LarderClient;
  transport: SharedEngineTransport;
  /** Resolves once an engine answers (this tab's, or the owning tab's). */
  ready: Promise<void>;
  /** Whether this tab owned the database when it opened (it may take it over later). */
  ownsDatabase: Promise<boolean>;
};

export function startEngine(): EngineHost {
  const transport = new SharedEngineTransport();
  let owns: (value: boolean) => void = () => {};
  const ownsDatabase = new Promise<boolean>((resolve) => (owns = resolve));
  const start = () => {
    owns(true);
    transport.own(
      new Worker(new URL("./worker/engine-worker.ts", import.meta.url), {
        type: "module",
        name: "larder-engine",
      }),
    );
    // Held for the life of the page.
    return new Promise<void>(() => {});
  };
  void navigator.locks.request(ENGINE_LOCK, { ifAvailable: true }, (lock) => {
    if (lock) return start();
    owns(false);
    transport.share();
    void navigator.locks.request(ENGINE_LOCK, start);
    return undefined;
  });
  return { client: new LarderClient(transport), transport, ready: transport.ready, ownsDatabase };
}
