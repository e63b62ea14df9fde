/**
 * `npm run check:versions` without the internet: every request goes to a loopback origin
 * (CHECK_VERSIONS_BASE_URL); never to a real host.
 */
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, expect, it } from "vitest";
import { stringify } from "yaml";
import versions from "../../versions.json" with { type: "json" };

const script = join(import.meta.dirname, "../../scripts/check-versions.mjs");
const run = async (env: Record<string, string>) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [script], {
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

it("offline, it fails cleanly: one 'no network' line on stderr, nothing on stdout, exit 1", async () => {
  // A loopback port that refuses: open one, then close it.
  const url = await listen(() => {});
  await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = undefined;
  const result = await run({ CHECK_VERSIONS_BASE_URL: url });
  expect(result.code).toBe(1);
  expect(result.stdout).toBe("");
  expect(result.stderr).toMatch(/^check:versions: no network: no upstream answered \(.*ECONNREFUSED\)\n$/);
});

/** A stand-in for every upstream: registries' manifests, the charts' index.yaml, the install manifest. */
function upstream(missingTag?: string) {
  const nodeDigest = versions.kindNodeImage.split("@")[1]!;
  const charts = Object.fromEntries(
    Object.entries(versions.charts).map(([name, c]) => [name, [{ name, version: c.version }]]),
  );
  return listen((req, res) => {
    const path = req.url ?? "";
    if (path.endsWith("/index.yaml")) {
      res
        .writeHead(200, { "content-type": "text/yaml" })
        .end(stringify({ apiVersion: "v1", entries: charts }));
    } else if (path.includes("/manifests/")) {
      const reference = path.slice(path.lastIndexOf("/") + 1);
      const missing = missingTag !== undefined && reference === missingTag;
      const digest = path.includes("/kindest/node/") ? nodeDigest : `sha256:${"ab".repeat(32)}`;
      res.writeHead(missing ? 404 : 200, { "docker-content-digest": digest }).end();
    } else if (path.endsWith("/manifests/install.yaml") || path.endsWith("install.yaml")) {
      res.writeHead(200).end();
    } else {
      res.writeHead(404).end();
    }
  });
}

it("prints a table of every pinned image, chart and URL, and exits 0 when all exist", async () => {
  const result = await run({ CHECK_VERSIONS_BASE_URL: await upstream() });
  expect(result.stderr).toContain("all ");
  expect(result.code).toBe(0);
  const lines = result.stdout.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^KIND +ENTRY +PINNED +RESULT +DETAIL$/);
  const upstreamImages = Object.keys(versions.images).filter((n) => n !== "targetApp").length;
  expect(lines).toHaveLength(1 + 1 + upstreamImages + Object.keys(versions.charts).length + 1);
  expect(result.stdout).toMatch(
    /^image +kindNodeImage +kindest\/node:v1\.36\.1@sha256:\S+ +ok +tag v1\.36\.1 and digest/m,
  );
  expect(result.stdout).toMatch(/^chart +charts\.grafana .* ok /m);
  expect(result.stdout).toMatch(/^url +argocd\.installManifest .* ok +HTTP 200$/m);
});

it("names what is missing and exits 1", async () => {
  const tag = versions.images.registry.split(":").at(-1)!;
  const result = await run({ CHECK_VERSIONS_BASE_URL: await upstream(tag) });
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(
    new RegExp(
      `^image +images\\.registry +docker\\.io/library/registry:${tag} +MISSING +tag ${tag}: HTTP 404$`,
      "m",
    ),
  );
  expect(result.stderr).toContain("did not check out: images.registry");
});
