// After a delete: "Deleted “X”. Undo" — core restores the recipe (same id, files and all).
import { useEffect, useState } from "react";
import { errorMessage, useApp } from "./context";
import { lastDeleted, onUndoChange, setUndo } from "./undo";

export function UndoBar() {
  const { client, navigate } = useApp();
  const [deleted, setDeleted] = useState(lastDeleted);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => onUndoChange(() => setDeleted(lastDeleted())), []);
  if (!deleted) return null;

  const undo = async () => {
    setBusy(true);
    setError(null);
    try {
      const recipe = await client.restoreRecipe(deleted.id);
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
      <span>Deleted “{deleted.title}”.</span>
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
