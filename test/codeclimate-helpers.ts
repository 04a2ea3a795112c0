/**
 * Helpers for the Code Climate tests: the fixture connectors (published-style
 * packages under test/fixtures/codeclimate), a folder whose node_modules holds
 * them (so they are found by slug, as upstream's CLI finds them), and a
 * loopback HTTP API of incidents for the CommonJS connector to page through.
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { root, run, type RunResult, tempDir } from "./helpers.js";

export const fixtures = join(root, "test/fixtures/codeclimate");
export const ccBin = join(root, "bin/codeclimate-connector.js");

type TestContext = { after(fn: () => void): void };

/** A working folder with every fixture connector in its node_modules. */
export function projectWithConnectors(t: TestContext): string {
  const dir = tempDir(t);
  mkdirSync(join(dir, "node_modules"));
  for (const slug of ["incidents", "repos", "misbehave"]) {
    symlinkSync(
      join(fixtures, `codeclimate-connector-${slug}`),
      join(dir, "node_modules", `codeclimate-connector-${slug}`),
    );
  }
  return dir;
}

export function writeJson(dir: string, name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

export function codeclimateConnector(args: string[], cwd: string): Promise<RunResult> {
  return run(process.execPath, [ccBin, ...args], { cwd });
}

export interface IncidentsApi {
  baseUrl: string;
  /** The `since` parameter of every /incidents request, in order. */
  sinces: string[];
  setCount(count: number): void;
}

export async function startIncidentsApi(t: TestContext, token: string, count: number): Promise<IncidentsApi> {
  const sinces: string[] = [];
  let total = count;
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (request.headers.authorization !== `Token token=${token}`) {
      response.writeHead(401).end();
      return;
    }
    if (url.pathname === "/abilities") {
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
      return;
    }
    sinces.push(url.searchParams.get("since") ?? "");
    const offset = Number(url.searchParams.get("offset"));
    const limit = Number(url.searchParams.get("limit"));
    const incidents = [];
    for (let n = offset; n < Math.min(offset + limit, total); n++) {
      incidents.push({
        id: `P${n}`,
        self: `https://api.incidents.test/incidents/P${n}`,
        html_url: `https://incidents.test/incidents/P${n}`,
        title: `incident ${n}`,
        number: n,
        status: ["triggered", "acknowledged", "resolved"][n % 3],
        created_at: new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString(),
      });
    }
    response
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ incidents, more: offset + limit < total }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sinces,
    setCount: (n) => (total = n),
  };
}
