// Vite builds the page and the engine worker (an ES module worker, so the wasm-bindgen glue
// and automerge-repo load as modules); both wasm files are emitted as assets. `npm run dev`
// proxies the relay's API and sync socket (LARDER_RELAY, default http://127.0.0.1:8080), so
// the app keeps talking to its own origin as it does when the relay serves it.
import { defineConfig } from "vite";

const relay = process.env.LARDER_RELAY ?? "http://127.0.0.1:8080";

export default defineConfig({
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  worker: { format: "es" },
  server: {
    host: "127.0.0.1",
    proxy: {
      "/api": relay,
      "/sync": { target: relay, ws: true },
    },
  },
});
