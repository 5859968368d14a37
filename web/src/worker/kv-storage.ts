// automerge-repo's storage adapter over the engine's SQLite key/value table (the same table the
// native samod store uses), so one OPFS database holds documents, the view and the index.
import type { Chunk, StorageAdapterInterface, StorageKey } from "@automerge/automerge-repo/slim";
import type { Engine } from "../engine-pkg/larder_web_engine.js";

export class KvStorageAdapter implements StorageAdapterInterface {
  constructor(private readonly engine: Engine) {}

  async load(key: StorageKey): Promise<Uint8Array | undefined> {
    return this.engine.kvLoad(key);
  }
  async save(key: StorageKey, data: Uint8Array): Promise<void> {
    this.engine.kvSave(key, data);
  }
  async remove(key: StorageKey): Promise<void> {
    this.engine.kvRemove(key);
  }
  async loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    return this.engine.kvLoadRange(keyPrefix) as Chunk[];
  }
  async removeRange(keyPrefix: StorageKey): Promise<void> {
    this.engine.kvRemoveRange(keyPrefix);
  }
}
