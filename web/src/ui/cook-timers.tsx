// Cook mode's countdowns: a timer started from a step's timer phrase counts down the seconds core
// parsed (the upper end of a range), shows mm:ss (h:mm:ss past an hour), can be cancelled, and
// when it reaches zero shows an alert and beeps once through WebAudio where there is sound.
// Timers keep running when cook mode is left; `TimerBar` shows them in the app's frame.
import { useSyncExternalStore } from "react";
import type { StepTimer } from "../client";

export type RunningTimer = {
  id: number;
  /** The step's phrase, e.g. "25 minutes". */
  label: string;
  timer: StepTimer;
  endsAt: number;
  done: boolean;
  /** The recipe it was started from (cook mode opens it again from the app's timer bar). */
  recipe: { id: string; title: string };
};

/** `seconds` as m:ss, or h:mm:ss from an hour. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const two = (n: number) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${two(m)}:${two(s % 60)}`;
}

/** The running timers live outside any screen, so leaving cook mode (to look something up, to
 *  read another recipe) keeps them counting; the app's frame shows them meanwhile. The
 *  snapshot carries the time it was taken, renewed four times a second while any runs. */
type Snapshot = { timers: RunningTimer[]; now: number };
const store = {
  snapshot: { timers: [], now: Date.now() } as Snapshot,
  listeners: new Set<() => void>(),
  nextId: 1,
  audio: null as AudioContext | null,
  ticker: undefined as ReturnType<typeof setInterval> | undefined,
};

function publish(timers: RunningTimer[]) {
  store.snapshot = { timers, now: Date.now() };
  const running = timers.some((t) => !t.done);
  if (running && store.ticker === undefined) store.ticker = setInterval(tick, 250);
  if (!running && store.ticker !== undefined) {
    clearInterval(store.ticker);
    store.ticker = undefined;
  }
  for (const listener of store.listeners) listener();
}

/** The clock moves on; timers whose time is up are marked, with one beep for them. */
function tick() {
  const now = Date.now();
  const { timers } = store.snapshot;
  if (timers.some((t) => !t.done && t.endsAt <= now)) {
    beep(store.audio);
    publish(timers.map((t) => (!t.done && t.endsAt <= now ? { ...t, done: true } : t)));
  } else publish(timers);
}

function subscribe(listener: () => void): () => void {
  store.listeners.add(listener);
  return () => store.listeners.delete(listener);
}

export function startTimer(label: string, timer: StepTimer, recipe: { id: string; title: string }) {
  // Made on a click, so the browser lets it play later.
  if (!store.audio) store.audio = makeAudio();
  const endsAt = Date.now() + timer.seconds * 1000;
  publish([...store.snapshot.timers, { id: store.nextId++, label, timer, endsAt, done: false, recipe }]);
}

export function removeTimer(id: number) {
  publish(store.snapshot.timers.filter((t) => t.id !== id));
}

/** The timers and the time of the snapshot, for a view that shows them. */
export function useTimers(): Snapshot {
  return useSyncExternalStore(subscribe, () => store.snapshot);
}

function makeAudio(): AudioContext | null {
  try {
    return typeof AudioContext === "undefined" ? null : new AudioContext();
  } catch {
    return null;
  }
}

function beep(ctx: AudioContext | null) {
  if (!ctx) return;
  try {
    void ctx.resume();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.15;
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.5);
  } catch {
    // No sound here; the alert still shows.
  }
}

export function TimerList({ timers, now, onRemove }: { timers: RunningTimer[]; now: number; onRemove: (id: number) => void }) {
  if (timers.length === 0) return null;
  return (
    <section className="cook-timers" aria-label="Timers">
      <ul>
        {timers.map((t) =>
          t.done ? (
            <li key={t.id} className="timer-done">
              <span role="alert">Time is up: {t.label}</span>
              <button type="button" onClick={() => onRemove(t.id)}>
                Dismiss
              </button>
            </li>
          ) : (
            <li key={t.id}>
              <span className="timer-label">{t.label}</span>
              <span className="countdown" role="timer" aria-label={`${t.label} timer`}>
                {clock((t.endsAt - now) / 1000)}
              </span>
              {t.timer.min_seconds !== null && (
                <span className="hint">check at {clock(t.timer.seconds - t.timer.min_seconds)} left</span>
              )}
              <button type="button" onClick={() => onRemove(t.id)} aria-label={`Cancel the ${t.label} timer`}>
                Cancel
              </button>
            </li>
          ),
        )}
      </ul>
    </section>
  );
}

/** The timers of cook modes left while they run, on every other screen: each with its
 *  countdown (or "Time is up") and a way back to its recipe's cook mode. */
export function TimerBar() {
  const { timers, now } = useTimers();
  if (timers.length === 0) return null;
  return (
    <section className="timer-bar" aria-label="Cooking timers">
      {timers.map((t) => (
        <p key={t.id}>
          {t.done ? (
            <span role="alert">Time is up: {t.label} ({t.recipe.title})</span>
          ) : (
            <>
              <span className="timer-label">
                {t.recipe.title}: {t.label}
              </span>{" "}
              <span className="countdown" role="timer" aria-label={`${t.label} timer`}>
                {clock((t.endsAt - now) / 1000)}
              </span>
            </>
          )}{" "}
          <a href={`#/cook/${t.recipe.id}`}>Back to cooking</a>{" "}
          <button type="button" onClick={() => removeTimer(t.id)} aria-label={t.done ? `Dismiss the ${t.label} timer` : `Cancel the ${t.label} timer`}>
            {t.done ? "Dismiss" : "Cancel"}
          </button>
        </p>
      ))}
    </section>
  );
}
