// Pieces of the meal plan shared by the plan screen and the recipe's "Plan this": today's date
// and a day's label as the user's locale writes them, and the "add a meal" form (a recipe found
// by search, or a few words).
import { type FormEvent, useState } from "react";
import type { PlanSlotDoc, RecipeSummary } from "../client";
import { errorMessage, useApp } from "./context";
import { useLoad } from "./hooks";

/** Today on this device's calendar, YYYY-MM-DD. */
export function todayIso(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** "Monday 7 December" in the user's locale. */
export function dayLabel(date: string): string {
  return new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" }).format(new Date(`${date}T00:00:00Z`));
}

export function AddMeal({ date, slot, label, onDone }: { date: string; slot: string; label: string; onDone: () => void }) {
  const { client } = useApp();
  const [text, setText] = useState("");
  const [servings, setServings] = useState("");
  const [error, setError] = useState<string | null>(null);
  const query = text.trim();
  const found = useLoad<RecipeSummary[]>(() => (query ? client.search(query, 6) : Promise.resolve([])), [client, query]);

  const plan = async (recipeId: string | null) => {
    setError(null);
    try {
      await client.planAdd({
        date,
        slot,
        recipe_id: recipeId,
        text: recipeId ? null : query,
        servings: recipeId && servings.trim() ? Number(servings) : null,
      });
      onDone();
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const first = found.value?.[0];
    // Enter plans the best match when there is one, else the words as typed.
    void plan(first && first.title.toLowerCase() === query.toLowerCase() ? first.id : null);
  };

  return (
    <form className="add-meal-form" onSubmit={submit} aria-label={`Add to ${label}`}>
      <label>
        Recipe or meal
        <input value={text} autoFocus placeholder="Search recipes, or type e.g. leftovers" onChange={(e) => setText(e.target.value)} />
      </label>
      <label>
        Servings
        <input type="number" min="1" step="1" inputMode="numeric" value={servings} placeholder="recipe's own" onChange={(e) => setServings(e.target.value)} />
      </label>
      {query && (found.value ?? []).length > 0 && (
        <ul className="meal-matches" aria-label="Matching recipes">
          {(found.value ?? []).map((r) => (
            <li key={r.id}>
              <button type="button" onClick={() => plan(r.id)}>
                Plan {r.title}
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={!query}>
          {query ? `Add “${query}”` : "Add"}
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </form>
  );
}

/** A recipe's "Plan this": a day, a slot and servings, then the recipe is on the plan. */
export function PlanThis({ recipeId, title, servings, onClose }: { recipeId: string; title: string; servings: number | null; onClose: () => void }) {
  const { client } = useApp();
  const [date, setDate] = useState(todayIso());
  const week = useLoad(() => client.planWeek(date || todayIso()), [client, date]);
  const slots = week.value?.slots ?? [];
  const [slot, setSlot] = useState<string>("");
  const chosen = slot || (slots.find((s) => s.id === "dinner") ?? slots[0])?.id || "";
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await client.planAdd({ date, slot: chosen, recipe_id: recipeId, text: null, servings });
      const name = slots.find((s) => s.id === chosen)?.name ?? chosen;
      setDone(`Planned “${title}” for ${dayLabel(date)} (${name}).`);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <form className="plan-this" onSubmit={submit} aria-label={`Plan ${title}`}>
      <DayAndSlot date={date} slot={chosen} slots={slots} onDate={setDate} onSlot={setSlot} />
      <button type="submit" className="primary" disabled={!chosen}>
        Plan
      </button>
      <button type="button" onClick={onClose}>
        Close
      </button>
      {done && (
        <p role="status" className="ok">
          {done} <a href={`#/plan/${date}`}>Open the plan</a>
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </form>
  );
}

/** A day and one of the plan's slots, as a form's two fields. */
export function DayAndSlot({
  date,
  slot,
  slots,
  onDate,
  onSlot,
}: {
  date: string;
  slot: string;
  slots: PlanSlotDoc[];
  onDate: (date: string) => void;
  onSlot: (slot: string) => void;
}) {
  return (
    <>
      <label>
        Day
        <input type="date" value={date} required onChange={(e) => onDate(e.target.value)} />
      </label>
      <label>
        Slot
        <select value={slot} onChange={(e) => onSlot(e.target.value)}>
          {slots.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      </label>
    </>
  );
}
