// The meal plan: a week of days × slots (seven columns on wide screens, a day list on phones),
// each planned meal opened, changed (day, slot, servings) or removed; meals added by searching
// recipes or in a few words; the week (or a chosen range) sent to the grocery list after a
// preview, undoable; slot names edited; the plan's calendar address. Core answers all of it.
import { type FormEvent, useRef, useState } from "react";
import type { GroceryUndo, PlanDay, PlanEntryView, PlanGroceryPreview, PlanSlotDoc, PlanView } from "../client";
import { errorMessage, useApp } from "./context";
import { GroceryAddedStatus, listName } from "./GroceryAddedStatus";
import { useFocusOnMount, useLoad } from "./hooks";
import { PlanCalendar } from "./PlanCalendar";
import { PlanSlots } from "./PlanSlots";
import { AddMeal, DayAndSlot, dayLabel, todayIso } from "./plan-parts";

export function Plan({ date }: { date?: string }) {
  const { client, changes, navigate } = useApp();
  const heading = useRef<HTMLHeadingElement>(null);
  useFocusOnMount(heading);
  const day = date ?? todayIso();
  const week = useLoad(() => client.planWeek(day), [client, day, changes]);
  const [panel, setPanel] = useState<"grocery" | "slots" | "calendar" | null>(null);
  const view = week.value;

  return (
    <div className="plan">
      <div className="plan-head">
        <h1 ref={heading} tabIndex={-1}>
          Meal plan
        </h1>
        {view && (
          <nav className="week-nav" aria-label="Weeks">
            <button type="button" onClick={() => navigate(`/plan/${view.previous}`)}>
              ← Previous week
            </button>
            <button type="button" onClick={() => navigate("/plan")}>
              This week
            </button>
            <button type="button" onClick={() => navigate(`/plan/${view.next}`)}>
              Next week →
            </button>
          </nav>
        )}
      </div>
      {view && (
        <p className="week-range">
          {rangeLabel(view)}
          {view.household_name && <> · shared with the {view.household_name} household</>}
        </p>
      )}
      <div className="actions">
        <button type="button" className="primary" onClick={() => setPanel(panel === "grocery" ? null : "grocery")} aria-expanded={panel === "grocery"}>
          Add this week to the grocery list
        </button>
        <button type="button" onClick={() => setPanel(panel === "slots" ? null : "slots")} aria-expanded={panel === "slots"}>
          Edit slots
        </button>
        <button type="button" onClick={() => setPanel(panel === "calendar" ? null : "calendar")} aria-expanded={panel === "calendar"}>
          Calendar
        </button>
      </div>
      {view && panel === "grocery" && <SendToGrocery key={view.from} from={view.from} to={view.to} onClose={() => setPanel(null)} />}
      {view && panel === "slots" && <PlanSlots slots={view.slots} onClose={() => setPanel(null)} />}
      {panel === "calendar" && <PlanCalendar />}
      {week.state === "failed" && (
        <p role="alert" className="error">
          {week.error}
        </p>
      )}
      {view ? (
        <ol className="week" aria-busy={week.state === "loading"}>
          {view.days.map((d) => (
            <Day key={d.date} day={d} slots={view.slots} />
          ))}
        </ol>
      ) : (
        week.state === "loading" && <p className="empty">Loading…</p>
      )}
    </div>
  );
}

function rangeLabel(view: PlanView): string {
  const fmt = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  return `${fmt.format(new Date(`${view.from}T00:00:00Z`))} – ${fmt.format(new Date(`${view.to}T00:00:00Z`))}`;
}

function Day({ day, slots }: { day: PlanDay; slots: PlanSlotDoc[] }) {
  const today = day.date === todayIso();
  const headingId = `day-${day.date}`;
  // Slots in order, then any entry whose slot was removed under its own id.
  const known = new Set(slots.map((s) => s.id));
  const orphans = [...new Set(day.entries.filter((e) => !known.has(e.slot)).map((e) => e.slot))];
  const groups = [...slots.map((s) => ({ id: s.id, name: s.name })), ...orphans.map((id) => ({ id, name: id }))];
  return (
    <li className={`day ${today ? "today" : ""}`} aria-labelledby={headingId}>
      <h2 id={headingId}>
        {dayLabel(day.date)}
        {today && <span className="today-mark"> · Today</span>}
      </h2>
      {groups.map((slot) => (
        <Slot key={slot.id} date={day.date} slot={slot} slots={slots} entries={day.entries.filter((e) => e.slot === slot.id)} />
      ))}
    </li>
  );
}

function Slot({ date, slot, slots, entries }: { date: string; slot: { id: string; name: string }; slots: PlanSlotDoc[]; entries: PlanEntryView[] }) {
  const [adding, setAdding] = useState(false);
  const label = `${slot.name}, ${dayLabel(date)}`;
  return (
    <section className="slot" aria-label={label}>
      <h3>{slot.name}</h3>
      {entries.length > 0 && (
        <ul className="meals">
          {entries.map((entry) => (
            <Meal key={entry.id} entry={entry} slots={slots} />
          ))}
        </ul>
      )}
      {adding ? (
        <AddMeal date={date} slot={slot.id} label={label} onDone={() => setAdding(false)} />
      ) : (
        <button type="button" className="add-meal" aria-label={`Add to ${label}`} onClick={() => setAdding(true)}>
          + Add
        </button>
      )}
    </section>
  );
}

function Meal({ entry, slots }: { entry: PlanEntryView; slots: PlanSlotDoc[] }) {
  const { client } = useApp();
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const servings = entry.servings ?? entry.recipe_servings;
  const remove = async () => {
    setError(null);
    try {
      await client.planRemove(entry.id);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <li className={`meal ${entry.missing ? "missing" : ""}`}>
      <div className="meal-line">
        {entry.recipe_id && !entry.missing ? <a href={`#/recipe/${entry.recipe_id}`}>{entry.title}</a> : <span>{entry.title}</span>}
        {entry.recipe_id && servings !== null && <span className="hint"> · serves {servings}</span>}
        {entry.missing && <span className="hint"> · not on this device</span>}
      </div>
      <div className="meal-buttons">
        <button type="button" className="small" aria-label={`Change ${entry.title}`} aria-expanded={editing} onClick={() => setEditing(!editing)}>
          Change
        </button>
        <button type="button" className="small danger" aria-label={`Remove ${entry.title}`} onClick={remove}>
          Remove
        </button>
      </div>
      {editing && <ChangeMeal entry={entry} slots={slots} onDone={() => setEditing(false)} />}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </li>
  );
}

function ChangeMeal({ entry, slots, onDone }: { entry: PlanEntryView; slots: PlanSlotDoc[]; onDone: () => void }) {
  const { client } = useApp();
  const [date, setDate] = useState(entry.date);
  const [slot, setSlot] = useState(entry.slot);
  const [servings, setServings] = useState(entry.servings === null ? "" : String(entry.servings));
  const [error, setError] = useState<string | null>(null);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      if (date !== entry.date || slot !== entry.slot) await client.planMove(entry.id, date, slot);
      const wanted = servings.trim() === "" ? null : Number(servings);
      if (entry.recipe_id && wanted !== entry.servings) await client.planSetServings(entry.id, wanted);
      onDone();
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <form className="change-meal" onSubmit={save} aria-label={`Change ${entry.title}`}>
      <DayAndSlot date={date} slot={slot} slots={slots} onDate={setDate} onSlot={setSlot} />
      {entry.recipe_id && (
        <label>
          Servings
          <input type="number" min="1" step="1" inputMode="numeric" value={servings} placeholder={entry.recipe_servings === null ? "" : String(entry.recipe_servings)} onChange={(e) => setServings(e.target.value)} />
        </label>
      )}
      <button type="submit" className="primary">
        Save
      </button>
      <button type="button" onClick={onDone}>
        Cancel
      </button>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </form>
  );
}

function SendToGrocery({ from, to, onClose }: { from: string; to: string; onClose: () => void }) {
  const { client } = useApp();
  const [range, setRange] = useState({ from, to });
  const preview = useLoad<PlanGroceryPreview>(() => client.planGroceryPreview(range.from, range.to), [client, range.from, range.to]);
  const [added, setAdded] = useState<{ undo: GroceryUndo; count: number } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const lines = preview.value?.lines ?? [];

  const send = async () => {
    setError(null);
    try {
      const { undo, household_name } = await client.planToGrocery(range.from, range.to);
      setAdded({ undo, count: lines.length });
      setMessage(`Added ${lines.length} ${lines.length === 1 ? "item" : "items"} to ${listName(household_name)}.`);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const undo = async () => {
    if (!added) return;
    setError(null);
    try {
      await client.undoGroceryAddition(added.undo);
      setAdded(null);
      setMessage("Took them off the grocery list again.");
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <section className="card send-grocery" aria-labelledby="send-grocery-h">
      <h2 id="send-grocery-h">Send to the grocery list</h2>
      <div className="range">
        <label>
          From
          <input type="date" value={range.from} required onChange={(e) => e.target.value && setRange({ ...range, from: e.target.value })} />
        </label>
        <label>
          To
          <input type="date" value={range.to} required onChange={(e) => e.target.value && setRange({ ...range, to: e.target.value })} />
        </label>
      </div>
      {preview.state === "failed" && (
        <p role="alert" className="error">
          {preview.error}
        </p>
      )}
      {preview.value && (
        <>
          <p>
            {preview.value.recipes === 0
              ? "No planned recipe with ingredients in these days."
              : `From ${preview.value.recipes} planned ${preview.value.recipes === 1 ? "recipe" : "recipes"}, this adds:`}
          </p>
          {lines.length > 0 && (
            <ul className="items preview-lines" aria-label="Will be added">
              {lines.map((line) => (
                <li key={line.id}>{line.text}</li>
              ))}
            </ul>
          )}
          {preview.value.skipped.length > 0 && (
            <ul className="hint" aria-label="Adds nothing">
              {preview.value.skipped.map((s, i) => (
                <li key={i}>
                  {s.title}: {s.reason}
                </li>
              ))}
            </ul>
          )}
          <p className="hint">Items already on the list with the same name take the quantity.</p>
        </>
      )}
      <div className="actions">
        <button type="button" className="primary" onClick={send} disabled={lines.length === 0 || preview.state !== "ready" || added !== null}>
          Add {lines.length} {lines.length === 1 ? "item" : "items"}
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <GroceryAddedStatus message={message} error={error} onUndo={added ? undo : undefined} />
    </section>
  );
}
