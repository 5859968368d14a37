// One recipe: times, tags, ingredients with a servings control, steps, notes, attachments, and
// Cook (cook mode, at the servings shown) / Edit / Plan this (a day and slot) / History / Share / Delete (confirmed, then undoable) /
// Add to grocery list (undoable); for a recipe shared with this user, whose it is (and, read-only,
// no Edit or Delete).
import { useEffect, useState, useRef } from "react";
import type { Attachment, GroceryUndo, Recipe } from "../client";
import { errorMessage, useApp } from "./context";
import { GroceryAddedStatus, listName } from "./GroceryAddedStatus";
import { ShareDialog } from "./ShareDialog";
import { formatSize } from "./format";
import { useAttachmentUrl, useLoad, useFocusOnMount } from "./hooks";
import { StepsNotesFiles, TagList, timesOf } from "./RecipeSections";
import { PlanThis } from "./plan-parts";
import { ServingsStepper } from "./Servings";
import { setUndo } from "./undo";
import { UndoBar } from "./UndoBar";

export function RecipeView({ id }: { id: string }) {
  const { client, changes } = useApp();
  const loaded = useLoad(() => client.getRecipe(id), [client, id, changes]);
  if (loaded.state === "failed" && !loaded.value) {
    return (
      <article className="recipe">
        <p role="alert" className="error">
          {loaded.error}
        </p>
        <a href="#/">Back to search</a>
      </article>
    );
  }
  if (!loaded.value) return <p className="empty">Loading…</p>;
  if (loaded.state === "failed") {
    // It was there a moment ago: deleted here or on another device.
    return (
      <article className="recipe">
        <p role="alert" className="error">
          “{loaded.value.title}” is no longer available: {loaded.error}
        </p>
        <a href="#/">Back to search</a>
      </article>
    );
  }
  return <RecipeBody recipe={loaded.value} />;
}

function RecipeBody({ recipe }: { recipe: Recipe }) {
  const { client, navigate } = useApp();
  const heading = useRef<HTMLHeadingElement>(null);
  useFocusOnMount(heading);
  const { changes } = useApp();
  const [servings, setServings] = useState(recipe.servings ?? 1);
  useEffect(() => setServings(recipe.servings ?? 1), [recipe.servings]);
  // Scaled and formatted by core (its own servings when the recipe states none).
  const lines = useLoad(
    () => client.ingredientLines(recipe.id, recipe.servings === null ? undefined : servings),
    [client, recipe, servings, changes],
  );
  const [confirming, setConfirming] = useState(false);
  const [planning, setPlanning] = useState(false);
  const [sharing, setSharing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** What the last "Add to grocery list" did, until it is undone (core takes it back). */
  const [added, setAdded] = useState<GroceryUndo | null>(null);

  const addToGrocery = async () => {
    setError(null);
    setMessage(null);
    setAdded(null);
    try {
      const { undo, household_name } = await client.addRecipeToGrocery(recipe.id, recipe.servings ? servings : undefined);
      setAdded(undo);
      setMessage(`Added the ingredients of “${recipe.title}” to ${listName(household_name)}.`);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const undoAdd = async () => {
    if (!added) return;
    setError(null);
    setAdded(null);
    try {
      await client.undoGroceryAddition(added);
      setMessage(`Took the ingredients of “${recipe.title}” off the grocery list again.`);
    } catch (e) {
      setMessage(null);
      setError(errorMessage(e));
    }
  };

  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await client.deleteRecipe(recipe.id);
      setUndo({ kind: "delete", id: recipe.id, title: recipe.title });
      navigate("/");
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
      setConfirming(false);
    }
  };

  const times = timesOf(recipe);

  return (
    <article className="recipe">
      <a className="back" href="#/">
        ← All recipes
      </a>
      <h1 ref={heading} tabIndex={-1}>{recipe.title}</h1>
      {recipe.shared && (
        <p className="shared-banner">
          Shared with you by {recipe.shared.owner_name}
          {recipe.shared.read_only ? " · read-only: ask them to change it" : " · you can change it"}
        </p>
      )}
      {recipe.description && <p className="description">{recipe.description}</p>}
      {(times.length > 0 || recipe.yield_text) && (
        <p className="times">
          {times.join(" · ")}
          {recipe.yield_text && `${times.length ? " · " : ""}Makes ${recipe.yield_text}`}
        </p>
      )}
      <TagList tags={recipe.tags} />
      <div className="actions">
        <a
          className="button primary"
          href={`#/cook/${recipe.id}${recipe.servings !== null && servings !== recipe.servings ? `/${servings}` : ""}`}
        >
          Cook
        </a>
        {!recipe.shared?.read_only && (
          <a className="button" href={`#/edit/${recipe.id}`}>
            Edit
          </a>
        )}
        <button type="button" onClick={addToGrocery}>
          Add to grocery list
        </button>
        <button type="button" aria-expanded={planning} onClick={() => setPlanning(!planning)}>
          Plan this
        </button>
        <a className="button" href={`#/history/${recipe.id}`}>
          History
        </a>
        {!recipe.shared && (
          <button type="button" aria-expanded={sharing} onClick={() => setSharing(!sharing)}>
            Share
          </button>
        )}
        {!recipe.shared?.read_only && (
          <button type="button" className="danger" onClick={() => setConfirming(true)} disabled={busy}>
            Delete
          </button>
        )}
      </div>
      {planning && (
        <PlanThis recipeId={recipe.id} title={recipe.title} servings={recipe.servings === null || servings === recipe.servings ? null : servings} onClose={() => setPlanning(false)} />
      )}
      {sharing && <ShareDialog recipeId={recipe.id} title={recipe.title} onClose={() => setSharing(false)} />}
      <UndoBar kind="restore" id={recipe.id} />
      {confirming && (
        <div role="alertdialog" aria-labelledby="confirm-delete" className="confirm">
          <p id="confirm-delete">Delete “{recipe.title}”?</p>
          <button type="button" className="danger" onClick={remove} disabled={busy}>
            Yes, delete
          </button>
          <button type="button" onClick={() => setConfirming(false)} autoFocus>
            Cancel
          </button>
        </div>
      )}
      <GroceryAddedStatus message={message} error={error} onUndo={added ? undoAdd : undefined} />
      <section aria-labelledby="ingredients-h">
        <div className="section-head">
          <h2 id="ingredients-h">Ingredients</h2>
          {recipe.servings !== null && <ServingsStepper servings={servings} onChange={setServings} />}
        </div>
        {lines.state === "failed" && (
          <p role="alert" className="error">
            {lines.error}
          </p>
        )}
        {recipe.ingredients.length === 0 ? (
          <p className="empty">No ingredients listed.</p>
        ) : (
          <ul className="ingredients" aria-busy={lines.state === "loading"}>
            {(lines.value ?? []).map((line) => (
              <li key={line.id}>{line.text}</li>
            ))}
          </ul>
        )}
      </section>
      <StepsNotesFiles recipe={recipe} idPrefix="" file={(a) => <AttachmentItem key={a.sha256} attachment={a} />} />
      {recipe.source_url && (
        <p className="source">
          Source: <a href={recipe.source_url} target="_blank" rel="noreferrer">{recipe.source_url}</a>
        </p>
      )}
    </article>
  );
}

function AttachmentItem({ attachment }: { attachment: Attachment }) {
  const { client } = useApp();
  const file = useAttachmentUrl(client, attachment.sha256, attachment.media_type);
  const isImage = attachment.media_type.startsWith("image/");
  return (
    <li>
      {isImage && file.url && <img src={file.url} alt={attachment.file_name} className="preview" />}
      {file.url ? (
        <a href={file.url} download={attachment.file_name}>
          Download {attachment.file_name}
        </a>
      ) : (
        <span>{attachment.file_name}</span>
      )}{" "}
      <span className="size">({formatSize(attachment.size)})</span>
      {file.missing ? (
        <span className="hint" title={file.error ?? undefined}>
          {" "}
          — not downloaded to this device yet
        </span>
      ) : (
        file.error && (
          <span role="alert" className="error">
            {" "}
            — {file.error}
          </span>
        )
      )}
    </li>
  );
}
