// New recipe / Edit: every field of the draft; ingredient rows added, removed and moved; a paste
// box turning lines into rows; files attached from disk (or the camera on phones). Save → the
// recipe. Validation is core's: its message is shown as it comes.
import { type FormEvent, useEffect, useRef, useState } from "react";
import type { Attachment, IngredientInput, Recipe, RecipeDraft } from "../client";
import { errorMessage, useApp } from "./context";
import { useFocusOnMount } from "./hooks";
import { formatSize } from "./format";

type Row = IngredientInput & { key: number };
let nextKey = 1;
const row = (input?: Partial<IngredientInput>): Row => ({
  key: nextKey++,
  id: input?.id ?? null,
  quantity: input?.quantity ?? null,
  quantity_max: input?.quantity_max ?? null,
  unit: input?.unit ?? "",
  name: input?.name ?? "",
  note: input?.note ?? "",
});

const ACCEPT = "image/*,application/pdf,text/plain,text/html,application/json,.json,.jsonld,.md,.txt,.pdf";

export function Editor({ id }: { id?: string }) {
  const { client, navigate } = useApp();
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState<Recipe | null>(null);
  // The draft comes from core (a recipe's own, or a blank one).
  const [draft, setDraft] = useState<RecipeDraft | null>(null);
  const [tags, setTags] = useState("");
  const [steps, setSteps] = useState("");
  const [rows, setRows] = useState<Row[]>(() => [row(), row(), row()]);
  const [paste, setPaste] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pasteError, setPasteError] = useState<string | null>(null);
  const [announce, setAnnounce] = useState("");
  const fileInput = useRef<HTMLInputElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useFocusOnMount(heading, draft !== null && (!id || loaded !== null));
  const pick = (list: FileList | null) => {
    // Copied now: the input is cleared right after, which empties its FileList.
    const picked = Array.from(list ?? []);
    setFiles((fs) => [...fs, ...picked]);
  };

  useEffect(() => {
    const recipe = id ? client.getRecipe(id) : Promise.resolve(null);
    Promise.all([client.recipeDraft(id ?? null), recipe]).then(
      ([d, recipe]) => {
        setLoaded(recipe);
        setDraft(d);
        setTags(d.tags.join(", "));
        setSteps(d.steps.join("\n"));
        // A new recipe keeps its three empty rows to type into.
        if (id) setRows(d.ingredients.length ? d.ingredients.map((i) => row(i)) : [row()]);
      },
      (e: unknown) => setLoadError(errorMessage(e)),
    );
  }, [client, id]);

  if (loadError) {
    return (
      <p role="alert" className="error">
        {loadError}
      </p>
    );
  }
  if (!draft || (id && !loaded)) return <p className="empty">Loading…</p>;

  const set = <K extends keyof RecipeDraft>(key: K, value: RecipeDraft[K]) => setDraft((d) => (d ? { ...d, [key]: value } : d));
  const num = (text: string): number | null => (text.trim() === "" ? null : Number(text));
  const label = (r: Row, i: number) => r.name.trim() || `row ${i + 1}`;

  const updateRow = (key: number, patch: Partial<IngredientInput>) =>
    setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const move = (index: number, by: number) =>
    setRows((rs) => {
      const to = index + by;
      if (to < 0 || to >= rs.length) return rs;
      const next = [...rs];
      [next[index], next[to]] = [next[to], next[index]];
      setAnnounce(`Moved ${label(next[to], to)} to position ${to + 1}.`);
      return next;
    });
  const addPasted = async () => {
    // core parses each line into quantity, unit, name and note.
    setPasteError(null);
    try {
      const parsed = await client.parseIngredients(paste);
      if (!parsed.length) return;
      setRows((rs) => [
        ...rs.filter((r) => r.name.trim() || r.unit.trim() || r.quantity !== null),
        ...parsed.map((input) => row({ ...input, id: null })),
      ]);
      setPaste("");
      setAnnounce(`Added ${parsed.length} ingredient rows.`);
    } catch (e) {
      setPasteError(errorMessage(e));
    }
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    const full: RecipeDraft = {
      ...draft,
      tags: tags
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
      steps: steps
        .split(/\r?\n/)
        .map((s) => s.trim())
        .filter(Boolean),
      ingredients: rows.map(({ key: _key, ...input }) => input),
    };
    try {
      const recipe = id ? await client.updateRecipe(id, full) : await client.createRecipe(full);
      for (const file of files) {
        await client.attachFile(recipe.id, file, file.name);
      }
      navigate(`/recipe/${recipe.id}`);
    } catch (e) {
      setError(errorMessage(e));
      setSaving(false);
    }
  };

  return (
    <form className="editor" onSubmit={save}>
      <h1 ref={heading} tabIndex={-1}>{id ? `Edit “${loaded?.title}”` : "New recipe"}</h1>
      <div className="grid">
        <label className="wide">
          Title
          <input value={draft.title} onChange={(e) => set("title", e.target.value)} required />
        </label>
        <label className="wide">
          Description
          <textarea rows={2} value={draft.description} onChange={(e) => set("description", e.target.value)} />
        </label>
        <label>
          Servings
          <input type="number" min={1} step={1} value={draft.servings ?? ""} onChange={(e) => set("servings", num(e.target.value))} />
        </label>
        <label>
          Yield
          <input value={draft.yield_text} placeholder="e.g. 12 muffins" onChange={(e) => set("yield_text", e.target.value)} />
        </label>
        <label>
          Prep minutes
          <input type="number" min={0} value={draft.prep_minutes ?? ""} onChange={(e) => set("prep_minutes", num(e.target.value))} />
        </label>
        <label>
          Cook minutes
          <input type="number" min={0} value={draft.cook_minutes ?? ""} onChange={(e) => set("cook_minutes", num(e.target.value))} />
        </label>
        <label>
          Total minutes
          <input type="number" min={0} value={draft.total_minutes ?? ""} onChange={(e) => set("total_minutes", num(e.target.value))} />
        </label>
        <label>
          Tags
          <input value={tags} placeholder="comma, separated" onChange={(e) => setTags(e.target.value)} />
        </label>
        <label className="wide">
          Source URL
          <input type="url" value={draft.source_url} placeholder="https://" onChange={(e) => set("source_url", e.target.value)} />
        </label>
      </div>

      <fieldset>
        <legend>Ingredients</legend>
        <ol className="rows">
          {rows.map((r, i) => (
            <li key={r.key} className="row">
              <input
                aria-label={`Quantity, ingredient ${i + 1}`}
                placeholder="Qty"
                type="number"
                min={0}
                step="any"
                className="qty"
                value={r.quantity ?? ""}
                onChange={(e) => updateRow(r.key, { quantity: num(e.target.value) })}
              />
              <input
                aria-label={`Up to quantity, ingredient ${i + 1}`}
                placeholder="to"
                type="number"
                min={0}
                step="any"
                className="qty-max"
                value={r.quantity_max ?? ""}
                onChange={(e) => updateRow(r.key, { quantity_max: num(e.target.value) })}
              />
              <input
                aria-label={`Unit, ingredient ${i + 1}`}
                placeholder="Unit"
                className="unit"
                value={r.unit}
                onChange={(e) => updateRow(r.key, { unit: e.target.value })}
              />
              <input
                aria-label={`Ingredient ${i + 1}`}
                placeholder="Ingredient"
                className="name"
                value={r.name}
                onChange={(e) => updateRow(r.key, { name: e.target.value })}
              />
              <input
                aria-label={`Note, ingredient ${i + 1}`}
                placeholder="Note"
                className="note"
                value={r.note}
                onChange={(e) => updateRow(r.key, { note: e.target.value })}
              />
              <span className="row-buttons">
                <button type="button" aria-label={`Move ${label(r, i)} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                  ↑
                </button>
                <button
                  type="button"
                  aria-label={`Move ${label(r, i)} down`}
                  disabled={i === rows.length - 1}
                  onClick={() => move(i, 1)}
                >
                  ↓
                </button>
                <button
                  type="button"
                  aria-label={`Remove ${label(r, i)}`}
                  onClick={() => {
                    setRows((rs) => rs.filter((x) => x.key !== r.key));
                    setAnnounce(`Removed ${label(r, i)}.`);
                  }}
                >
                  ×
                </button>
              </span>
            </li>
          ))}
        </ol>
        <button type="button" onClick={() => setRows((rs) => [...rs, row()])}>
          Add ingredient
        </button>
        <div className="paste">
          <label>
            Paste ingredient lines
            <textarea
              rows={3}
              value={paste}
              placeholder={"2 cups flour\n1 tsp salt"}
              onChange={(e) => setPaste(e.target.value)}
            />
          </label>
          <button type="button" onClick={addPasted} disabled={!paste.trim()}>
            Add pasted lines
          </button>
        </div>
        {pasteError && (
          <p role="alert" className="error">
            {pasteError}
          </p>
        )}
        <p className="visually-hidden" aria-live="polite">
          {announce}
        </p>
      </fieldset>

      <label>
        Steps (one per line)
        <textarea rows={6} value={steps} onChange={(e) => setSteps(e.target.value)} />
      </label>
      <label>
        Notes
        <textarea rows={3} value={draft.notes} onChange={(e) => set("notes", e.target.value)} />
      </label>

      <fieldset>
        <legend>Files</legend>
        {loaded && loaded.attachments.length > 0 && (
          <ul className="attachments">
            {loaded.attachments.map((a: Attachment) => (
              <li key={a.sha256}>
                {a.file_name} <span className="size">({formatSize(a.size)})</span>{" "}
                <button
                  type="button"
                  aria-label={`Remove ${a.file_name}`}
                  onClick={() => {
                    setError(null);
                    client
                      .removeAttachment(loaded.id, a.sha256)
                      .then(setLoaded, (e: unknown) => setError(errorMessage(e)));
                  }}
                >
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )}
        <label>
          Attach files
          <input
            ref={fileInput}
            type="file"
            multiple
            accept={ACCEPT}
            onChange={(e) => {
              pick(e.target.files);
              e.target.value = "";
            }}
          />
        </label>
        <label className="phone-only">
          Take a photo
          <input
            type="file"
            accept="image/*"
            capture="environment"
            onChange={(e) => {
              pick(e.target.files);
              e.target.value = "";
            }}
          />
        </label>
        {files.length > 0 && (
          <ul className="attachments" aria-label="Files to attach">
            {files.map((f, i) => (
              <li key={`${f.name}-${i}`}>
                {f.name} <span className="size">({formatSize(f.size)})</span>{" "}
                <button type="button" aria-label={`Do not attach ${f.name}`} onClick={() => setFiles((fs) => fs.filter((_, j) => j !== i))}>
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
      </fieldset>

      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="actions sticky">
        <button type="submit" className="primary" disabled={saving}>
          {saving ? "Saving…" : "Save"}
        </button>
        <a className="button" href={id ? `#/recipe/${id}` : "#/"}>
          Cancel
        </a>
      </div>
    </form>
  );
}
