// A Transport to the engine running in a dedicated worker (web/src/worker/engine-worker.ts):
// each request is posted with a sequence number and the reply with the same number resolves it.
import type { ChangeEvent, Reply, Request } from "../generated/larder";
import type { Transport } from "./transport";

/** Messages the page posts to the worker: one API request. */
export type ToWorker = { seq: number; request: Request };
/** Messages the worker posts back: a reply to `seq`, a change event, or the engine failing
 *  to start. */
export type FromWorker =
  | { seq: number; reply: Reply }
  | { event: ChangeEvent }
  | { ready: true }
  | { fatal: string };

export class WorkerTransport implements Transport {
  private seq = 0;
  private pending = new Map<number, (reply: Reply) => void>();
  private fatal: string | null = null;
  private listeners = new Set<(event: ChangeEvent) => void>();
  /** Resolves once the engine has opened its database (rejects if it cannot). */
  readonly ready: Promise<void>;

  private worker: Promise<Worker>;

  /** `worker` may come later (the page waits for the database lock first); requests wait. */
  constructor(worker: Worker | Promise<Worker>) {
    this.worker = Promise.resolve(worker);
    let readyResolve: () => void = () => {};
    let readyReject: (e: Error) => void = () => {};
    this.ready = new Promise((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    this.worker.then((w) => w.addEventListener("message", (event: MessageEvent<FromWorker>) => {
      const msg = event.data;
      if ("event" in msg) {
        for (const listener of this.listeners) listener(msg.event);
      } else if ("ready" in msg) {
        readyResolve();
      } else if ("fatal" in msg) {
        this.fatal = msg.fatal;
        readyReject(new Error(msg.fatal));
        for (const resolve of this.pending.values()) {
          resolve({ err: { code: "internal", message: msg.fatal } });
        }
        this.pending.clear();
      } else {
        const resolve = this.pending.get(msg.seq);
        this.pending.delete(msg.seq);
        resolve?.(msg.reply);
      }
    }));
  }

  call(request: Request): Promise<Reply> {
    if (this.fatal !== null) {
      return Promise.resolve({ err: { code: "internal", message: this.fatal } });
    }
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.pending.set(seq, resolve);
      const message: ToWorker = { seq, request };
      void this.worker.then((w) => w.postMessage(message));
    });
  }

  subscribe(listener: (event: ChangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
