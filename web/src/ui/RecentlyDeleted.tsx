// "Recently deleted": recipes whose tombstone is set (core keeps them), newest first, each with
// Restore, which core undoes the delete with (same recipe, same id, files and all).
import { useRef, useState } from "react";
import type { DeletedRecipe } from "../client";
import { errorMessage, useApp } from "./context";
import { formatWhen } from "./History";
import { useFocusOnMount, useLoad } from "./hooks";

export function RecentlyDeleted() {
  const { client, changes } = useApp();
  const heading = useRef<HTMLHeadingElement>(null);
  useFocusOnMount(heading);
  const deleted = useLoad(() => client.recentlyDeleted(), [client, changes]);
  const list = deleted.value ?? [];
  return (
    <div className="more">
      <h1 ref={heading} tabIndex={-1}>
        Recently deleted
      </h1>
      {deleted.state === "failed" && (
        <p role="alert" className="error">
          {deleted.error}
        </p>
      )}
      {deleted.value && list.length === 0 && <p className="empty">No deleted recipes.</p>}
      <ul className="deleted-list" aria-label="Deleted recipes">
        {list.map((d) => (
          <DeletedRow key={d.summary.id} deleted={d} />
        ))}
      </ul>
    </div>
  );
}

function DeletedRow({ deleted }: { deleted: DeletedRecipe }) {
  const { client, navigate } = useApp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const restore = async () => {
    setBusy(true);
    setError(null);
    try {
      const recipe = await client.restoreRecipe(deleted.summary.id);
      navigate(`/recipe/${recipe.id}`);
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };
  return (
    <li className="card deleted">
      <strong>{deleted.summary.title}</strong>
      <span className="hint">Deleted {formatWhen(deleted.deleted_at)}</span>
      <button type="button" onClick={restore} disabled={busy} aria-label={`Restore “${deleted.summary.title}”`}>
        Restore
      </button>
      {error && (
        <span role="alert" className="error">
          {error}
        </span>
      )}
    </li>
  );
}
