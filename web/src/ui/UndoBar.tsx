// After a delete: "Deleted “X”. Undo" — core restores the recipe (same id, files and all).
// After restoring a version: "Restored an earlier version of “X”. Undo" — core takes the restore
// back. Each screen shows the kind it is about (`kind`), for recipe `id` when given.
import { useEffect, useState } from "react";
import { errorMessage, useApp } from "./context";
import { type Undoable, lastUndoable, onUndoChange, setUndo } from "./undo";

export function UndoBar({ kind, id }: { kind: Undoable["kind"]; id?: string }) {
  const { client, navigate } = useApp();
  const [step, setStep] = useState(lastUndoable);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => onUndoChange(() => setStep(lastUndoable())), []);
  if (!step || step.kind !== kind || (id !== undefined && step.id !== id)) return null;

  const undo = async () => {
    setBusy(true);
    setError(null);
    try {
      const recipe =
        step.kind === "delete"
          ? await client.restoreRecipe(step.id)
          : await client.undoRestore(step.id, step.previous, step.restored);
      setUndo(null);
      navigate(`/recipe/${recipe.id}`);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="undo" role="status">
      <span>
        {step.kind === "delete" ? `Deleted “${step.title}”.` : `Restored an earlier version of “${step.title}”.`}
      </span>
      <button type="button" onClick={undo} disabled={busy}>
        Undo
      </button>
      <button type="button" aria-label="Dismiss" onClick={() => setUndo(null)}>
        ×
      </button>
      {error && (
        <span role="alert" className="error">
          {error}
        </span>
      )}
    </div>
  );
}
