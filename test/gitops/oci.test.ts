// publishArtifact against the fake registry (test/harness/fake-registry, distribution's behaviour): what
// gets written, that a republish of the same content writes nothing, and every failure a user can meet
// as the typed error they will read. The last block pulls the artifact back the way Argo CD's repo-server
// does (util/oci/client.go) and extracts its layer with GNU tar.

import { symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DeadlineError, InterruptedError, SreLabError, UsageError } from "../../src/core/errors.js";
import { sha256Digest } from "../../src/gitops/digest.js";
import {
  ManifestsPackError,
  NotARegistryError,
  RegistryDeadlineError,
  RegistryHttpError,
  RegistryUnreachableError,
} from "../../src/gitops/errors.js";
import {
  buildManifest,
  CONTENT_DIGEST_ANNOTATION,
  MANIFESTS_ARTIFACT_TYPE,
  MANIFESTS_LAYER_MEDIA_TYPE,
  OCI_EMPTY_CONFIG,
  OCI_MANIFEST_MEDIA_TYPE,
  type PublishOptions,
  publishArtifact,
} from "../../src/gitops/oci.js";
import { type FakeRegistry, startFakeRegistry } from "../harness/fake-registry/index.js";
import { extractWithGnuTar, readTree, removeTempDirs, tempDir, writeTree } from "./support.js";

const REPOSITORY = "sre-lab/manifests";
const MANIFESTS = {
  "bootstrap/Chart.yaml": "apiVersion: v2\nname: bootstrap\nversion: 0.1.0\n",
  "bootstrap/values.yaml": 'repoURL: ""\n',
  "target-app/deployment.yaml": "kind: Deployment\n",
};

let fake: FakeRegistry;
let dir: string;

beforeEach(async () => {
  fake = await startFakeRegistry();
  dir = writeTree(tempDir(), MANIFESTS);
});

afterEach(async () => {
  await fake.close();
  removeTempDirs();
});

function publish(overrides: Partial<PublishOptions> = {}) {
  return publishArtifact({ registry: fake.url, repository: REPOSITORY, tag: "0.1.0", dir, ...overrides });
}

const calls = (from = 0) =>
  fake.requests
    .slice(from)
    .map(
      (r) =>
        `${r.method} ${r.path.replace(/sha256:[0-9a-f]{64}/, "<digest>").replace(/uploads\/[0-9a-f-]{36}/, "uploads/<uuid>")} ${r.status}`,
    );

describe("publishing", () => {
  it("uploads the config and layer blobs, then tags the manifest", async () => {
    const result = await publish();

    expect(result).toMatchObject({ tag: "0.1.0", unchanged: false, uploadedBlobs: 2 });
    expect(result.reference).toBe(`${fake.host}/${REPOSITORY}:0.1.0@${result.digest}`);
    expect(calls()).toEqual([
      "GET /v2/ 200",
      "GET /v2/sre-lab/manifests/manifests/0.1.0 404",
      "HEAD /v2/sre-lab/manifests/blobs/<digest> 404",
      "POST /v2/sre-lab/manifests/blobs/uploads/ 202",
      "PUT /v2/sre-lab/manifests/blobs/uploads/<uuid> 201",
      "HEAD /v2/sre-lab/manifests/blobs/<digest> 404",
      "POST /v2/sre-lab/manifests/blobs/uploads/ 202",
      "PUT /v2/sre-lab/manifests/blobs/uploads/<uuid> 201",
      "PUT /v2/sre-lab/manifests/manifests/0.1.0 201",
    ]);
    const stored = fake.manifest(REPOSITORY, "0.1.0");
    expect(stored?.digest).toBe(result.digest);
    expect(stored?.mediaType).toBe(OCI_MANIFEST_MEDIA_TYPE);
    const manifest = JSON.parse(stored?.bytes.toString("utf8") ?? "{}");
    expect(manifest).toMatchObject({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST_MEDIA_TYPE,
      artifactType: MANIFESTS_ARTIFACT_TYPE,
      config: OCI_EMPTY_CONFIG,
      layers: [{ mediaType: MANIFESTS_LAYER_MEDIA_TYPE, digest: expect.stringMatching(/^sha256:/) }],
    });
    expect(fake.blob(REPOSITORY, OCI_EMPTY_CONFIG.digest)?.toString()).toBe("{}");
  });

  it("republishing the same content makes only GET/HEAD requests and returns the same digest", async () => {
    const first = await publish();
    const before = fake.requests.length;
    // Touching files (an editor save without changes) must not count as a change.
    utimesSync(join(dir, "bootstrap/Chart.yaml"), new Date(), new Date());

    const second = await publish();

    expect(second).toMatchObject({ digest: first.digest, unchanged: true, uploadedBlobs: 0 });
    expect(calls(before)).toEqual(["GET /v2/ 200", "GET /v2/sre-lab/manifests/manifests/0.1.0 200"]);
    expect(fake.mutatingRequests()).toHaveLength(5); // all from the first publish
  });

  it("publishes changed content under a new digest, moving the tag and reusing the config blob", async () => {
    const first = await publish();
    writeFileSync(join(dir, "target-app/deployment.yaml"), "kind: Deployment\nspec:\n  replicas: 2\n");
    const before = fake.requests.length;

    const second = await publish();

    expect(second.unchanged).toBe(false);
    expect(second.digest).not.toBe(first.digest);
    expect(second.uploadedBlobs).toBe(1);
    expect(fake.manifest(REPOSITORY, "0.1.0")?.digest).toBe(second.digest);
    // The previous publication stays reachable by digest (an Application pinned to it keeps working).
    expect(fake.manifest(REPOSITORY, first.digest)).toBeDefined();
    expect(calls(before).filter((c) => !c.startsWith("GET") && !c.startsWith("HEAD"))).toEqual([
      "POST /v2/sre-lab/manifests/blobs/uploads/ 202",
      "PUT /v2/sre-lab/manifests/blobs/uploads/<uuid> 201",
      "PUT /v2/sre-lab/manifests/manifests/0.1.0 201",
    ]);
  });

  it("treats the same content compressed differently (another zlib) as unchanged", async () => {
    const first = await publish();
    const layer = JSON.parse(fake.manifest(REPOSITORY, "0.1.0")?.bytes.toString() ?? "{}").layers[0];
    const tar = gunzipSync(fake.blob(REPOSITORY, layer.digest) ?? Buffer.alloc(0));
    // Push by hand what another Node version might have produced: same tar, other gzip bytes.
    const regzipped = gzipSync(tar, { level: 1 });
    const other = await pushByHand(regzipped, layer.annotations[CONTENT_DIGEST_ANNOTATION]);
    expect(other).not.toBe(first.digest);
    const before = fake.requests.length;

    const again = await publish();

    expect(again).toMatchObject({ unchanged: true, digest: other });
    expect(fake.mutatingRequests().filter((r) => fake.requests.indexOf(r) >= before)).toEqual([]);
  });

  it("writes a new manifest when only the annotations differ", async () => {
    const first = await publish({ annotations: { "org.opencontainers.image.revision": "abc123" } });
    const second = await publish({ annotations: { "org.opencontainers.image.revision": "def456" } });
    expect(second.unchanged).toBe(false);
    expect(second.digest).not.toBe(first.digest);
    expect(second.uploadedBlobs).toBe(0);
    expect(JSON.parse(fake.manifest(REPOSITORY, "0.1.0")?.bytes.toString() ?? "{}").annotations).toEqual({
      "org.opencontainers.image.revision": "def456",
    });
  });

  it("replaces whatever else the tag held", async () => {
    await publish({ dir: writeTree(tempDir(), { "other.yaml": "x\n" }) });
    const result = await publish();
    expect(result.unchanged).toBe(false);
    expect(fake.manifest(REPOSITORY, "0.1.0")?.digest).toBe(result.digest);
  });
});

async function pushByHand(layerBytes: Buffer, contentDigest: string): Promise<string> {
  const digest = sha256Digest(layerBytes);
  const start = await fetch(`${fake.url}/v2/${REPOSITORY}/blobs/uploads/`, { method: "POST" });
  const location = new URL(start.headers.get("location") ?? "");
  location.searchParams.set("digest", digest);
  expect((await fetch(location, { method: "PUT", body: layerBytes })).status).toBe(201);
  const manifest = buildManifest({ digest, size: layerBytes.length, contentDigest });
  const put = await fetch(`${fake.url}/v2/${REPOSITORY}/manifests/0.1.0`, {
    method: "PUT",
    headers: { "content-type": OCI_MANIFEST_MEDIA_TYPE },
    body: manifest,
  });
  expect(put.status).toBe(201);
  return put.headers.get("docker-content-digest") ?? "";
}

describe("failures, as the user reads them", () => {
  it("registry down: RegistryUnreachableError saying how to start it", async () => {
    const url = fake.url;
    await fake.close();
    const error = await publishArtifact({ registry: url, repository: REPOSITORY, tag: "0.1.0", dir }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RegistryUnreachableError);
    expect(error).toBeInstanceOf(SreLabError);
    expect((error as SreLabError).message).toBe(
      `the local registry at ${url} is not answering (connection refused)`,
    );
    expect((error as SreLabError).hint).toContain("sre-lab up");
    expect((error as SreLabError).hint).toContain("docker start sre-lab-registry");
    expect((error as SreLabError).exitCode).toBe(1);
    fake = await startFakeRegistry(); // for afterEach
  });

  it("something else on the port: NotARegistryError", async () => {
    const other = createServer((_req, res) => {
      res.writeHead(404, { "content-type": "text/html" });
      res.end("<h1>AirPlay</h1>");
    });
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    try {
      const error = await publish({ registry: url }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotARegistryError);
      expect((error as Error).message).toBe(
        `${url} answered, but not as an OCI registry (GET /v2/ answered 404, an OCI registry answers 200)`,
      );
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it("an error status carries the registry's code and message", async () => {
    fake.fail({ kind: "http-error", method: "PUT", path: /\/manifests\/0\.1\.0$/, code: "DENIED" });
    const error = await publish().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryHttpError);
    expect(error).toMatchObject({
      status: 403,
      code: "DENIED",
      registryMessage: "requested access to the resource is denied",
      request: "PUT /v2/sre-lab/manifests/manifests/0.1.0",
      message: `the local registry at ${fake.url} refused PUT /v2/sre-lab/manifests/manifests/0.1.0 (403 DENIED: requested access to the resource is denied)`,
    });
    expect((error as SreLabError).hint).toMatch(/without authentication/);
  });

  it("a server error points at the registry's log", async () => {
    fake.fail({ kind: "http-error", method: "HEAD", status: 500 });
    const error = await publish().catch((e: unknown) => e);
    // HEAD answers carry no body, so only the status is known.
    expect(error).toMatchObject({ status: 500, code: undefined });
    expect((error as Error).message).toContain("(HTTP 500)");
    expect((error as SreLabError).hint).toContain("docker logs sre-lab-registry");
  });

  it("a blob damaged in transit is refused with DIGEST_INVALID, nothing is tagged, and a retry works", async () => {
    fake.fail({ kind: "corrupt-upload" });
    const error = await publish().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryHttpError);
    expect(error).toMatchObject({ status: 400, code: "DIGEST_INVALID" });
    expect((error as SreLabError).hint).toMatch(/run the command again/);
    expect(fake.tags(REPOSITORY)).toEqual([]);

    const retry = await publish();
    expect(retry.unchanged).toBe(false);
    expect(fake.tags(REPOSITORY)).toEqual(["0.1.0"]);
  });

  it("a request with no answer fails at its deadline with RegistryDeadlineError", async () => {
    fake.fail({ kind: "hang", method: "GET", path: /\/manifests\/0\.1\.0$/ });
    const started = Date.now();
    const error = await publish({ timeoutMs: 300 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(RegistryDeadlineError);
    expect(error).toBeInstanceOf(DeadlineError);
    expect((error as Error).message).toBe(
      `the local registry at ${fake.url} did not answer GET /v2/sre-lab/manifests/manifests/0.1.0 within 300ms`,
    );
  });

  it("Ctrl-C during a request: InterruptedError, and nothing more is sent", async () => {
    fake.fail({ kind: "hang", method: "PUT", path: /\/manifests\/0\.1\.0$/ });
    const controller = new AbortController();
    const publishing = publish({ signal: controller.signal }).catch((e: unknown) => e);
    while (!fake.requests.some((r) => r.method === "PUT" && r.path.endsWith("/manifests/0.1.0"))) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const sent = fake.requests.length;
    controller.abort();
    const error = await publishing;
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as SreLabError).exitCode).toBe(130);
    expect(fake.requests.length).toBe(sent);
  });

  it("an already-aborted signal sends nothing", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(publish({ signal: controller.signal })).rejects.toBeInstanceOf(InterruptedError);
    expect(fake.requests).toEqual([]);
  });

  it("a directory that cannot be packed fails before any request", async () => {
    symlinkSync("Chart.yaml", join(dir, "bootstrap/link.yaml"));
    await expect(publish()).rejects.toBeInstanceOf(ManifestsPackError);
    expect(fake.requests).toEqual([]);
  });

  it.each([
    [{ repository: "Sre-Lab/Manifests" }, "not a valid OCI repository name"],
    [{ tag: "-latest" }, "not a valid OCI tag"],
    [{ registry: "ftp://127.0.0.1:5001" }, "a registry is reached over http or https"],
    [{ registry: "http://127.0.0.1:5001/v2/" }, "a registry address has no path"],
    [{ timeoutMs: 0 }, "timeoutMs must be a positive number"],
  ] as const)("refuses bad input %j as a UsageError, without a request", async (overrides, message) => {
    const error = await publish(overrides).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(message);
    expect(fake.requests).toEqual([]);
  });
});

describe("pulled back the way Argo CD's repo-server does it", () => {
  // util/oci/client.go: resolveRevision (HEAD by tag → digest, via oras Resolve, which needs Content-Type,
  // Content-Length and Docker-Content-Digest), getOCIManifest (fetch by digest), then the content-layer
  // checks of extract(), then files.Untgz of the layer into the directory `path` is resolved against.
  const ARGOCD_ACCEPT = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
  ].join(", ");
  const ALLOWED_LAYER_TYPES = [
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
  ];

  it("resolves the tag, finds exactly one allowed content layer, and extracts the directory's content", async () => {
    const published = await publish();
    const base = `${fake.url}/v2/${REPOSITORY}`;

    const head = await fetch(`${base}/manifests/0.1.0`, {
      method: "HEAD",
      headers: { accept: ARGOCD_ACCEPT },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe(OCI_MANIFEST_MEDIA_TYPE);
    expect(Number(head.headers.get("content-length"))).toBeGreaterThan(0);
    const digest = head.headers.get("docker-content-digest");
    expect(digest).toBe(published.digest);

    const manifestResponse = await fetch(`${base}/manifests/${digest}`, {
      headers: { accept: ARGOCD_ACCEPT },
    });
    const manifestBytes = Buffer.from(await manifestResponse.arrayBuffer());
    expect(sha256Digest(manifestBytes)).toBe(digest);
    const manifest = JSON.parse(manifestBytes.toString("utf8")) as {
      config: { mediaType: string };
      layers: Array<{ mediaType: string; digest: string; size: number }>;
    };
    expect(manifest.layers.length).toBeLessThanOrEqual(10);
    expect(manifest.config.mediaType).not.toBe("application/vnd.cncf.helm.config.v1+json");
    const content = manifest.layers.filter((l) => /(tar\+gzip|tar\.gzip|tar)$/.test(l.mediaType));
    expect(content).toHaveLength(1);
    const [layer] = content;
    expect(ALLOWED_LAYER_TYPES).toContain(layer?.mediaType);

    const blob = Buffer.from(await (await fetch(`${base}/blobs/${layer?.digest}`)).arrayBuffer());
    expect(blob.length).toBe(layer?.size);
    expect(sha256Digest(blob)).toBe(layer?.digest);
    const extracted = extractWithGnuTar(blob);
    expect(readTree(extracted)).toEqual(readTree(dir));
    // `path: bootstrap` resolves to a directory holding the chart.
    expect(readTree(join(extracted, "bootstrap"))).toHaveProperty(["Chart.yaml"]);
  });
});
