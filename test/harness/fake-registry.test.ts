// Holds the fake registry to distribution's behaviour (registry/handlers/*.go, errcode/register.go at
// distribution v3): raw HTTP, status codes, headers and error bodies, as the OCI distribution spec's
// conformance flow exercises them. No real registry runs here, so these are the contract the fake keeps.
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeRegistry, OCI_MANIFEST, startFakeRegistry } from "./fake-registry/index.js";

let fake: FakeRegistry;
const NAME = "sre-lab/manifests";

beforeEach(async () => {
  fake = await startFakeRegistry();
});

afterEach(async () => {
  await fake.close();
});

const digestOf = (data: string | Buffer) => `sha256:${createHash("sha256").update(data).digest("hex")}`;
const url = (path: string) => `${fake.url}${path}`;

interface ErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}
async function errorsOf(response: Response): Promise<ErrorEntry[]> {
  return ((await response.json()) as { errors: ErrorEntry[] }).errors;
}

async function pushBlob(data: string | Buffer, name = NAME): Promise<string> {
  const start = await fetch(url(`/v2/${name}/blobs/uploads/`), { method: "POST" });
  const location = `${start.headers.get("location")}&digest=${encodeURIComponent(digestOf(data))}`;
  const done = await fetch(location, { method: "PUT", body: data });
  expect(done.status).toBe(201);
  return digestOf(data);
}

function manifestFor(config: string, layer: string, layerSize: number): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: "application/vnd.oci.empty.v1+json", digest: config, size: 2 },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layer, size: layerSize }],
  });
}

describe("base and routing", () => {
  it("GET /v2/ answers 200 {} with the API version header", async () => {
    const response = await fetch(url("/v2/"));
    expect(response.status).toBe(200);
    expect(response.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.text()).toBe("{}");
  });

  it("answers unknown routes, and names outside the grammar, like gorilla/mux: 404 text", async () => {
    for (const path of ["/v2/nothing", "/v2/Upper/Case/manifests/latest", "/other"]) {
      const response = await fetch(url(path));
      expect(response.status).toBe(404);
      expect(await response.text()).toBe("404 page not found\n");
    }
  });

  it("answers a known route with the wrong method 405 with Allow", async () => {
    const response = await fetch(url(`/v2/${NAME}/blobs/uploads/`), { method: "GET" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
  });
});

describe("blob uploads", () => {
  it("POST answers 202 with an absolute Location carrying _state, a UUID and Range 0-0", async () => {
    const response = await fetch(url(`/v2/${NAME}/blobs/uploads/`), { method: "POST" });
    expect(response.status).toBe(202);
    const location = response.headers.get("location") ?? "";
    expect(location).toMatch(new RegExp(`^${fake.url}/v2/${NAME}/blobs/uploads/[0-9a-f-]{36}\\?_state=`));
    expect(response.headers.get("docker-upload-uuid")).toBe(location.split("/").at(-1)?.split("?")[0]);
    expect(response.headers.get("range")).toBe("0-0");
    expect(response.headers.get("content-length")).toBe("0");
  });

  it("PUT with the right digest answers 201 with Location and Docker-Content-Digest; HEAD and GET find it", async () => {
    const data = "hello blob";
    const start = await fetch(url(`/v2/${NAME}/blobs/uploads/`), { method: "POST" });
    const put = await fetch(`${start.headers.get("location")}&digest=${digestOf(data)}`, {
      method: "PUT",
      body: data,
    });
    expect(put.status).toBe(201);
    expect(put.headers.get("location")).toBe(`${fake.url}/v2/${NAME}/blobs/${digestOf(data)}`);
    expect(put.headers.get("docker-content-digest")).toBe(digestOf(data));

    const head = await fetch(url(`/v2/${NAME}/blobs/${digestOf(data)}`), { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(data.length));
    expect(head.headers.get("docker-content-digest")).toBe(digestOf(data));
    expect(head.headers.get("content-type")).toBe("application/octet-stream");
    expect(await (await fetch(url(`/v2/${NAME}/blobs/${digestOf(data)}`))).text()).toBe(data);
  });

  it("PUT with a digest that does not match answers 400 DIGEST_INVALID and ends the upload", async () => {
    const start = await fetch(url(`/v2/${NAME}/blobs/uploads/`), { method: "POST" });
    const location = start.headers.get("location") ?? "";
    const wrong = digestOf("something else");
    const put = await fetch(`${location}&digest=${wrong}`, { method: "PUT", body: "the data" });
    expect(put.status).toBe(400);
    expect(await put.json()).toEqual({
      errors: [
        {
          code: "DIGEST_INVALID",
          message: "provided digest did not match uploaded content",
          detail: { Digest: wrong, Reason: {} },
        },
      ],
    });
    expect((await fetch(url(`/v2/${NAME}/blobs/${wrong}`), { method: "HEAD" })).status).toBe(404);
    const retry = await fetch(`${location}&digest=${digestOf("the data")}`, {
      method: "PUT",
      body: "the data",
    });
    expect(retry.status).toBe(404);
    expect((await errorsOf(retry))[0]?.code).toBe("BLOB_UPLOAD_UNKNOWN");
  });

  it("PUT without a digest answers 400 DIGEST_INVALID 'digest missing'", async () => {
    const start = await fetch(url(`/v2/${NAME}/blobs/uploads/`), { method: "POST" });
    const put = await fetch(start.headers.get("location") ?? "", { method: "PUT", body: "x" });
    expect(put.status).toBe(400);
    expect((await errorsOf(put))[0]).toMatchObject({ code: "DIGEST_INVALID", detail: "digest missing" });
  });

  it("accepts chunks by PATCH, tracking the offset in Range and _state", async () => {
    const start = await fetch(url(`/v2/${NAME}/blobs/uploads/`), { method: "POST" });
    const patch = await fetch(start.headers.get("location") ?? "", {
      method: "PATCH",
      headers: { "content-type": "application/octet-stream" },
      body: "chunk-one|",
    });
    expect(patch.status).toBe(202);
    expect(patch.headers.get("range")).toBe("0-9");
    // The first Location's _state is stale now: offset 0, upload at 10.
    const stale = await fetch(`${start.headers.get("location")}&digest=${digestOf("x")}`, {
      method: "PUT",
      body: "x",
    });
    expect(stale.status).toBe(416);
    expect((await errorsOf(stale))[0]?.code).toBe("RANGE_INVALID");
  });

  it("a fresh PATCH location completes the blob with PUT", async () => {
    const start = await fetch(url(`/v2/${NAME}/blobs/uploads/`), { method: "POST" });
    const patch = await fetch(start.headers.get("location") ?? "", {
      method: "PATCH",
      headers: { "content-type": "application/octet-stream" },
      body: "one|",
    });
    const put = await fetch(`${patch.headers.get("location")}&digest=${digestOf("one|two")}`, {
      method: "PUT",
      body: "two",
    });
    expect(put.status).toBe(201);
    expect(fake.blob(NAME, digestOf("one|two"))?.toString()).toBe("one|two");
  });

  it("HEAD of a missing blob is a bare 404; GET is 404 BLOB_UNKNOWN with the digest as detail", async () => {
    const missing = digestOf("missing");
    const head = await fetch(url(`/v2/${NAME}/blobs/${missing}`), { method: "HEAD" });
    expect(head.status).toBe(404);
    expect(await head.text()).toBe("");
    const get = await fetch(url(`/v2/${NAME}/blobs/${missing}`));
    expect(get.status).toBe(404);
    expect(await get.json()).toEqual({
      errors: [{ code: "BLOB_UNKNOWN", message: "blob unknown to registry", detail: missing }],
    });
  });

  it("keeps blobs per repository, and mounts one from another repository on request", async () => {
    const digest = await pushBlob("shared", "other/repo");
    expect((await fetch(url(`/v2/${NAME}/blobs/${digest}`), { method: "HEAD" })).status).toBe(404);
    const mount = await fetch(url(`/v2/${NAME}/blobs/uploads/?mount=${digest}&from=other/repo`), {
      method: "POST",
    });
    expect(mount.status).toBe(201);
    expect(mount.headers.get("docker-content-digest")).toBe(digest);
    expect((await fetch(url(`/v2/${NAME}/blobs/${digest}`), { method: "HEAD" })).status).toBe(200);
  });

  it("refuses deletes as the default configuration does: 405 UNSUPPORTED", async () => {
    const digest = await pushBlob("x");
    const response = await fetch(url(`/v2/${NAME}/blobs/${digest}`), { method: "DELETE" });
    expect(response.status).toBe(405);
    expect((await errorsOf(response))[0]?.code).toBe("UNSUPPORTED");
  });
});

describe("manifests", () => {
  async function pushArtifact(tag = "0.1.0"): Promise<{ manifest: string; digest: string }> {
    const config = await pushBlob("{}");
    const layer = await pushBlob("layer-bytes");
    const manifest = manifestFor(config, layer, "layer-bytes".length);
    const put = await fetch(url(`/v2/${NAME}/manifests/${tag}`), {
      method: "PUT",
      headers: { "content-type": OCI_MANIFEST },
      body: manifest,
    });
    expect(put.status).toBe(201);
    expect(put.headers.get("docker-content-digest")).toBe(digestOf(manifest));
    expect(put.headers.get("location")).toBe(`${fake.url}/v2/${NAME}/manifests/${digestOf(manifest)}`);
    return { manifest, digest: digestOf(manifest) };
  }

  it("serves a tagged OCI manifest by tag and by digest, byte for byte, with its headers", async () => {
    const { manifest, digest } = await pushArtifact();
    for (const ref of ["0.1.0", digest]) {
      const get = await fetch(url(`/v2/${NAME}/manifests/${ref}`), { headers: { accept: OCI_MANIFEST } });
      expect(get.status).toBe(200);
      expect(get.headers.get("content-type")).toBe(OCI_MANIFEST);
      expect(get.headers.get("docker-content-digest")).toBe(digest);
      expect(get.headers.get("etag")).toBe(`"${digest}"`);
      expect(await get.text()).toBe(manifest);
    }
    const head = await fetch(url(`/v2/${NAME}/manifests/0.1.0`), {
      method: "HEAD",
      headers: { accept: OCI_MANIFEST },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(Buffer.byteLength(manifest)));
    expect(head.headers.get("docker-content-digest")).toBe(digest);
    expect(await head.text()).toBe("");
    // distribution stores a manifest as a blob too.
    expect((await fetch(url(`/v2/${NAME}/blobs/${digest}`), { method: "HEAD" })).status).toBe(200);
  });

  it("answers 304 to If-None-Match with the digest", async () => {
    const { digest } = await pushArtifact();
    const get = await fetch(url(`/v2/${NAME}/manifests/0.1.0`), {
      headers: { accept: OCI_MANIFEST, "if-none-match": `"${digest}"` },
    });
    expect(get.status).toBe(304);
  });

  it("hides an OCI manifest from a client that does not accept it, as distribution does", async () => {
    await pushArtifact();
    const get = await fetch(url(`/v2/${NAME}/manifests/0.1.0`));
    expect(get.status).toBe(404);
    expect(await get.json()).toEqual({
      errors: [
        {
          code: "MANIFEST_UNKNOWN",
          message: "OCI manifest found, but accept header does not support OCI manifests",
        },
      ],
    });
  });

  it("answers an unknown tag 404 MANIFEST_UNKNOWN with the tag as detail", async () => {
    const get = await fetch(url(`/v2/${NAME}/manifests/9.9.9`), { headers: { accept: OCI_MANIFEST } });
    expect(get.status).toBe(404);
    expect(await get.json()).toEqual({
      errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown", detail: { Tag: "9.9.9" } }],
    });
  });

  it("refuses a manifest whose blobs it lacks: 400 MANIFEST_BLOB_UNKNOWN, one entry per blob", async () => {
    const config = digestOf("{}");
    const layer = digestOf("never uploaded");
    const put = await fetch(url(`/v2/${NAME}/manifests/0.1.0`), {
      method: "PUT",
      headers: { "content-type": OCI_MANIFEST },
      body: manifestFor(config, layer, 14),
    });
    expect(put.status).toBe(400);
    expect(await errorsOf(put)).toEqual([
      { code: "MANIFEST_BLOB_UNKNOWN", message: "blob unknown to registry", detail: config },
      { code: "MANIFEST_BLOB_UNKNOWN", message: "blob unknown to registry", detail: layer },
    ]);
    expect(fake.tags(NAME)).toEqual([]);
  });

  it("refuses a manifest without a known Content-Type, or one whose mediaType disagrees: 400 MANIFEST_INVALID", async () => {
    const config = await pushBlob("{}");
    const body = manifestFor(config, config, 2);
    const untyped = await fetch(url(`/v2/${NAME}/manifests/0.1.0`), { method: "PUT", body });
    expect(untyped.status).toBe(400);
    expect((await errorsOf(untyped))[0]).toMatchObject({ code: "MANIFEST_INVALID" });
    const mismatched = await fetch(url(`/v2/${NAME}/manifests/0.1.0`), {
      method: "PUT",
      headers: { "content-type": "application/vnd.docker.distribution.manifest.v2+json" },
      body,
    });
    expect(mismatched.status).toBe(400);
    expect((await errorsOf(mismatched))[0]?.detail).toMatch(/mediaType in manifest should be/);
  });

  it("refuses a PUT by digest whose body has another digest: 400 DIGEST_INVALID", async () => {
    const config = await pushBlob("{}");
    const put = await fetch(url(`/v2/${NAME}/manifests/${digestOf("other")}`), {
      method: "PUT",
      headers: { "content-type": OCI_MANIFEST },
      body: manifestFor(config, config, 2),
    });
    expect(put.status).toBe(400);
    expect((await errorsOf(put))[0]?.code).toBe("DIGEST_INVALID");
  });

  it("lists tags sorted, and an unknown repository as 404 NAME_UNKNOWN", async () => {
    await pushArtifact("0.2.0");
    await pushArtifact("0.1.0");
    expect(await (await fetch(url(`/v2/${NAME}/tags/list`))).json()).toEqual({
      name: NAME,
      tags: ["0.1.0", "0.2.0"],
    });
    const unknown = await fetch(url("/v2/no/such/tags/list"));
    expect(unknown.status).toBe(404);
    expect((await errorsOf(unknown))[0]?.code).toBe("NAME_UNKNOWN");
  });
});

describe("what tests can observe and inject", () => {
  it("records every request with its status, and tells mutating ones apart", async () => {
    await pushBlob("x");
    await fetch(url(`/v2/${NAME}/blobs/${digestOf("x")}`), { method: "HEAD" });
    expect(fake.requests.map((r) => [r.method, r.status])).toEqual([
      ["POST", 202],
      ["PUT", 201],
      ["HEAD", 200],
    ]);
    expect(fake.mutatingRequests().map((r) => r.method)).toEqual(["POST", "PUT"]);
    expect(fake.requests[1]?.query).toMatch(/^_state=.+&digest=sha256%3A[0-9a-f]{64}$/);
  });

  it("injects an error once, with the code's own status and message", async () => {
    fake.fail({ kind: "http-error", method: "GET", path: /^\/v2\/$/, code: "UNAVAILABLE" });
    const failed = await fetch(url("/v2/"));
    expect(failed.status).toBe(503);
    expect(await failed.json()).toEqual({
      errors: [{ code: "UNAVAILABLE", message: "service unavailable" }],
    });
    expect((await fetch(url("/v2/"))).status).toBe(200);
  });

  it("hangs a matching request until the client gives up", async () => {
    fake.fail({ kind: "hang", path: /^\/v2\/$/ });
    const error = await fetch(url("/v2/"), { signal: AbortSignal.timeout(200) }).catch((e: unknown) => e);
    expect((error as Error).name).toBe("TimeoutError");
    expect(fake.requests[0]?.status).toBe(0);
  });
});
