// Import recipes: from a web page's address (ImportAddress), or from a JSON-LD or HTML file
// (core parses them); shows what came in and core's warnings.
import { useState, useRef } from "react";
import type { ImportReport } from "../client";
import { errorMessage, useApp } from "./context";
import { useFocusOnMount } from "./hooks";
import { ImportAddress } from "./ImportAddress";

export function Import() {
  const { client } = useApp();
  const heading = useRef<HTMLHeadingElement>(null);
  useFocusOnMount(heading);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<{ file: string; report: ImportReport; titles: Map<string, string> } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = async (file: File) => {
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      const result = await client.importFile(file);
      const titles = new Map<string, string>();
      for (const id of result.ids) {
        titles.set(id, (await client.getRecipe(id)).title);
      }
      setReport({ file: file.name, report: result, titles });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="import">
      <h1 ref={heading} tabIndex={-1}>Import recipes</h1>
      <ImportAddress />
      <h2>From a file</h2>
      <p>Pick a recipe saved from the web: a JSON-LD file (schema.org Recipe) or an HTML page that contains one.</p>
      <label className="file-pick">
        Recipe file (JSON-LD or HTML)
        <input
          type="file"
          accept=".json,.jsonld,.html,.htm,application/ld+json,application/json,text/html"
          disabled={busy}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void run(file);
            e.target.value = "";
          }}
        />
      </label>
      {busy && <p role="status">Importing…</p>}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {report && (
        <section aria-labelledby="import-result" className="card">
          <h2 id="import-result">
            {report.report.ids.length === 1 ? "Imported 1 recipe" : `Imported ${report.report.ids.length} recipes`} from {report.file}
          </h2>
          <ul>
            {report.report.ids.map((id) => (
              <li key={id}>
                <a href={`#/recipe/${id}`}>{report.titles.get(id)}</a>
              </li>
            ))}
          </ul>
          {report.report.warnings.length > 0 && (
            <>
              <h3>Warnings</h3>
              <ul className="warnings">
                {report.report.warnings.map((w, i) => (
                  <li key={i}>{w}</li>
                ))}
              </ul>
            </>
          )}
        </section>
      )}
    </div>
  );
}
