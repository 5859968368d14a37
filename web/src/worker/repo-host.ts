// The JS half of the document bridge (web/engine/src/bridge.rs): the automerge-repo that holds a
// mirror of every document for the network. Changes made by the engine arrive through `create`
// and `change`; changes the repo receives from the relay go back to the engine
// (`applyRemote`), which merges them and refreshes its view. The repo is rebuilt when a session
// starts, since its peer id must be `{user id}.{device id}` (the relay binds tickets to it).
import {
  Automerge,
  type DocHandle,
  type DocHandleChangePayload,
  type DocumentId,
  type NetworkAdapterInterface,
  type PeerId,
  Repo,
} from "@automerge/automerge-repo/slim";
import type { Engine } from "../engine-pkg/larder_web_engine.js";
import { KvStorageAdapter } from "./kv-storage";

export class RepoHost {
  private repo: Repo;
  private handles = new Map<string, Promise<DocHandle<unknown>>>();
  /** Set while the engine's own change is applied to a handle, so it is not echoed back. */
  private applyingLocal = false;
  /** Failures of the bridge, for the sync status. */
  lastError: string | null = null;
  /** Documents the relay is not told of over the websocket: those a bulk upload is taking (and
   *  documents made here since the upload was last planned, until it is planned again). */
  private held = new Set<string>();
  /** While a link runs, new documents are held until the upload is planned. */
  private holdNew = false;

  constructor(private readonly engine: Engine) {
    this.repo = this.makeRepo(undefined, []);
  }

  private makeRepo(peerId: PeerId | undefined, network: NetworkAdapterInterface[]): Repo {
    return new Repo({
      peerId,
      network,
      storage: new KvStorageAdapter(this.engine),
      shareConfig: {
        announce: async (_peer, documentId) => !documentId || !this.held.has(documentId),
        access: async () => true,
      },
    });
  }

  /** Replaces the repo with one that syncs over `network` as `peerId`, and loads every stored
   *  document into it so the relay hears about all of them, except those a bulk upload takes
   *  (held): the relay gets them that way, and loading them would only delay it. */
  async connect(peerId: PeerId, network: NetworkAdapterInterface): Promise<void> {
    await this.replace(this.makeRepo(peerId, [network]));
    await Promise.all(
      this.engine
        .documentIds()
        .filter((id) => !this.held.has(id))
        .map((id) => this.handle(id).catch(() => undefined)),
    );
  }

  /** Back to a repo without network (signed out). */
  async disconnect(): Promise<void> {
    this.holdNew = false;
    this.held.clear();
    await this.replace(this.makeRepo(undefined, []));
  }

  /** From now on the websocket carries exactly the documents not in `ids` (a bulk upload takes
   *  those): documents held until now and not in `ids` are announced to the relay. */
  holdOnly(ids: Iterable<string>): void {
    const next = new Set(ids);
    const released = [...this.held].filter((id) => !next.has(id));
    this.held = next;
    this.holdNew = true;
    this.release(released);
  }

  /** `ids` are on the relay (a bulk upload stored them): no longer held; those the repo has
   *  loaded are announced (their exchange carries no document), the rest stay unloaded until
   *  used. */
  settled(ids: Iterable<string>): void {
    let released = false;
    for (const id of ids) released = this.held.delete(id) || released;
    if (released) this.repo.shareConfigChanged();
  }

  /** `ids` go over the websocket after all (their bulk upload failed): loaded and announced. */
  release(ids: Iterable<string>): void {
    const list = [...ids];
    if (list.length === 0) return;
    for (const id of list) this.held.delete(id);
    this.repo.shareConfigChanged();
    for (const id of list) void this.handle(id).catch(() => undefined);
  }

  private async replace(repo: Repo): Promise<void> {
    const old = this.repo;
    this.repo = repo;
    this.handles.clear();
    // Only loaded documents have anything to save (the repo's own flush would fail on one
    // still being fetched); the engine has already stored every local change itself.
    const loaded = Object.values(old.handles)
      .filter((handle) => handle.isReady())
      .map((handle) => handle.documentId);
    await old.flush(loaded).catch((e: unknown) => {
      this.lastError = String(e);
    });
    await old.shutdown().catch(() => undefined);
  }

  /** The repo's handle of `id`, found (from storage or the network) once. */
  handle(id: string): Promise<DocHandle<unknown>> {
    let found = this.handles.get(id);
    if (!found) {
      found = this.repo.find<unknown>(id as DocumentId).then((handle) => {
        this.watch(handle);
        return handle;
      });
      found.catch(() => this.handles.delete(id));
      this.handles.set(id, found);
    }
    return found;
  }

  /** Brings a document the relay reports as changed into the engine. */
  async pull(id: string): Promise<void> {
    const handle = await this.handle(id);
    await this.engine.applyRemote(id, Automerge.save(handle.doc() as Automerge.Doc<unknown>));
  }

  private watch(handle: DocHandle<unknown>): void {
    const id = handle.documentId;
    handle.on("change", ({ doc, patchInfo }: DocHandleChangePayload<unknown>) => {
      if (this.applyingLocal) return;
      const bytes = Automerge.saveSince(doc, Automerge.getHeads(patchInfo.before));
      if (bytes.byteLength === 0) return;
      this.engine.applyRemote(id, bytes).catch((e: unknown) => {
        this.lastError = String(e);
        console.warn("applying a remote change failed", id, e);
      });
    });
  }

  // ----- called by the engine (Rust), synchronously -----

  create(bytes: Uint8Array): string {
    const handle = this.repo.import<unknown>(bytes.slice());
    // Announced once the upload is planned: one of many (an import) goes in bulk.
    if (this.holdNew) this.held.add(handle.documentId);
    this.watch(handle);
    this.handles.set(handle.documentId, Promise.resolve(handle));
    return handle.documentId;
  }

  change(docId: string, bytes: Uint8Array): void {
    const copy = bytes.slice();
    this.handle(docId)
      .then((handle) => {
        this.applyingLocal = true;
        try {
          handle.update((doc) => Automerge.loadIncremental(doc, copy));
        } finally {
          this.applyingLocal = false;
        }
      })
      .catch((e: unknown) => {
        // The engine already stored the change; the repo loads it with the document later.
        this.lastError = String(e);
      });
  }
}
