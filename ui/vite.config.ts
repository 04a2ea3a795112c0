// The web UI's build: Preact with JSX compiled by Vite's own transformer (no plugin needed),
// output into dist/ui where the server reads it. Nothing loads from elsewhere at run time.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../dist/ui", import.meta.url)),
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    target: "es2022",
  },
  server: {
    // `npm run ui:dev` against a running `sluice server` on :8080.
    proxy: { "/api": "http://127.0.0.1:8080", "/login": "http://127.0.0.1:8080" },
  },
});
