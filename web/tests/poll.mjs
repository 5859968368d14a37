// Waiting on a condition, shared by the browser harness (web/tests) and the desktop end-to-end
// harness (desktop/tests/e2e): no dependencies, so either can import it.

/** Polls `check` until it returns a truthy value or `ms` pass; `explain` adds to the failure. */
export async function until(what, check, ms = 20_000, explain = async () => "") {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const more = await explain().catch((e) => String(e));
      throw new Error(`timed out waiting for ${what} (last: ${last}) ${more}`);
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
}
