// A recipe's history: its versions (when, which device, what changed — all worked out by core
// from the recipe's Automerge document), one version read-only, and "Restore this version",
// which core writes as a new edit on top; the recipe then offers an undo.
import { useRef, useState } from "react";
import type { RecipeVersionSummary } from "../client";
import { errorMessage, useApp } from "./context";
import { useFocusOnMount, useLoad } from "./hooks";
import { StepsNotesFiles, TagList, timesOf } from "./RecipeSections";
import { setUndo } from "./undo";

const when = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatWhen(at: number | null | undefined): string {
  return at ? when.format(new Date(at)) : "Time unknown";
}

const versionLink = (id: string, version: string) => `#/history/${id}/${encodeURIComponent(version)}`;

export function History({ id }: { id: string }) {
  const { client, changes } = useApp();
  const heading = useRef<HTMLHeadingElement>(null);
  const recipe = useLoad(() => client.getRecipe(id), [client, id, changes]);
  const versions = useLoad(() => client.recipeHistory(id), [client, id, changes]);
  useFocusOnMount(heading, recipe.value !== undefined);
  const title = recipe.value?.title ?? "Recipe";
  const list = versions.value ?? [];

  return (
    <div className="history">
      <a className="back-link" href={`#/recipe/${id}`}>
        ← Back to the recipe
      </a>
      <h1 ref={heading} tabIndex={-1}>
        History of “{title}”
      </h1>
      {(recipe.state === "failed" || versions.state === "failed") && (
        <p role="alert" className="error">
          {recipe.state === "failed" ? recipe.error : versions.state === "failed" ? versions.error : ""}
        </p>
      )}
      {versions.value && (
        <p className="count">{list.length === 1 ? "1 version" : `${list.length} versions`}, newest first</p>
      )}
      <ol className="versions" aria-label="Versions">
        {list.map((v, i) => (
          <VersionRow key={v.version} id={id} version={v} current={i === 0} />
        ))}
      </ol>
    </div>
  );
}

function VersionRow({ id, version, current }: { id: string; version: RecipeVersionSummary; current: boolean }) {
  return (
    <li className="version card">
      <a href={versionLink(id, version.version)}>{formatWhen(version.at)}</a>
      {current && <span className="tag">Current</span>}
      <span className="device">{version.device.label}</span>
      <p className="summary">{version.summary}</p>
    </li>
  );
}

export function VersionView({ id, version }: { id: string; version: string }) {
  const { client, navigate } = useApp();
  const heading = useRef<HTMLHeadingElement>(null);
  const view = useLoad(() => client.recipeVersion(id, version), [client, id, version]);
  const versions = useLoad(() => client.recipeHistory(id), [client, id]);
  useFocusOnMount(heading, view.value !== undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const meta = versions.value?.find((v) => v.version === version);
  const isCurrent = versions.value?.[0]?.version === version;

  const restore = async () => {
    setBusy(true);
    setError(null);
    try {
      const restored = await client.restoreVersion(id, version);
      setUndo({
        kind: "restore",
        id,
        title: restored.recipe.title,
        previous: restored.previous,
        restored: restored.restored,
      });
      navigate(`/recipe/${id}`);
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  if (view.state === "failed" && !view.value) {
    return (
      <article className="recipe">
        <p role="alert" className="error">
          {view.error}
        </p>
        <a href={`#/history/${id}`}>Back to the history</a>
      </article>
    );
  }
  if (!view.value) return <p className="empty">Loading…</p>;
  const { recipe, ingredient_lines: lines } = view.value;
  const times = timesOf(recipe);

  return (
    <article className="recipe version-view">
      <a className="back-link" href={`#/history/${id}`}>
        ← Back to the history
      </a>
      <p className="notice-inline" role="note">
        An earlier version, read-only{meta ? `: ${formatWhen(meta.at)}, ${meta.device.label}` : ""}.
        {isCurrent ? " This is the current version." : ""}
      </p>
      <h1 ref={heading} tabIndex={-1}>
        {recipe.title}
      </h1>
      {recipe.description && <p className="description">{recipe.description}</p>}
      {(times.length > 0 || recipe.servings !== null) && (
        <p className="times">
          {[...times, recipe.servings !== null ? `Serves ${recipe.servings}` : null].filter(Boolean).join(" · ")}
        </p>
      )}
      <TagList tags={recipe.tags} />
      <div className="actions">
        <button type="button" className="primary" onClick={restore} disabled={busy || isCurrent}>
          Restore this version
        </button>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <section aria-labelledby="v-ingredients-h">
        <h2 id="v-ingredients-h">Ingredients</h2>
        {lines.length === 0 ? (
          <p className="empty">No ingredients listed.</p>
        ) : (
          <ul className="ingredients">
            {lines.map((line) => (
              <li key={line.id}>{line.text}</li>
            ))}
          </ul>
        )}
      </section>
      <StepsNotesFiles recipe={recipe} idPrefix="v-" file={(a) => <li key={a.sha256}>{a.file_name}</li>} />
    </article>
  );
}
