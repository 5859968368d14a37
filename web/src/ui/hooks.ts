import { type RefObject, useEffect, useState } from "react";
import { type LarderClient, LarderError } from "../client";
import { errorMessage } from "./context";

/** The current hash route, e.g. "/recipe/abc" for "#/recipe/abc". */
export function useHashRoute(): string {
  const read = () => decodeURI(location.hash.replace(/^#/, "")) || "/";
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const changed = () => setRoute(read());
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return route;
}

export type Loaded<T> =
  | { state: "loading"; value?: T }
  | { state: "ready"; value: T }
  | { state: "failed"; error: string; value?: T };

/** Runs `load` whenever `deps` change; keeps the last value while reloading (no flicker). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [result, setResult] = useState<Loaded<T>>({ state: "loading" });
  useEffect(() => {
    let live = true;
    setResult((prev) => ({ state: "loading", value: prev.value }));
    load().then(
      (value) => live && setResult({ state: "ready", value }),
      (e: unknown) => live && setResult((prev) => ({ state: "failed", error: errorMessage(e), value: prev.value })),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return result;
}

/** A blob: URL for an attachment's bytes (kept on this device by the engine), or an error. */
export function useAttachmentUrl(
  client: LarderClient,
  sha256: string | null | undefined,
  mediaType: string,
): { url: string | null; error: string | null; missing: boolean } {
  const [state, setState] = useState<{ url: string | null; error: string | null; missing: boolean }>({
    url: null,
    error: null,
    missing: false,
  });
  useEffect(() => {
    if (!sha256) {
      setState({ url: null, error: null, missing: false });
      return;
    }
    let live = true;
    let url: string | null = null;
    client.attachmentBytes(sha256).then(
      (bytes) => {
        if (!live) return;
        url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mediaType }));
        setState({ url, error: null, missing: false });
      },
      (e: unknown) =>
        live &&
        setState({ url: null, error: errorMessage(e), missing: e instanceof LarderError && e.code === "not_found" }),
    );
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [client, sha256, mediaType]);
  return state;
}

/** Moves focus to a screen's heading when the screen opens, so keyboard and screen-reader
 *  users land on what changed (the heading needs tabIndex={-1}). */
export function useFocusOnMount(ref: RefObject<HTMLElement | null>, ready = true): void {
  useEffect(() => {
    if (ready) ref.current?.focus();
  }, [ref, ready]);
}
