// The grocery list: items as core merged them, checked on any device, cleared, added by hand.
import { type FormEvent, useState, useRef } from "react";
import type { GroceryItem } from "../client";
import { errorMessage, useApp } from "./context";
import { useLoad, useFocusOnMount } from "./hooks";

export function Grocery() {
  const { client, changes } = useApp();
  const heading = useRef<HTMLHeadingElement>(null);
  useFocusOnMount(heading);
  const [local, setLocal] = useState<GroceryItem[] | null>(null);
  const loaded = useLoad(async () => {
    const items = await client.groceryItems();
    setLocal(null);
    return items;
  }, [client, changes]);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const items = local ?? loaded.value ?? [];

  const run = async (op: () => Promise<GroceryItem[]>) => {
    setError(null);
    try {
      setLocal(await op());
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const toggle = (item: GroceryItem, checked: boolean) => {
    // Shown at once; core's answer (or the error) follows.
    setLocal(items.map((i) => (i.id === item.id ? { ...i, checked } : i)));
    void run(() => client.setGroceryChecked(item.id, checked));
  };
  const add = async (event: FormEvent) => {
    event.preventDefault();
    if (!text.trim()) return;
    await run(() => client.addGroceryItem(text.trim()));
    setText("");
  };

  const open = items.filter((i) => !i.checked);
  const done = items.filter((i) => i.checked);
  return (
    <div className="grocery">
      <h1 ref={heading} tabIndex={-1}>Grocery list</h1>
      <form className="add-item" onSubmit={add}>
        <label>
          Add an item
          <input value={text} placeholder="e.g. 2 l milk" onChange={(e) => setText(e.target.value)} />
        </label>
        <button type="submit" className="primary">
          Add
        </button>
      </form>
      {(error || loaded.state === "failed") && (
        <p role="alert" className="error">
          {error ?? (loaded.state === "failed" ? loaded.error : "")}
        </p>
      )}
      {loaded.value && items.length === 0 && <p className="empty">The list is empty. Add items here or from a recipe.</p>}
      <ul className="items">
        {[...open, ...done].map((item) => (
          <li key={item.id} className={item.checked ? "checked" : ""}>
            <label>
              <input type="checkbox" checked={item.checked} onChange={(e) => toggle(item, e.target.checked)} />
              <span>{item.text}</span>
            </label>
            <button type="button" className="icon-button" aria-label={`Remove ${item.name}`} onClick={() => run(() => client.removeGroceryItem(item.id))}>
              ×
            </button>
          </li>
        ))}
      </ul>
      {done.length > 0 && (
        <button type="button" onClick={() => run(() => client.clearCheckedGrocery())}>
          Clear checked
        </button>
      )}
    </div>
  );
}
