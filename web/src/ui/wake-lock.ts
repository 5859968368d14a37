// Keeps the screen on while cook mode is open: the Screen Wake Lock API where the web view has it
// (Chromium, Android's WebView, Safari 16.4+), asked for again whenever the page becomes visible
// (hiding a page releases its lock) and released on leaving. Where the API is missing (WebKitGTK,
// which the Linux desktop app runs in) the app shell is asked instead (`keepScreenOn`: the
// desktop's screen saver inhibited); where neither can, the state says so, for the screen to
// say quietly.
import { useEffect, useState } from "react";
import type { LarderClient } from "../client";

export type WakeState = "asking" | "on" | "released" | "unsupported" | "refused";

export function useWakeLock(client: LarderClient): WakeState {
  const supported = typeof navigator !== "undefined" && "wakeLock" in navigator;
  const [state, setState] = useState<WakeState>("asking");
  useEffect(() => {
    if (!supported) return shellKeepsScreenOn(client, setState);
    let live = true;
    let asking = false;
    let sentinel: WakeLockSentinel | null = null;
    const acquire = async () => {
      if (asking || document.visibilityState !== "visible" || (sentinel && !sentinel.released)) return;
      asking = true;
      try {
        const lock = await navigator.wakeLock.request("screen");
        if (!live) {
          void lock.release();
          return;
        }
        sentinel = lock;
        setState("on");
        lock.addEventListener("release", () => live && setState("released"));
      } catch {
        if (live) setState("refused");
      } finally {
        asking = false;
      }
    };
    void acquire();
    const onVisibility = () => void acquire();
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      live = false;
      document.removeEventListener("visibilitychange", onVisibility);
      if (sentinel && !sentinel.released) void sentinel.release();
    };
  }, [supported, client]);
  return state;
}

/** The shell's keep-awake, from now until the returned clean-up. */
function shellKeepsScreenOn(client: LarderClient, setState: (state: WakeState) => void): () => void {
  let live = true;
  const held = client.keepScreenOn(true).then(
    () => {
      if (live) setState("on");
      return true;
    },
    () => {
      if (live) setState("unsupported");
      return false;
    },
  );
  return () => {
    live = false;
    void held.then((on) => {
      if (on) void client.keepScreenOn(false).catch(() => undefined);
    });
  };
}

/** What cook mode says about the screen (nothing loud: a line of small print). */
export function wakeText(state: WakeState): string {
  switch (state) {
    case "on":
      return "Screen kept on while cooking";
    case "asking":
      return "Keeping the screen on…";
    case "unsupported":
      return "Screen may sleep: this app cannot keep it on here";
    case "refused":
    case "released":
      return "Screen may sleep";
  }
}
