#!/usr/bin/env node
/**
 * `npm run check:versions`: asks each upstream whether what versions.json pins exists — every image
 * tag (and digest, where one is pinned) in its registry, every chart version in its repository's
 * index.yaml, and the Argo CD install manifest URL — and prints one table. Not part of `npm test`:
 * it needs the internet. Exit 0 when everything exists; 1 when something is missing, or (one line,
 * "no network") when no upstream can be reached at all.
 *
 * CHECK_VERSIONS_BASE_URL=http://127.0.0.1:PORT sends every request to that origin instead (tests).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const versions = JSON.parse(readFileSync(join(root, "versions.json"), "utf8"));
const base = process.env.CHECK_VERSIONS_BASE_URL;
const TIMEOUT_MS = Number(process.env.CHECK_VERSIONS_TIMEOUT_MS ?? 20_000);
const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** A request that never reached a server (DNS, refused, unreachable, timed out). */
class NetworkError extends Error {}

function target(url) {
  if (!base) return url;
  const original = new URL(url);
  const rewritten = new URL(original.pathname + original.search, base);
  return rewritten.toString();
}

async function request(url, init = {}) {
  try {
    return await fetch(target(url), { redirect: "follow", ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    const cause = error?.cause?.code ?? error?.cause?.message ?? error?.name ?? String(error);
    throw new NetworkError(`${new URL(url).host}: ${cause}`);
  }
}

/** `docker.io/library/registry:3.1.1`, `kindest/node:v1.36.1@sha256:…` → registry host, repository, tag, digest. */
export function parseImage(reference) {
  let rest = reference;
  let digest;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const slash = rest.indexOf("/");
  let host = "docker.io";
  if (slash > 0 && /[.:]|^localhost$/.test(rest.slice(0, slash))) {
    host = rest.slice(0, slash);
    rest = rest.slice(slash + 1);
  }
  const colon = rest.lastIndexOf(":");
  const tag = colon > 0 ? rest.slice(colon + 1) : "latest";
  let repository = colon > 0 ? rest.slice(0, colon) : rest;
  if (host === "docker.io" && !repository.includes("/")) repository = `library/${repository}`;
  return { host: host === "docker.io" ? "registry-1.docker.io" : host, repository, tag, digest };
}

/** The registry token dance (Docker Hub, quay, ghcr): follow a 401's Bearer challenge once. */
async function withToken(url, init) {
  let response = await request(url, init);
  const challenge = response.headers.get("www-authenticate") ?? "";
  if (response.status !== 401 || !/^bearer /i.test(challenge)) return response;
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const tokenUrl = new URL(params.realm);
  if (params.service) tokenUrl.searchParams.set("service", params.service);
  if (params.scope) tokenUrl.searchParams.set("scope", params.scope);
  const tokenResponse = await request(tokenUrl.toString());
  if (!tokenResponse.ok) return response;
  const body = await tokenResponse.json();
  const token = body.token ?? body.access_token;
  response = await request(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } });
  return response;
}

async function manifest(host, repository, reference) {
  const url = `https://${host}/v2/${repository}/manifests/${reference}`;
  const response = await withToken(url, { method: "HEAD", headers: { accept: MANIFEST_TYPES } });
  return { status: response.status, digest: response.headers.get("docker-content-digest") ?? undefined };
}

async function checkImage(reference) {
  const image = parseImage(reference);
  const tagged = await manifest(image.host, image.repository, image.tag);
  if (tagged.status !== 200) return { result: "MISSING", detail: `tag ${image.tag}: HTTP ${tagged.status}` };
  if (!image.digest)
    return {
      result: "ok",
      detail: `tag ${image.tag} exists${tagged.digest ? ` (${tagged.digest.slice(0, 19)}…)` : ""}`,
    };
  const pinned = await manifest(image.host, image.repository, image.digest);
  if (pinned.status !== 200)
    return { result: "MISSING", detail: `digest ${image.digest.slice(0, 19)}…: HTTP ${pinned.status}` };
  if (tagged.digest && tagged.digest !== image.digest) {
    return {
      result: "MOVED",
      detail: `tag ${image.tag} now points at ${tagged.digest.slice(0, 19)}…, pinned ${image.digest.slice(0, 19)}…`,
    };
  }
  return { result: "ok", detail: `tag ${image.tag} and digest ${image.digest.slice(0, 19)}… exist` };
}

async function checkChart(name, chart) {
  const url = `${chart.repository.replace(/\/$/, "")}/index.yaml`;
  const response = await request(url);
  if (!response.ok) return { result: "MISSING", detail: `${url}: HTTP ${response.status}` };
  const index = parse(await response.text());
  const found = (index?.entries?.[name] ?? []).some((entry) => entry.version === chart.version);
  return found
    ? { result: "ok", detail: `${name} ${chart.version} is in index.yaml` }
    : { result: "MISSING", detail: `${name} ${chart.version} is not in ${url}` };
}

async function checkUrl(url) {
  const response = await request(url, { method: "HEAD" });
  return response.ok
    ? { result: "ok", detail: `HTTP ${response.status}` }
    : { result: "MISSING", detail: `HTTP ${response.status}` };
}

const checks = [
  ["image", "kindNodeImage", versions.kindNodeImage, () => checkImage(versions.kindNodeImage)],
  ...Object.entries(versions.images)
    // Built by `sre-lab up` and pushed to the lab's own registry: nothing upstream to ask.
    .filter(([name]) => name !== "targetApp")
    .map(([name, reference]) => ["image", `images.${name}`, reference, () => checkImage(reference)]),
  ...Object.entries(versions.charts).map(([name, chart]) => [
    "chart",
    `charts.${name}`,
    `${chart.repository} ${chart.version}`,
    () => checkChart(name, chart),
  ]),
  [
    "url",
    "argocd.installManifest",
    versions.argocd.installManifest,
    () => checkUrl(versions.argocd.installManifest),
  ],
];

const rows = [];
let networkFailures = 0;
let firstNetworkError;
for (const [kind, entry, pinned, check] of checks) {
  try {
    rows.push({ kind, entry, pinned, ...(await check()) });
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    networkFailures++;
    firstNetworkError ??= error.message;
    rows.push({ kind, entry, pinned, result: "UNREACHABLE", detail: error.message });
  }
}

if (networkFailures === checks.length) {
  process.stderr.write(`check:versions: no network: no upstream answered (${firstNetworkError})\n`);
  process.exit(1);
}
const columns = ["kind", "entry", "pinned", "result", "detail"];
const width = Object.fromEntries(
  columns.map((c) => [c, Math.max(c.length, ...rows.map((r) => String(r[c]).length))]),
);
const line = (r) =>
  columns
    .map((c) => String(r[c]).padEnd(width[c]))
    .join("  ")
    .trimEnd();
process.stdout.write(
  `${[line(Object.fromEntries(columns.map((c) => [c, c.toUpperCase()]))), ...rows.map(line)].join("\n")}\n`,
);
const bad = rows.filter((r) => r.result !== "ok");
if (bad.length > 0) {
  process.stderr.write(
    `check:versions: ${bad.length} of ${rows.length} pinned facts did not check out: ${bad.map((r) => r.entry).join(", ")}\n`,
  );
  process.exit(1);
}
process.stderr.write(`check:versions: all ${rows.length} pinned facts exist upstream\n`);
