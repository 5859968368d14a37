// The Transport a LarderClient sends requests over: the wasm worker in the browser, Tauri
// commands in the apps. A transport moves JSON-shaped values; it knows nothing of the domain.
import type { ChangeEvent, Reply, Request } from "../generated/larder";

export interface Transport {
  /** Sends one request to the engine and resolves with its reply. */
  call(request: Request): Promise<Reply>;
  /** Calls `listener` with every change event (local writes and synced changes) until the
   *  returned function is called. */
  subscribe(listener: (event: ChangeEvent) => void): () => void;
}
