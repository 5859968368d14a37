// "Export all recipes": core writes every recipe and its attachments into Larder's own zip,
// which the browser saves as a download; importing that file (here or in a fresh profile)
// brings everything back.
import { useState } from "react";
import { errorMessage, useApp } from "./context";

export function ExportAll() {
  const { client } = useApp();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = async () => {
    setBusy(true);
    setDone(null);
    setError(null);
    try {
      const { fileName, bytes, summary } = await client.exportAll();
      const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: "application/zip" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = fileName;
      link.click();
      // The download has its own copy once it starts; let the next task release ours.
      setTimeout(() => URL.revokeObjectURL(url), 0);
      const missing =
        summary.missing_attachments > 0
          ? ` ${summary.missing_attachments} attachment(s) are not on this device yet and were left out: open them once while online, then export again.`
          : "";
      setDone(
        `Saved ${fileName}: ${summary.recipes} recipe(s) and ${summary.attachments} attachment(s).${missing}`,
      );
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="export-h">
      <h2 id="export-h">Export</h2>
      <p>Every recipe with its photos and files in one zip, readable by other apps (schema.org JSON-LD) and imported back by Larder as it was.</p>
      <button type="button" onClick={() => void run()} disabled={busy}>
        Export all recipes
      </button>
      {busy && <p role="status">Exporting…</p>}
      {done && <p role="status">{done}</p>}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}
