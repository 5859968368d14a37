// After a delete: "Deleted “X”. Undo". core has no undelete, so the undo re-creates the recipe
// from its last draft and re-attaches its files (a new id).
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
      const recipe = await client.createRecipe(deleted.draft);
      for (const { attachment, bytes } of deleted.files) {
        if (!bytes) continue;
        const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: attachment.media_type });
        await client.attachFile(recipe.id, blob, attachment.file_name);
      }
      setUndo(null);
      navigate(`/recipe/${recipe.id}`);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const lost = deleted.files.filter((f) => !f.bytes).map((f) => f.attachment.file_name);
  return (
    <div className="undo" role="status">
      <span>Deleted “{deleted.title}”.</span>
      <button type="button" onClick={undo} disabled={busy}>
        Undo
      </button>
      <button type="button" aria-label="Dismiss" onClick={() => setUndo(null)}>
        ×
      </button>
      {lost.length > 0 && <span className="hint">Files not on this device cannot come back: {lost.join(", ")}</span>}
      {error && (
        <span role="alert" className="error">
          {error}
        </span>
      )}
    </div>
  );
}
