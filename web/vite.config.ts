// Vite builds the page and the engine worker (an ES module worker, so the wasm-bindgen glue
// and automerge-repo load as modules); the engine's .wasm is emitted as an asset.
import { defineConfig } from "vite";

export default defineConfig({
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  worker: { format: "es" },
});
