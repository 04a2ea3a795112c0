/**
 * The web UI: files built by `npm run build` (Vite, from ui/) into dist/ui,
 * read once at start and served from memory. Hashed assets are cached for
 * good; every other path of the single-page app gets index.html.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";

/** dist/ui, from src/server/http (tests) or dist/server/http (the package): both three levels down. */
export const UI_DIR = fileURLToPath(new URL("../../../dist/ui/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
};

export function uiRoutes(server: FastifyInstance, dir = UI_DIR): void {
  const files = readTree(dir);
  const index = files.get("index.html");
  server.get("/*", { schema: { hide: true } }, async (request, reply) => {
    const path = decodeSafe(request.url.split("?")[0]).replace(/^\/+/, "");
    if (path.startsWith("api/")) return reply.callNotFound();
    const file = files.get(path);
    if (file) {
      reply.header("cache-control", path.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache");
      return reply.type(TYPES[extname(path)] ?? "application/octet-stream").send(file);
    }
    if (!index)
      return reply
        .code(503)
        .type("text/plain; charset=utf-8")
        .send("The web UI is not built: run `npm run build`. The API works: /api/openapi.json");
    reply.header("cache-control", "no-cache");
    return reply.type(TYPES[".html"]).send(index);
  });
}

function readTree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  if (!existsSync(dir)) return files;
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder)) {
      const path = join(folder, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path).split("\\").join("/"), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

function decodeSafe(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
