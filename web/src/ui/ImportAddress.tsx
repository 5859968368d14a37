// Import a recipe from a web page's address: the relay fetches the page (the browser cannot
// read another site), core makes the recipes on this device. Offline or signed out, it says so
// and offers to keep the address as a recipe of its own to fill in later.
import { useState } from "react";
import { LarderError, type ImportReport, type Recipe } from "../client";
import { errorMessage, useApp } from "./context";
import { ImportReportView, LINKED_RECIPES } from "./ImportReportView";

type Outcome =
  | { kind: "imported"; report: ImportReport; titles: Map<string, string> }
  | { kind: "kept"; recipe: Recipe }
  | { kind: "failed"; message: string; canKeepLink: boolean };

export function ImportAddress() {
  const { client } = useApp();
  const [address, setAddress] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const importIt = async () => {
    setBusy(true);
    setOutcome(null);
    try {
      const report = await client.importUrl(address);
      const titles = new Map<string, string>();
      for (const id of report.ids.slice(0, LINKED_RECIPES)) titles.set(id, (await client.getRecipe(id)).title);
      setOutcome({ kind: "imported", report, titles });
    } catch (e) {
      const needsRelay = e instanceof LarderError && (e.code === "unreachable" || e.code === "unauthorized");
      setOutcome({ kind: "failed", message: errorMessage(e), canKeepLink: needsRelay });
    } finally {
      setBusy(false);
    }
  };

  const keepLink = async () => {
    setBusy(true);
    try {
      setOutcome({ kind: "kept", recipe: await client.saveLink(address) });
    } catch (e) {
      setOutcome({ kind: "failed", message: errorMessage(e), canKeepLink: false });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="import-address" className="card">
      <h2 id="import-address">From a web page</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (address.trim()) void importIt();
        }}
      >
        <label>
          Recipe page address
          <input
            type="url"
            inputMode="url"
            autoComplete="url"
            placeholder="https://…"
            required
            value={address}
            disabled={busy}
            onChange={(e) => setAddress(e.target.value)}
          />
        </label>
        <button type="submit" disabled={busy || !address.trim()}>
          Import from address
        </button>
      </form>
      {busy && <p role="status">Fetching the page…</p>}
      {outcome?.kind === "failed" && (
        <div role="alert" className="error">
          <p>{outcome.message}</p>
          {outcome.canKeepLink && (
            <button type="button" onClick={() => void keepLink()} disabled={busy}>
              Keep the link as a recipe
            </button>
          )}
        </div>
      )}
      {outcome?.kind === "kept" && (
        <p role="status">
          Kept as <a href={`#/recipe/${outcome.recipe.id}`}>{outcome.recipe.title}</a>: import it from its address
          when online to fill it in.
        </p>
      )}
      {outcome?.kind === "imported" && (
        <ImportReportView report={outcome.report} source="the page" titles={outcome.titles} />
      )}
    </section>
  );
}
