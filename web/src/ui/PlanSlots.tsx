// The plan's slot names (Breakfast, Lunch, …): renamed, reordered, added or removed in one
// save; core refuses removing a slot that still holds meals, and says so.
import { type FormEvent, useState } from "react";
import type { PlanSlotDoc, PlanSlotInput } from "../client";
import { errorMessage, useApp } from "./context";

export function PlanSlots({ slots, onClose }: { slots: PlanSlotDoc[]; onClose: () => void }) {
  const { client } = useApp();
  const [rows, setRows] = useState<PlanSlotInput[]>(slots.map((s) => ({ id: s.id, name: s.name })));
  const [error, setError] = useState<string | null>(null);
  const set = (i: number, name: string) => setRows(rows.map((r, j) => (j === i ? { ...r, name } : r)));
  const move = (i: number, by: number) => {
    const next = [...rows];
    const [row] = next.splice(i, 1);
    next.splice(i + by, 0, row);
    setRows(next);
  };
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await client.planSetSlots(rows);
      onClose();
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <form className="card plan-slots" onSubmit={save} aria-labelledby="slots-h">
      <h2 id="slots-h">Slots of a day</h2>
      <ol className="rows">
        {rows.map((row, i) => (
          <li key={row.id ?? `new-${i}`} className="slot-row">
            <label>
              <span className="visually-hidden">Slot {i + 1} name</span>
              <input value={row.name} onChange={(e) => set(i, e.target.value)} aria-label={`Slot ${i + 1} name`} />
            </label>
            <button type="button" className="small" aria-label={`Move ${row.name || "slot"} up`} disabled={i === 0} onClick={() => move(i, -1)}>
              ↑
            </button>
            <button type="button" className="small" aria-label={`Move ${row.name || "slot"} down`} disabled={i === rows.length - 1} onClick={() => move(i, 1)}>
              ↓
            </button>
            <button type="button" className="small danger" aria-label={`Remove ${row.name || "slot"}`} onClick={() => setRows(rows.filter((_, j) => j !== i))}>
              Remove
            </button>
          </li>
        ))}
      </ol>
      <div className="actions">
        <button type="button" onClick={() => setRows([...rows, { id: null, name: "" }])}>
          Add a slot
        </button>
        <button type="submit" className="primary">
          Save slots
        </button>
        <button type="button" onClick={onClose}>
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
