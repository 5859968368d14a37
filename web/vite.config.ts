// Vite builds the page and the engine worker (an ES module worker, so the wasm-bindgen glue
// and automerge-repo load as modules); both wasm files are emitted as assets. vite-plugin-pwa
// adds the web app manifest and a Workbox service worker that precaches the shell, the worker
// and both wasm files, so the app opens with the network off; app routes fall back to the
// shell, /api and /sync never do. `npm run dev` proxies the relay's API and sync socket
// (LARDER_RELAY, default http://127.0.0.1:8080), so the app keeps talking to its own origin as
// it does when the relay serves it.
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";

const relay = process.env.LARDER_RELAY ?? "http://127.0.0.1:8080";
const THEME = "#2f6b3f";

export default defineConfig({
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  worker: { format: "es" },
  plugins: [
    VitePWA({
      // The app asks before reloading into a new version (see src/pwa.ts).
      registerType: "prompt",
      injectRegister: false,
      manifest: {
        name: "Larder",
        short_name: "Larder",
        description: "Your recipes and grocery list, on every device, offline first.",
        start_url: "/",
        scope: "/",
        display: "standalone",
        theme_color: THEME,
        background_color: "#f6f1e4",
        icons: [
          { src: "/icons/icon-192.png", sizes: "192x192", type: "image/png" },
          { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png" },
          {
            src: "/icons/icon-maskable-512.png",
            sizes: "512x512",
            type: "image/png",
            purpose: "maskable",
          },
        ],
      },
      workbox: {
        globPatterns: ["**/*.{html,js,css,wasm,png,svg,webmanifest}"],
        // The engine's wasm is ~5.5 MB.
        maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
        navigateFallback: "/index.html",
        navigateFallbackDenylist: [/^\/api\//, /^\/sync/, /^\/healthz/, /^\/readyz/],
        cleanupOutdatedCaches: true,
      },
    }),
  ],
  server: {
    host: "127.0.0.1",
    proxy: {
      "/api": relay,
      "/sync": { target: relay, ws: true },
    },
  },
});
