// Sharing one recipe: who it is shared with now (each share that covers it, revocable), and a
// form to share it with a user or a household, read-only or editable. The relay keeps the
// shares; the shell asks it (client.shares), so this needs the relay to be reachable.
import { type FormEvent, useEffect, useState } from "react";
import type { ShareMode, ShareView } from "../client";
import { errorMessage, useApp } from "./context";

export function ShareDialog({ recipeId, title, onClose }: { recipeId: string; title: string; onClose: () => void }) {
  const { client } = useApp();
  const [shares, setShares] = useState<ShareView[] | null>(null);
  const [kind, setKind] = useState<"user" | "household">("user");
  const [name, setName] = useState("");
  const [mode, setMode] = useState<ShareMode>("read");
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  useEffect(() => {
    client
      .shares({ action: "list" })
      .then(setShares)
      .catch((e) => setError(errorMessage(e)));
  }, [client]);

  const covering = (shares ?? []).filter((s) => s.all_recipes || s.recipes?.includes(recipeId));
  const share = async (event: FormEvent) => {
    event.preventDefault();
    const who = name.trim();
    if (!who) return;
    setError(null);
    setMessage(null);
    try {
      const target = kind === "user" ? { user: who } : { household: who };
      setShares(await client.shares({ action: "create", recipes: [recipeId], all_recipes: false, with: target, mode }));
      setMessage(`Shared “${title}” with ${who}${mode === "read" ? " (read-only)" : ""}.`);
      setName("");
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const revoke = async (s: ShareView) => {
    setError(null);
    setMessage(null);
    try {
      setShares(await client.shares({ action: "revoke", id: s.id }));
      setMessage(`${s.with.name} no longer has access through that share.`);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <section className="share-dialog" aria-labelledby="share-h">
      <h2 id="share-h">Share “{title}”</h2>
      {shares && covering.length === 0 && <p>Only you can see this recipe.</p>}
      {covering.length > 0 && (
        <ul className="shares" aria-label="Who has access">
          {covering.map((s) => (
            <li key={s.id}>
              <span>
                {s.with.name} ({s.with.kind}) · {s.mode === "edit" ? "can change it" : "read-only"}
                {s.all_recipes && " · all your recipes"}
              </span>{" "}
              <button type="button" onClick={() => revoke(s)}>
                Revoke {s.with.name}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={share}>
        <fieldset>
          <legend>Share with</legend>
          <label>
            <input type="radio" name="share-kind" checked={kind === "user"} onChange={() => setKind("user")} /> A user
          </label>
          <label>
            <input type="radio" name="share-kind" checked={kind === "household"} onChange={() => setKind("household")} /> A household
          </label>
        </fieldset>
        <label>
          {kind === "user" ? "User name" : "Household name"}
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          <input type="checkbox" checked={mode === "edit"} onChange={(e) => setMode(e.target.checked ? "edit" : "read")} /> They can change it
        </label>
        <div className="actions">
          <button type="submit" className="primary">
            Share
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </form>
      {message && (
        <p role="status" className="ok">
          {message}
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}
