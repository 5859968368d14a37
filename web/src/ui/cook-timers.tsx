// Cook mode's countdowns: a timer started from a step's timer phrase counts down the seconds core
// parsed (the upper end of a range), shows mm:ss (h:mm:ss past an hour), can be cancelled, and
// when it reaches zero shows an alert and beeps once through WebAudio where there is sound.
import { useCallback, useEffect, useRef, useState } from "react";
import type { StepTimer } from "../client";

export type RunningTimer = {
  id: number;
  /** The step's phrase, e.g. "25 minutes". */
  label: string;
  timer: StepTimer;
  endsAt: number;
  done: boolean;
};

/** `seconds` as m:ss, or h:mm:ss from an hour. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const two = (n: number) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${two(m)}:${two(s % 60)}`;
}

export function useTimers() {
  const [timers, setTimers] = useState<RunningTimer[]>([]);
  const [now, setNow] = useState(() => Date.now());
  const nextId = useRef(1);
  const audio = useRef<AudioContext | null>(null);

  const running = timers.some((t) => !t.done);
  useEffect(() => {
    if (!running) return;
    const tick = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(tick);
  }, [running]);

  useEffect(() => {
    if (!timers.some((t) => !t.done && t.endsAt <= now)) return;
    beep(audio.current);
    setTimers((list) => list.map((t) => (!t.done && t.endsAt <= now ? { ...t, done: true } : t)));
  }, [now, timers]);

  const start = useCallback((label: string, timer: StepTimer) => {
    // Made on a click, so the browser lets it play later.
    if (!audio.current) audio.current = makeAudio();
    const at = Date.now();
    setNow(at);
    setTimers((list) => [...list, { id: nextId.current++, label, timer, endsAt: at + timer.seconds * 1000, done: false }]);
  }, []);
  const remove = useCallback((id: number) => setTimers((list) => list.filter((t) => t.id !== id)), []);

  useEffect(() => () => void audio.current?.close().catch(() => undefined), []);
  return { timers, now, start, remove };
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
