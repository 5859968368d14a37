// The relay's live change feed (`GET /api/v1/changes/live?since=N`, Server-Sent Events) read
// with `fetch`, so the session token travels in the Authorization header and never in a URL
// (the browser's EventSource cannot send headers). Each `change` event is one feed entry: the
// backlog after `since` first, then one `caught-up` event, then every new entry as the relay
// records it. SSE framing is parsed by eventsource-parser.
import { EventSourceParserStream } from "eventsource-parser/stream";
import { RelayRefused } from "./relay-api";

/** Largest event the relay may send (an entry is a document id and a few hashes). */
const MAX_EVENT_CHARS = 64 * 1024;

/** Follows the feed from `since`: calls `onOpen` once the relay has accepted the stream,
 *  `onEntry` with each entry's JSON (`{seq, doc_id, heads}`, read by core) in order, and `onCaughtUp` once the backlog has been
 *  delivered; resolves when the relay ends the stream, rejects when it cannot be reached or
 *  refuses (a RelayRefused with the relay's code), or when `signal` aborts. */
export async function followLiveFeed(
  server: string,
  token: string,
  since: number,
  onOpen: () => void,
  onEntry: (entryJson: string) => void,
  onCaughtUp: () => void,
  signal: AbortSignal,
): Promise<void> {
  const url = new URL("api/v1/changes/live", `${server}/`);
  url.searchParams.set("since", String(since));
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
      cache: "no-store",
      signal,
    });
  } catch (e) {
    throw new RelayRefused({ code: "unreachable", message: `cannot reach ${server}: ${String(e)}` });
  }
  if (!response.ok || !response.body) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    throw new RelayRefused({
      code: response.status === 401 ? "unauthorized" : "unreachable",
      message: body.message ?? `the relay answered ${response.status} to the live feed`,
    });
  }
  onOpen();
  const events = response.body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream({ maxBufferSize: MAX_EVENT_CHARS }));
  const reader = events.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      if (value.event === "caught-up") onCaughtUp();
      if (value.event !== "change") continue;
      onEntry(value.data);
    }
  } finally {
    reader.releaseLock();
  }
}
