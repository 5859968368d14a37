// Cook mode: one recipe full screen in large type, one step at a time ("Step 2 of 6", Previous /
// Next, ArrowLeft / ArrowRight, swiping left or right), steps and ingredients checked off for this
// cooking session only, ingredients scaled by core to the servings chosen, a timer button for
// every cooking time core found in a step, and the screen kept on while it is open. Escape or
// "Leave cook mode" goes back to the recipe.
import { useCallback, useEffect, useRef, useState, type PointerEvent } from "react";
import type { CookStep, CookView, StepTimer } from "../client";
import { TimerList, removeTimer, startTimer, useTimers } from "./cook-timers";
import { useApp } from "./context";
import { useFocusOnMount, useLoad } from "./hooks";
import { ServingsStepper } from "./Servings";
import { useWakeLock, wakeText } from "./wake-lock";

/** How far (px) a horizontal swipe must travel to change the step. */
const SWIPE = 50;

export function CookMode({ id, servings: startServings }: { id: string; servings?: number }) {
  const { client, changes, navigate } = useApp();
  const [servings, setServings] = useState<number | undefined>(startServings);
  const view = useLoad(() => client.cookView(id, servings), [client, id, servings, changes]);
  const leave = useCallback(() => navigate(`/recipe/${id}`), [navigate, id]);
  if (!view.value) {
    return (
      <main className="cook">
        {view.state === "failed" ? (
          <>
            <p role="alert" className="error">
              {view.error}
            </p>
            <a href={`#/recipe/${id}`}>Back to the recipe</a>
          </>
        ) : (
          <p className="empty">Loading…</p>
        )}
      </main>
    );
  }
  return (
    <CookBody
      view={view.value}
      error={view.state === "failed" ? view.error : null}
      servings={servings ?? view.value.servings ?? undefined}
      setServings={setServings}
      leave={leave}
    />
  );
}

function CookBody({
  view,
  error,
  servings,
  setServings,
  leave,
}: {
  view: CookView;
  error: string | null;
  servings: number | undefined;
  setServings: (n: number) => void;
  leave: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useFocusOnMount(heading);
  const { client } = useApp();
  const wake = useWakeLock(client);
  const { timers: allTimers, now } = useTimers();
  // This recipe's timers here (others show in the app's timer bar once cook mode is left).
  const timers = allTimers.filter((t) => t.recipe.id === view.recipe_id);
  const start = (label: string, timer: StepTimer) => startTimer(label, timer, { id: view.recipe_id, title: view.title });
  const remove = removeTimer;
  const [index, setIndex] = useState(0);
  const [doneSteps, setDoneSteps] = useState<ReadonlySet<number>>(new Set());
  const [hadIngredients, setHadIngredients] = useState<ReadonlySet<string>>(new Set());
  const count = view.steps.length;
  const current = Math.min(index, Math.max(0, count - 1));
  const next = useCallback(() => setIndex((i) => Math.min(i + 1, count - 1)), [count]);
  const previous = useCallback(() => setIndex((i) => Math.max(i - 1, 0)), []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
      const target = e.target;
      const typing =
        (target instanceof HTMLInputElement && target.type !== "checkbox") || target instanceof HTMLTextAreaElement;
      if (e.key === "Escape") leave();
      else if (typing) return;
      else if (e.key === "ArrowRight") next();
      else if (e.key === "ArrowLeft") previous();
      else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [leave, next, previous]);

  // Swipes: a pointer that goes down and up again far enough sideways, and more sideways than up.
  const down = useRef<{ id: number; x: number; y: number } | null>(null);
  const onPointerDown = (e: PointerEvent) => {
    if (e.pointerType === "mouse" && e.button !== 0) return;
    down.current = { id: e.pointerId, x: e.clientX, y: e.clientY };
  };
  const onPointerUp = (e: PointerEvent) => {
    const from = down.current;
    down.current = null;
    if (!from || from.id !== e.pointerId) return;
    const dx = e.clientX - from.x;
    const dy = e.clientY - from.y;
    if (Math.abs(dx) < SWIPE || Math.abs(dx) < 1.5 * Math.abs(dy)) return;
    if (dx < 0) next();
    else previous();
  };

  const toggle = <T,>(set: ReadonlySet<T>, item: T, on: boolean): ReadonlySet<T> => {
    const copy = new Set(set);
    if (on) copy.add(item);
    else copy.delete(item);
    return copy;
  };

  const step = view.steps[current];
  return (
    <main className="cook" aria-labelledby="cook-title">
      <header className="cook-head">
        <h1 id="cook-title" ref={heading} tabIndex={-1}>
          {view.title}
        </h1>
        <p className="wake hint" role="status">
          {wakeText(wake)}
        </p>
        <button type="button" onClick={leave} aria-keyshortcuts="Escape">
          Leave cook mode
        </button>
      </header>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="cook-body">
        <section
          className="cook-step"
          aria-labelledby="step-counter"
          onPointerDown={onPointerDown}
          onPointerUp={onPointerUp}
          onPointerCancel={() => (down.current = null)}
        >
          {step ? (
            <>
              <h2 id="step-counter" aria-live="polite">
                Step {current + 1} of {count}
              </h2>
              <StepText step={step} onTimer={start} />
              <label className="check step-done">
                <input
                  type="checkbox"
                  checked={doneSteps.has(current)}
                  onChange={(e) => setDoneSteps((s) => toggle(s, current, e.target.checked))}
                />
                Step done
              </label>
              <div className="step-nav">
                <button type="button" onClick={previous} disabled={current === 0} aria-keyshortcuts="ArrowLeft">
                  ← Previous step
                </button>
                <button
                  type="button"
                  className="primary"
                  onClick={next}
                  disabled={current >= count - 1}
                  aria-keyshortcuts="ArrowRight"
                >
                  Next step →
                </button>
              </div>
            </>
          ) : (
            <>
              <h2 id="step-counter">Steps</h2>
              <p className="empty">This recipe has no steps.</p>
            </>
          )}
        </section>
        <TimerList timers={timers} now={now} onRemove={remove} />
        <section className="cook-ingredients" aria-labelledby="cook-ingredients-h">
          <div className="section-head">
            <h2 id="cook-ingredients-h">Ingredients</h2>
            {view.servings !== null && servings !== undefined && (
              <ServingsStepper servings={servings} onChange={setServings} />
            )}
          </div>
          {view.ingredients.length === 0 ? (
            <p className="empty">No ingredients listed.</p>
          ) : (
            <ul className="cook-list">
              {view.ingredients.map((line) => (
                <li key={line.id}>
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={hadIngredients.has(line.id)}
                      onChange={(e) => setHadIngredients((s) => toggle(s, line.id, e.target.checked))}
                    />
                    {line.text}
                  </label>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </main>
  );
}

/** A step's text with a button for each cooking time in it. */
function StepText({ step, onTimer }: { step: CookStep; onTimer: (label: string, timer: StepTimer) => void }) {
  return (
    <p className="step-text">
      {step.parts.map(({ text, timer }, i) =>
        timer ? (
          <button
            key={i}
            type="button"
            className="timer-button"
            aria-label={`Start a timer for ${text}`}
            onClick={() => onTimer(text, timer)}
          >
            <span aria-hidden="true" className="timer-icon">▶ </span>
            {text}
          </button>
        ) : (
          <span key={i}>{text}</span>
        ),
      )}
    </p>
  );
}
