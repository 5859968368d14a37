// What every screen shares: the typed client (the only way the UI reaches the engine, whatever
// the shell's transport), a counter bumped on every change event so views re-read, and the
// place to report errors the user must see.
import { createContext, useContext } from "react";
import type { LarderClient } from "../client";

export type Shell = {
  /** Resolves once the engine answers; a rejection is shown as a fatal error. */
  ready?: Promise<unknown>;
  /** The relay address the sign-in form starts with (the browser: the page's origin). */
  defaultServer?: string;
  /** A notice from the shell shown under the header (e.g. "open in another tab"). */
  notice?: Promise<string | null>;
  /** Asks the browser to keep this device's data when storage runs low (it may evict a site's
   *  data otherwise); resolves with whether it will. Absent in the apps, whose files stay. */
  keepData?: () => Promise<boolean>;
  /** The PWA's "new version" hooks; absent in the desktop/mobile apps. */
  onUpdate?: (listener: () => void) => () => void;
  applyUpdate?: () => Promise<void>;
};

export type AppContextValue = {
  client: LarderClient;
  /** Bumped on every change event (any recipe or the grocery list). */
  changes: number;
  reportError: (error: unknown) => void;
  navigate: (path: string) => void;
};

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error("useApp outside <App>");
  return value;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
