// Import recipes: from a web page's address (ImportAddress, fetched by the relay), or from a
// file: another app's export (Paprika, Mealie, Tandoor, Nextcloud Cookbook, RecipeSage), a
// Larder export, a saved web page or JSON-LD, or a text/Markdown recipe. Core reads the format
// from the content; the report (ImportReportView) shows what came in.
import { useEffect, useState, useRef } from "react";
import type { ImportReport, ImportStage } from "../client";
import { errorMessage, useApp } from "./context";
import { useFocusOnMount } from "./hooks";
import { ImportAddress } from "./ImportAddress";
import { ImportReportView, LINKED_RECIPES } from "./ImportReportView";

/** What the file picker offers; core decides by content, so this only guides the picker. */
const ACCEPT = [
  ".paprikarecipes",
  ".paprikarecipe",
  ".zip",
  ".json",
  ".jsonld",
  ".html",
  ".htm",
  ".txt",
  ".md",
  ".markdown",
  "application/zip",
  "application/ld+json",
  "application/json",
  "text/html",
  "text/plain",
  "text/markdown",
].join(",");

export function Import() {
  const { client } = useApp();
  const heading = useRef<HTMLHeadingElement>(null);
  useFocusOnMount(heading);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<{ file: string; report: ImportReport; titles: Map<string, string> } | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** How far a long import got, as core reports it. */
  const [progress, setProgress] = useState<{ stage: ImportStage; done: number; total: number } | null>(null);
  useEffect(
    () =>
      client.onChange((event) => {
        if (event.kind === "import_progress") setProgress({ stage: event.stage, done: event.done, total: event.total });
      }),
    [client],
  );

  const run = async (name: string, importing: () => Promise<ImportReport>) => {
    setBusy(true);
    setError(null);
    setReport(null);
    setProgress(null);
    try {
      const result = await importing();
      const titles = new Map<string, string>();
      for (const id of result.ids.slice(0, LINKED_RECIPES)) {
        titles.set(id, (await client.getRecipe(id)).title);
      }
      setReport({ file: name, report: result, titles });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
      setProgress(null);
    }
  };

  return (
    <div className="import">
      <h1 ref={heading} tabIndex={-1}>Import recipes</h1>
      <ImportAddress />
      <h2>From a file</h2>
      <p>
        Bring your recipes from another app: a Larder export, a Paprika export (.paprikarecipes), a Mealie, Tandoor or Nextcloud
        Cookbook export (.zip, or its folder) or a RecipeSage JSON-LD export. A recipe saved from the web (an HTML page or a JSON-LD
        file) or written as text or Markdown, with &ldquo;Ingredients&rdquo; and &ldquo;Steps&rdquo; headings, works
        too. Importing the same export again adds only the recipes that are new.
      </p>
      <label className="file-pick">
        Recipe file or export
        <input
          type="file"
          accept={ACCEPT}
          disabled={busy}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void run(file.name, () => client.importFile(file));
            e.target.value = "";
          }}
        />
      </label>
      <label className="file-pick">
        Or a folder (a Nextcloud Cookbook folder)
        <input
          type="file"
          // A folder picker: every file under the chosen folder, with its path inside it.
          {...{ webkitdirectory: "" }}
          multiple
          disabled={busy}
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            const folder = files[0]?.webkitRelativePath.split("/")[0] ?? "folder";
            if (files.length > 0) void run(folder, () => client.importFolder(files));
            e.target.value = "";
          }}
        />
      </label>
      {busy && (
        <div role="status" className="import-progress">
          {progress ? (
            <>
              <label>
                {progress.stage === "recipes" ? "Making recipes" : "Attaching photos"}: {progress.done.toLocaleString()} of{" "}
                {progress.total.toLocaleString()}
                <progress max={progress.total} value={progress.done} />
              </label>
            </>
          ) : (
            <p>Importing…</p>
          )}
        </div>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {report && <ImportReportView report={report.report} source={report.file} titles={report.titles} />}
    </div>
  );
}
