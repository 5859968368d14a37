// What an import did, as core reported it: the format the file was read as, the recipes made
// (linked), how many were already here from an earlier import, the recipes skipped with their
// reasons, and warnings grouped by kind with a count and a few example titles. Used by the
// Import screen; any screen that imports (a page by address, say) can show the same report.
import { useId } from "react";
import type { ImportReport } from "../client";

/** New recipes listed by name; a large export lists the first ones and counts the rest. */
export const LINKED_RECIPES = 50;

export function ImportReportView({
  report,
  source,
  titles,
}: {
  report: ImportReport;
  /** What was imported (a file name), for the heading. */
  source: string;
  /** Titles of the new recipes by id, for their links (the id is shown until it is known). */
  titles: Map<string, string>;
}) {
  const made = report.ids.length;
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} className="card import-report">
      <h2 id={headingId}>
        {made === 1 ? "Imported 1 recipe" : `Imported ${made} recipes`} from {source}
      </h2>
      <p className="import-summary">
        Read as: {report.format}.
        {report.already_present > 0 &&
          ` ${report.already_present === 1 ? "1 recipe was" : `${report.already_present} recipes were`} already here from an earlier import.`}
        {report.skipped.length > 0 &&
          ` ${report.skipped.length === 1 ? "1 recipe was" : `${report.skipped.length} recipes were`} skipped.`}
      </p>
      {made > 0 && (
        <ul>
          {report.ids.slice(0, LINKED_RECIPES).map((id) => (
            <li key={id}>
              <a href={`#/recipe/${id}`}>{titles.get(id) ?? id}</a>
            </li>
          ))}
          {made > LINKED_RECIPES && <li>and {made - LINKED_RECIPES} more (find them in Search)</li>}
        </ul>
      )}
      {report.skipped.length > 0 && (
        <>
          <h3>Skipped</h3>
          <ul className="skipped">
            {report.skipped.map((s, i) => (
              <li key={i}>
                <strong>{s.title}</strong>: {s.reason}
              </li>
            ))}
          </ul>
        </>
      )}
      {report.warnings.length > 0 && (
        <>
          <h3>Warnings</h3>
          <ul className="warnings">
            {report.warnings.map((w) => (
              <li key={`${w.kind}:${w.summary}`}>
                {w.summary}
                {w.examples.length > 0 && (
                  <span className="examples">
                    {" "}
                    (for example {w.examples.join(", ")}
                    {w.count > w.examples.length ? ", …" : ""})
                  </span>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
