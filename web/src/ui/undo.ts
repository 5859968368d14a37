// The last deleted recipe, for the "Undo" the search screen offers after a delete.
export type Deleted = { id: string; title: string };

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
