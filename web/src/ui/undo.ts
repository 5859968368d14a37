// The last undoable step the undo bar offers: a deleted recipe ("Undo" brings it back) or a
// restored version ("Undo" takes the restore back; core decides what that means).
export type Deleted = { kind: "delete"; id: string; title: string };
export type Restored = { kind: "restore"; id: string; title: string; previous: string; restored: string };
export type Undoable = Deleted | Restored;

let last: Undoable | null = null;
const listeners = new Set<() => void>();

export function setUndo(step: Undoable | null): void {
  last = step;
  for (const l of listeners) l();
}

export function lastUndoable(): Undoable | null {
  return last;
}

export function onUndoChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
