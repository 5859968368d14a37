// The plan's calendar address: made (shown once, to copy into a calendar app), replaced, or
// stopped. The relay keeps the address's token; offline or signed out, the shell says why.
import { useState } from "react";
import type { CalendarAction, CalendarLink } from "../client";
import { errorMessage, useApp } from "./context";
import { useLoad } from "./hooks";

export function PlanCalendar() {
  const { client } = useApp();
  const status = useLoad<CalendarLink>(() => client.planCalendar("status"), [client]);
  const [link, setLink] = useState<CalendarLink | null>(null);
  const [error, setError] = useState<string | null>(null);
  const current = link ?? status.value ?? null;
  const act = async (action: CalendarAction) => {
    setError(null);
    try {
      setLink(await client.planCalendar(action));
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <section className="card plan-calendar" aria-labelledby="calendar-h">
      <h2 id="calendar-h">Your plan in a calendar</h2>
      <p className="hint">Calendar apps can subscribe to an address that lists your planned meals. Anyone with the address can read the plan, so share it only with your own calendar.</p>
      {status.state === "failed" && !link && (
        <p role="alert" className="error">
          {status.error}
        </p>
      )}
      {current?.url && (
        <label className="calendar-url">
          Calendar address (shown once: copy it now)
          <input readOnly value={current.url} onFocus={(e) => e.target.select()} />
        </label>
      )}
      {current && !current.url && <p>{current.active ? "A calendar address is active." : "No calendar address yet."}</p>}
      <div className="actions">
        <button type="button" className="primary" onClick={() => act("create")}>
          {current?.active ? "Make a new address" : "Make a calendar address"}
        </button>
        {current?.active && (
          <button type="button" className="danger" onClick={() => act("revoke")}>
            Stop the address
          </button>
        )}
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}
