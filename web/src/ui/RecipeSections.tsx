// The parts of a recipe shown the same way on its page and in an earlier version from its
// history: the times, the tags, the steps, the notes and the attached files (each caller renders
// a file its own way: the live page with a preview and a download, a past version by name only).
import type { ReactNode } from "react";
import type { Attachment, Recipe } from "../client";
import { formatMinutes } from "./format";

/** "Prep 10 min", "Cook 1 h", "Total …" for the times the recipe has. */
export function timesOf(recipe: Recipe): string[] {
  return [
    recipe.prep_minutes !== null && `Prep ${formatMinutes(recipe.prep_minutes)}`,
    recipe.cook_minutes !== null && `Cook ${formatMinutes(recipe.cook_minutes)}`,
    recipe.total_minutes !== null && `Total ${formatMinutes(recipe.total_minutes)}`,
  ].filter((t): t is string => Boolean(t));
}

export function TagList({ tags }: { tags: string[] }) {
  if (tags.length === 0) return null;
  return (
    <ul className="tags" aria-label="Tags">
      {tags.map((t) => (
        <li className="tag" key={t}>
          {t}
        </li>
      ))}
    </ul>
  );
}

export function StepsNotesFiles({
  recipe,
  idPrefix,
  file,
}: {
  recipe: Recipe;
  /** Keeps heading ids unique when two views could share a page. */
  idPrefix: string;
  file: (attachment: Attachment) => ReactNode;
}) {
  return (
    <>
      {recipe.steps.length > 0 && (
        <section aria-labelledby={`${idPrefix}steps-h`}>
          <h2 id={`${idPrefix}steps-h`}>Steps</h2>
          <ol className="steps">
            {recipe.steps.map((step, i) => (
              <li key={i}>{step}</li>
            ))}
          </ol>
        </section>
      )}
      {recipe.notes && (
        <section aria-labelledby={`${idPrefix}notes-h`}>
          <h2 id={`${idPrefix}notes-h`}>Notes</h2>
          <p className="notes">{recipe.notes}</p>
        </section>
      )}
      {recipe.attachments.length > 0 && (
        <section aria-labelledby={`${idPrefix}files-h`}>
          <h2 id={`${idPrefix}files-h`}>Files</h2>
          <ul className="attachments">{recipe.attachments.map(file)}</ul>
        </section>
      )}
    </>
  );
}
