import { useEffect, useState } from "react";
import { useApp } from "./context";

/** "A new version of Larder is available — Reload", when the service worker has one ready. */
export function UpdatePrompt({ onUpdate, applyUpdate }: { onUpdate: (l: () => void) => () => void; applyUpdate: () => Promise<void> }) {
  const { reportError } = useApp();
  const [available, setAvailable] = useState(false);
  useEffect(() => onUpdate(() => setAvailable(true)), [onUpdate]);
  if (!available) return null;
  return (
    <div className="update" role="alert">
      <span>A new version of Larder is available.</span>
      <button type="button" className="primary" onClick={() => applyUpdate().catch(reportError)}>
        Reload
      </button>
      <button type="button" onClick={() => setAvailable(false)}>
        Later
      </button>
    </div>
  );
}
