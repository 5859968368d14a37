// Always visible: where this device stands with the relay. Polled every 1.5 s and after every
// change event; a lost session (state "signed_out") sends the app back to sign-in, data kept.
import { useEffect, useRef, useState } from "react";
import type { SyncStatusView } from "../client";
import { errorMessage, useApp } from "./context";

const POLL_MS = 1500;

export function describe(status: SyncStatusView): string {
  const waiting = status.pending === 1 ? "1 change waiting" : `${status.pending} changes waiting`;
  switch (status.state) {
    case "up_to_date":
      return status.pending > 0 ? waiting : "Up to date";
    case "syncing":
      if (status.progress) {
        const { done, total } = status.progress;
        return `Syncing · ${done.toLocaleString()} of ${total.toLocaleString()}`;
      }
      return status.pending > 0 ? `Syncing · ${waiting}` : "Syncing…";
    case "connecting":
      return status.pending > 0 ? `Connecting · ${waiting}` : "Connecting…";
    case "offline":
      return status.pending > 0 ? `Offline · ${waiting}` : "Offline";
    case "signed_out":
      return "Signed out";
  }
}

export function SyncStatus({ onSignedOut }: { onSignedOut: () => void }) {
  const { client, changes } = useApp();
  const [status, setStatus] = useState<SyncStatusView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const signedOut = useRef(onSignedOut);
  signedOut.current = onSignedOut;

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const next = await client.syncStatus();
        if (!live) return;
        setStatus(next);
        setError(null);
        if (next.state === "signed_out") {
          signedOut.current();
          return;
        }
      } catch (e) {
        if (live) setError(errorMessage(e));
      }
      if (live) timer = setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, changes]);

  const state = status?.state ?? "connecting";
  return (
    <p role="status" className={`sync sync-${state}`} title={status?.last_error ?? undefined}>
      <span className="dot" aria-hidden="true" />
      {error ? `Sync status unknown: ${error}` : status ? describe(status) : "Checking sync…"}
    </p>
  );
}
