// The last deleted recipe, for the "Undo" the search screen offers after a delete.
import type { Attachment, RecipeDraft } from "../client";

export type Deleted = {
  title: string;
  draft: RecipeDraft;
  files: { attachment: Attachment; bytes: Uint8Array | null }[];
};

let last: Deleted | null = null;
const listeners = new Set<() => void>();

export function setUndo(deleted: Deleted | null): void {
  last = deleted;
  for (const l of listeners) l();
}

export function lastDeleted(): Deleted | null {
  return last;
}

export function onUndoChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
