// The grocery list: items as core merged them, checked on any device, cleared, added by hand;
// for a user in a household, the choice between their own list and the household's, and moving
// their own unchecked items into the household's.
import { type FormEvent, useState, useRef } from "react";
import type { GroceryItem, GroceryListChoice, GroceryLists } from "../client";
import { errorMessage, useApp } from "./context";
import { useLoad, useFocusOnMount } from "./hooks";

export function Grocery() {
  const { client, changes } = useApp();
  const heading = useRef<HTMLHeadingElement>(null);
  useFocusOnMount(heading);
  const [local, setLocal] = useState<GroceryItem[] | null>(null);
  const loaded = useLoad(async () => {
    const [items, lists] = await Promise.all([client.groceryItems(), client.groceryLists()]);
    setLocal(null);
    return { items, lists };
  }, [client, changes]);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const items = local ?? loaded.value?.items ?? [];
  const lists = loaded.value?.lists;

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

  const choose = async (list: GroceryListChoice) => {
    setError(null);
    try {
      await client.chooseGroceryList(list);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const open = items.filter((i) => !i.checked);
  const done = items.filter((i) => i.checked);
  return (
    <div className="grocery">
      <h1 ref={heading} tabIndex={-1}>Grocery list</h1>
      {lists?.household_name && <ListChoice lists={lists} onChoose={choose} onMove={() => run(() => client.moveGroceryToHousehold())} />}
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

/** Which list is shown (the household's or the user's own), and the offer to move the user's
 *  own unchecked items into the household's. */
function ListChoice({ lists, onChoose, onMove }: { lists: GroceryLists; onChoose: (list: GroceryListChoice) => void; onMove: () => void }) {
  const household = lists.household_name ?? "";
  const moving = lists.mine_unchecked;
  return (
    <>
      <div className="list-choice" role="group" aria-label="Which grocery list">
        <button type="button" aria-pressed={lists.chosen === "household"} onClick={() => onChoose("household")}>
          {household} (household)
        </button>
        <button type="button" aria-pressed={lists.chosen === "mine"} onClick={() => onChoose("mine")}>
          My own list
        </button>
      </div>
      {moving > 0 && (
        <p className="move-items">
          Your own list has {moving} unchecked {moving === 1 ? "item" : "items"}.{" "}
          <button type="button" onClick={onMove}>
            Move {moving === 1 ? "it" : "them"} to {household}
          </button>
        </p>
      )}
    </>
  );
}
