// Attachment bytes between this browser and the relay, the network half: uploads what the
// engine says is due (PUT /api/v1/blobs/{sha256}; the relay verifies the hash) and reports each
// outcome back, so the queue, its backoff and its retries live in the database with the rest
// (web/engine/src/transfers.rs, core's blob_transfer); downloads an attachment another device
// added (GET /api/v1/blobs/{sha256}) and hands the bytes to the engine, which keeps them only if
// they hash to what the recipe says.
import type { Engine } from "../engine-pkg/larder_web_engine.js";
import { RelayRefused, type RelayAddress } from "./relay-api";

/** Uploads every due attachment. Stops at the first sign the relay is unreachable; a rejected
 *  session is thrown as RelayRefused("unauthorized"); other refusals are recorded per file. */
export async function uploadDue(engine: Engine, relay: RelayAddress): Promise<number> {
  let uploaded = 0;
  for (;;) {
    const upload = engine.nextUpload(Date.now());
    if (!upload) return uploaded;
    const { sha256, mediaType, bytes } = upload;
    upload.free();
    let response: Response;
    try {
      response = await fetch(new URL(`api/v1/blobs/${sha256}`, `${relay.server}/`), {
        method: "PUT",
        headers: {
          authorization: `Bearer ${relay.token}`,
          "content-type": mediaType || "application/octet-stream",
        },
        body: bytes as Uint8Array<ArrayBuffer>,
      });
    } catch (e) {
      engine.uploadFailed(sha256, `cannot reach the relay: ${String(e)}`, Date.now());
      return uploaded;
    }
    if (response.ok) {
      engine.uploadDone(sha256);
      uploaded++;
      continue;
    }
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    const reason = body.message ?? `the relay answered ${response.status}`;
    engine.uploadFailed(sha256, reason, Date.now());
    if (response.status === 401) throw new RelayRefused({ code: "unauthorized", message: reason });
  }
}

/** Fetches the bytes of `sha256` from the relay into the engine (verified there). */
export async function download(engine: Engine, relay: RelayAddress, sha256: string): Promise<void> {
  let response: Response;
  try {
    const url = new URL(`api/v1/blobs/${sha256}`, `${relay.server}/`);
    // Another user's file, through the recipe they share with this user.
    const via = engine.sharedRecipeWith(sha256);
    if (via) url.searchParams.set("doc", via);
    response = await fetch(url, { headers: { authorization: `Bearer ${relay.token}` } });
  } catch (e) {
    throw new RelayRefused({
      code: "unreachable",
      message: `this file is not on this device yet and the relay cannot be reached: ${String(e)}`,
    });
  }
  if (response.status === 404) {
    throw new RelayRefused({
      code: "not_found",
      message: "the device that attached this file has not uploaded it yet",
    });
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    throw new RelayRefused({
      code: response.status === 401 ? "unauthorized" : "invalid",
      message: body.message ?? `the relay answered ${response.status}`,
    });
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const mediaType = response.headers.get("content-type") ?? "application/octet-stream";
  engine.keepDownloaded(sha256, mediaType, bytes);
}
