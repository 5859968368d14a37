// The landing screen: a search box (focused) whose results follow every keystroke; blank
// lists everything. Searching is core's FTS5 index; this only shows what it returns.
import { useEffect, useState } from "react";
import type { RecipeSummary } from "../client";
import { useApp } from "./context";
import { formatMinutes } from "./format";
import { useAttachmentUrl, useLoad } from "./hooks";
import { UndoBar } from "./UndoBar";

export function Search({ selected }: { selected?: string }) {
  const { client, changes } = useApp();
  const [query, setQuery] = useState(() => sessionStorage.getItem("larder.query") ?? "");
  useEffect(() => sessionStorage.setItem("larder.query", query), [query]);
  const [sharedOnly, setSharedOnly] = useState(false);
  const results = useLoad(() => client.search(query, undefined, undefined, sharedOnly), [client, query, sharedOnly, changes]);
  const list = results.value ?? [];

  return (
    <div className="search">
      {/* The page's heading while no recipe (with its own h1) is open beside the list. */}
      {selected ? <h2 className="visually-hidden">Recipes</h2> : <h1 className="visually-hidden">Recipes</h1>}
      <div className="search-head">
        <input
          type="search"
          aria-label="Search recipes"
          placeholder="Search recipes, ingredients, tags…"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          autoFocus
        />
        <button type="button" className="shared-filter" aria-pressed={sharedOnly} onClick={() => setSharedOnly(!sharedOnly)}>
          Shared with me
        </button>
        <a className="button primary new-recipe" href="#/new">
          New recipe
        </a>
      </div>
      {!query.trim() && <TagChips onPick={setQuery} />}
      <UndoBar kind="delete" />
      {results.state === "failed" && (
        <p role="alert" className="error">
          {results.error}
        </p>
      )}
      {results.state !== "loading" || results.value ? (
        <p className="count" aria-live="polite">
          {list.length === 0
            ? sharedOnly
              ? "No one shares a recipe with you yet."
              : query.trim()
              ? `No recipes match “${query.trim()}”.`
              : "No recipes yet. Add one with “New recipe”, or import a file."
            : list.length === 1
              ? "1 recipe"
              : `${list.length} recipes`}
        </p>
      ) : null}
      <ul className="results">
        {list.map((summary) => (
          <Result key={summary.id} summary={summary} selected={summary.id === selected} />
        ))}
      </ul>
    </div>
  );
}

/** The user's tags (from core, with counts): one tap searches for a tag. */
function TagChips({ onPick }: { onPick: (tag: string) => void }) {
  const { client, changes } = useApp();
  const tags = useLoad(() => client.listTags(), [client, changes]);
  if (tags.state === "failed") {
    return (
      <p role="alert" className="error">
        {tags.error}
      </p>
    );
  }
  if (!tags.value?.length) return null;
  return (
    <ul className="tag-chips" aria-label="Tags">
      {tags.value.slice(0, 12).map(({ tag, count }) => (
        <li key={tag}>
          <button type="button" className="chip" onClick={() => onPick(tag)} aria-label={`${tag}, ${count} ${count === 1 ? "recipe" : "recipes"}`}>
            {tag} <span aria-hidden="true">{count}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}

function Result({ summary, selected }: { summary: RecipeSummary; selected: boolean }) {
  const { client } = useApp();
  const image = useAttachmentUrl(client, summary.thumbnail?.sha256, summary.thumbnail?.media_type ?? "");
  return (
    <li className={`result ${selected ? "selected" : ""}`}>
      <div className="thumb" aria-hidden={image.url ? undefined : true}>
        {image.url ? <img src={image.url} alt="" /> : <span className="thumb-letter">{summary.title.slice(0, 1)}</span>}
      </div>
      <div className="result-body">
        <a href={`#/recipe/${summary.id}`} aria-current={selected ? "page" : undefined}>
          {summary.title}
        </a>
        <div className="meta">
          {summary.total_minutes !== null && <span>{formatMinutes(summary.total_minutes)}</span>}
          {summary.tags.map((tag) => (
            <span className="tag" key={tag}>
              {tag}
            </span>
          ))}
          {summary.shared && <span className="shared-mark">Shared by {summary.shared.owner_name}</span>}
        </div>
      </div>
    </li>
  );
}
