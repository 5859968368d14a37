// A Transport to the engine running in a dedicated worker (web/src/worker/engine-worker.ts):
// each request is posted with a sequence number and the reply with the same number resolves it.
import type { Reply, Request } from "../generated/larder";
import type { Transport } from "./transport";

/** Messages the page posts to the worker. */
export type ToWorker = { seq: number; request: Request };
/** Messages the worker posts back: a reply to `seq`, or the engine failing to start. */
export type FromWorker =
  | { seq: number; reply: Reply }
  | { ready: true }
  | { fatal: string };

export class WorkerTransport implements Transport {
  private seq = 0;
  private pending = new Map<number, (reply: Reply) => void>();
  private fatal: string | null = null;
  /** Resolves once the engine has opened its database (rejects if it cannot). */
  readonly ready: Promise<void>;

  constructor(private readonly worker: Worker) {
    let readyResolve: () => void = () => {};
    let readyReject: (e: Error) => void = () => {};
    this.ready = new Promise((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    worker.addEventListener("message", (event: MessageEvent<FromWorker>) => {
      const msg = event.data;
      if ("ready" in msg) {
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
    });
  }

  call(request: Request): Promise<Reply> {
    if (this.fatal !== null) {
      return Promise.resolve({ err: { code: "internal", message: this.fatal } });
    }
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.pending.set(seq, resolve);
      const message: ToWorker = { seq, request };
      this.worker.postMessage(message);
    });
  }
}
