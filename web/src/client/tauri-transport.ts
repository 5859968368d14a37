// A Transport to larder-core running natively in the Tauri shells (desktop/, mobile/): every
// request is the shell's one `rpc` command (larder-shell), and change events arrive as the
// `larder://change` Tauri event. Tauri resolves a command with the `Response` or rejects with
// the typed `RpcError`; this only re-wraps that as the `Reply` every transport returns.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  ChangeEvent,
  Reply,
  Request,
  Response,
  RpcError,
  SyncStatusView,
} from "../generated/larder";
import type { Transport } from "./transport";

/** The shell's command and events (see shell/src/events.rs). */
export const RPC_COMMAND = "rpc";
export const CHANGE_EVENT = "larder://change";
export const SYNC_STATUS_EVENT = "larder://sync-status";

/** True inside a Tauri webview. */
export function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

export class TauriTransport implements Transport {
  async call(request: Request): Promise<Reply> {
    try {
      return { ok: await invoke<Response>(RPC_COMMAND, { request }) };
    } catch (error) {
      return { err: asRpcError(error) };
    }
  }

  subscribe(listener: (event: ChangeEvent) => void): () => void {
    return listenUntilStopped<ChangeEvent>(CHANGE_EVENT, listener);
  }

  /** Sync status as the shell's background sync reports it (pushed, no polling needed). */
  onSyncStatus(listener: (status: SyncStatusView) => void): () => void {
    return listenUntilStopped<SyncStatusView>(SYNC_STATUS_EVENT, listener);
  }
}

/** `listen` is asynchronous; stopping before it has started must still unlisten. */
function listenUntilStopped<T>(event: string, listener: (payload: T) => void): () => void {
  let stopped = false;
  let unlisten: UnlistenFn | null = null;
  listen<T>(event, (e) => listener(e.payload)).then(
    (stop) => {
      if (stopped) stop();
      else unlisten = stop;
    },
    (error) => console.error(`cannot listen to ${event}`, error),
  );
  return () => {
    stopped = true;
    unlisten?.();
  };
}

/** The shell rejects with an `RpcError`; anything else (IPC refused, a panic) is internal. */
function asRpcError(error: unknown): RpcError {
  if (
    typeof error === "object" &&
    error !== null &&
    typeof (error as RpcError).code === "string" &&
    typeof (error as RpcError).message === "string"
  ) {
    return error as RpcError;
  }
  return { code: "internal", message: typeof error === "string" ? error : String(error) };
}
