// "More": the account (who, which relay), whether the browser keeps this device's data, import,
// recently deleted recipes, export, and sign out — optionally removing this device's data.
import { type FormEvent, useState, useRef } from "react";
import type { SessionView } from "../client";
import { errorMessage, useApp } from "./context";
import { ExportAll } from "./ExportAll";
import { useFocusOnMount } from "./hooks";

export function More({
  session,
  dataKept,
  onSignedOut,
}: {
  session: SessionView;
  /** Whether the browser keeps this device's data; null where it is not the browser's call. */
  dataKept: boolean | null;
  onSignedOut: () => void;
}) {
  const { client } = useApp();
  const heading = useRef<HTMLHeadingElement>(null);
  useFocusOnMount(heading);
  const [removeData, setRemoveData] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const signOut = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await client.signOut(removeData);
      location.hash = "/";
      onSignedOut();
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  return (
    <div className="more">
      <h1 ref={heading} tabIndex={-1}>More</h1>
      <section className="card" aria-labelledby="account-h">
        <h2 id="account-h">Account</h2>
        <p>
          Signed in as <strong>{session.user_name}</strong> on {session.server}
        </p>
        <form onSubmit={signOut}>
          <label className="check">
            <input type="checkbox" checked={removeData} onChange={(e) => setRemoveData(e.target.checked)} />
            Also remove this device’s data
          </label>
          <p className="hint">
            {removeData
              ? "Recipes, files and the grocery list are erased from this device; they stay on your other devices and the server, except changes not yet synced."
              : "Your recipes stay on this device and are there when you sign in again."}
          </p>
          {error && (
            <p role="alert" className="error">
              {error}
            </p>
          )}
          <button type="submit" className="danger" disabled={busy}>
            Sign out
          </button>
        </form>
      </section>
      {dataKept !== null && (
        <section className="card" aria-labelledby="device-h">
          <h2 id="device-h">This device</h2>
          <p className="hint">
            {dataKept
              ? "This browser keeps Larder’s data on this device, even when storage runs low."
              : `This browser may clear Larder’s data from this device when storage runs low. What has synced stays safe on ${session.server}; installing Larder as an app usually lets the browser keep it here too.`}
          </p>
        </section>
      )}
      <section className="card" aria-labelledby="import-h">
        <h2 id="import-h">Import</h2>
        <p>
          <a href="#/import">Import recipes from a web page or a file</a>
        </p>
      </section>
      <section className="card" aria-labelledby="deleted-h">
        <h2 id="deleted-h">Recently deleted</h2>
        <p>
          <a href="#/deleted">Recently deleted recipes</a>
        </p>
      </section>
      <ExportAll />
    </div>
  );
}
