// Starting the engine from a page. The OPFS database allows one connection, so exactly one tab
// runs the engine worker: the one holding the "larder-engine" Web Lock. Any other tab waits for
// the lock (showing why) and takes over when the owner closes; there are never two writers.
import { LarderClient, WorkerTransport } from "./client";

export const ENGINE_LOCK = "larder-engine";
export const WAITING_MESSAGE =
  "Larder is open in another tab. Close it there to use it here; this tab takes over then.";

export type EngineHost = {
  client: LarderClient;
  transport: WorkerTransport;
  /** Resolves once this tab owns the database and the engine is running. */
  ready: Promise<void>;
  /** Resolves with false at once if another tab owns the database (this tab then waits). */
  ownsDatabase: Promise<boolean>;
};

export function startEngine(): EngineHost {
  let owns: (value: boolean) => void = () => {};
  const ownsDatabase = new Promise<boolean>((resolve) => (owns = resolve));
  const worker = new Promise<Worker>((granted) => {
    const start = () => {
      owns(true);
      granted(
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
      void navigator.locks.request(ENGINE_LOCK, start);
      return undefined;
    });
  });
  const transport = new WorkerTransport(worker);
  return { client: new LarderClient(transport), transport, ready: transport.ready, ownsDatabase };
}
