/**
 * A fake OCI registry for tests: the Distribution API endpoints sre-lab and Argo CD use, answering as
 * distribution/distribution (the `registry` image the lab runs) does, in memory on 127.0.0.1 with a random
 * port, recording every request. Status codes, headers and error bodies follow distribution's
 * registry/handlers/{app,blob,blobupload,manifests,tags}.go and registry/api/errcode/register.go; what it
 * simplifies is listed in README.md.
 *
 * Endpoints: GET /v2/; GET|HEAD /v2/<name>/blobs/<digest>; POST /v2/<name>/blobs/uploads/ (with
 * ?mount=&from=); GET|PATCH|PUT|DELETE /v2/<name>/blobs/uploads/<uuid>; GET|HEAD|PUT /v2/<name>/manifests/
 * <tag|digest>; GET /v2/<name>/tags/list. Deletes answer 405 UNSUPPORTED, as with the registry's default
 * configuration (storage.delete.enabled: false).
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
const MANIFEST_TYPES = new Set([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST]);
/** registry/handlers/manifests.go maxManifestBodySize. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** The repository-name grammar of distribution/reference (NameRegexp); the router matches nothing else. */
const NAME = "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*";
const TAG = "[\\w][\\w.-]{0,127}";
/** The router's digest pattern; digest.Parse then accepts only known algorithms and lengths. */
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const ROUTES = {
  base: /^\/v2\/$/,
  tags: new RegExp(`^/v2/(${NAME})/tags/list$`),
  manifest: new RegExp(`^/v2/(${NAME})/manifests/(${TAG}|${DIGEST})$`),
  uploads: new RegExp(`^/v2/(${NAME})/blobs/uploads/$`),
  upload: new RegExp(`^/v2/(${NAME})/blobs/uploads/([^/]+)$`),
  blob: new RegExp(`^/v2/(${NAME})/blobs/(${DIGEST})$`),
};

/** errcode descriptors of registry/api/errcode/register.go: code → [HTTP status, message]. */
export const ERROR_CODES = {
  UNKNOWN: [500, "unknown error"],
  UNSUPPORTED: [405, "The operation is unsupported."],
  UNAUTHORIZED: [401, "authentication required"],
  DENIED: [403, "requested access to the resource is denied"],
  UNAVAILABLE: [503, "service unavailable"],
  TOOMANYREQUESTS: [429, "too many requests"],
  DIGEST_INVALID: [400, "provided digest did not match uploaded content"],
  SIZE_INVALID: [400, "provided length did not match content length"],
  RANGE_INVALID: [416, "invalid content range"],
  NAME_INVALID: [400, "invalid repository name"],
  TAG_INVALID: [400, "manifest tag did not match URI"],
  NAME_UNKNOWN: [404, "repository name not known to registry"],
  MANIFEST_UNKNOWN: [404, "manifest unknown"],
  MANIFEST_INVALID: [400, "manifest invalid"],
  MANIFEST_BLOB_UNKNOWN: [400, "blob unknown to registry"],
  BLOB_UNKNOWN: [404, "blob unknown to registry"],
  BLOB_UPLOAD_UNKNOWN: [404, "blob upload unknown to registry"],
  BLOB_UPLOAD_INVALID: [404, "blob upload invalid"],
} as const satisfies Record<string, readonly [number, string]>;
export type ErrorCode = keyof typeof ERROR_CODES;

export interface FakeRegistryRequest {
  method: string;
  /** URL path, e.g. "/v2/sre-lab/manifests/manifests/0.1.0". */
  path: string;
  /** Raw query string without "?", "" when none. */
  query: string;
  /** The status answered; 0 while unanswered (or never, with a "hang" failure). */
  status: number;
  contentType: string | undefined;
  accept: string | undefined;
  /** Bytes of request body received. */
  bodyBytes: number;
}

export interface RequestMatch {
  method?: string;
  path?: RegExp;
}

/**
 * Injected failures, each used once unless `times` says otherwise.
 * - http-error: answer `status` with the error body for `code` (default 500 UNKNOWN) instead of handling.
 * - corrupt-upload: damage the next blob upload's bytes as if in transit; the registry's own digest check
 *   then answers 400 DIGEST_INVALID, as distribution does.
 * - hang: accept the request and never answer (until the client gives up or the fake closes).
 */
export type FakeRegistryFailure =
  | ({
      kind: "http-error";
      code?: ErrorCode;
      status?: number;
      message?: string;
      times?: number;
    } & RequestMatch)
  | { kind: "corrupt-upload"; times?: number }
  | ({ kind: "hang"; times?: number } & RequestMatch);

export interface StoredManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export interface FakeRegistry {
  /** "http://127.0.0.1:<port>". */
  readonly url: string;
  /** "127.0.0.1:<port>". */
  readonly host: string;
  /** Every request received, in order. */
  readonly requests: FakeRegistryRequest[];
  /** The requests that could change the registry (anything but GET and HEAD). */
  mutatingRequests(): FakeRegistryRequest[];
  /** The manifest a tag or digest names in a repository. */
  manifest(repository: string, reference: string): StoredManifest | undefined;
  /** A blob linked into the repository. */
  blob(repository: string, digest: string): Buffer | undefined;
  tags(repository: string): string[];
  /** Queue a failure (undefined clears all queued failures). */
  fail(failure: FakeRegistryFailure | undefined): void;
  close(): Promise<void>;
}

interface Repository {
  blobs: Set<string>;
  manifests: Map<string, StoredManifest>;
  tags: Map<string, string>;
}

interface Upload {
  repository: string;
  chunks: Buffer[];
  size: number;
}

interface Armed {
  failure: FakeRegistryFailure;
  left: number;
}

class RegistryError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail?: unknown,
    readonly overrideMessage?: string,
    /** Only for injected failures; otherwise the code's own status. */
    readonly status?: number,
  ) {
    super(code);
  }
}

export async function startFakeRegistry(): Promise<FakeRegistry> {
  const blobStore = new Map<string, Buffer>();
  const repositories = new Map<string, Repository>();
  const uploads = new Map<string, Upload>();
  const requests: FakeRegistryRequest[] = [];
  let failures: Armed[] = [];
  let base = "";

  const repo = (name: string): Repository => {
    let found = repositories.get(name);
    if (found === undefined) {
      found = { blobs: new Set(), manifests: new Map(), tags: new Map() };
      repositories.set(name, found);
    }
    return found;
  };

  function take(
    kind: FakeRegistryFailure["kind"],
    method: string,
    path: string,
  ): FakeRegistryFailure | undefined {
    const index = failures.findIndex(({ failure }) => {
      if (failure.kind !== kind) return false;
      if (failure.kind === "corrupt-upload") return true;
      return (
        (failure.method === undefined || failure.method === method) &&
        (failure.path === undefined || failure.path.test(path))
      );
    });
    const armed = failures[index];
    if (armed === undefined) return undefined;
    armed.left--;
    if (armed.left <= 0) failures.splice(index, 1);
    return armed.failure;
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake-registry");
    const record: FakeRegistryRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.search.replace(/^\?/, ""),
      status: 0,
      contentType: req.headers["content-type"],
      accept: req.headers.accept,
      bodyBytes: 0,
    };
    requests.push(record);
    res.on("finish", () => {
      record.status = res.statusCode;
    });
    // Set on every response, errors included (app.go ServeHTTP).
    res.setHeader("Docker-Distribution-API-Version", "registry/2.0");
    handle(req, res, url, record).catch((error: unknown) => {
      if (error instanceof MethodNotAllowed) {
        res.writeHead(405, { Allow: error.allowed.join(", "), "Content-Type": "text/plain; charset=utf-8" });
        res.end("Method Not Allowed\n");
      } else if (error instanceof RegistryError || error instanceof MultiError) {
        sendError(res, error);
      } else if (!res.headersSent) {
        sendError(res, new RegistryError("UNKNOWN", error instanceof Error ? error.message : String(error)));
      } else {
        res.destroy();
      }
    });
  });

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    record: FakeRegistryRequest,
  ): Promise<void> {
    const method = record.method;
    const path = url.pathname;
    if (take("hang", method, path) !== undefined) return;
    const body = await readBody(req);
    record.bodyBytes = body.length;
    const injected = take("http-error", method, path);
    if (injected?.kind === "http-error") {
      const code = injected.code ?? "UNKNOWN";
      throw new RegistryError(code, undefined, injected.message, injected.status);
    }

    if (ROUTES.base.test(path)) {
      if (method !== "GET" && method !== "HEAD") throw new MethodNotAllowed(["GET", "HEAD"]);
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "2" });
      res.end("{}");
      return;
    }
    const routes: Array<[RegExp, (match: RegExpExecArray) => void]> = [
      [ROUTES.tags, (m) => tagsList(res, method, nameOf(m))],
      [ROUTES.manifest, (m) => manifestRoute(req, res, method, nameOf(m), m[2] ?? "", body)],
      [ROUTES.uploads, (m) => startUpload(res, method, nameOf(m), url)],
      [ROUTES.upload, (m) => uploadRoute(req, res, method, nameOf(m), m[2] ?? "", url, body)],
      [ROUTES.blob, (m) => blobRoute(res, method, nameOf(m), m[2] ?? "")],
    ];
    for (const [pattern, route] of routes) {
      const match = pattern.exec(path);
      if (match !== null) {
        route(match);
        return;
      }
    }
    // gorilla/mux's NotFoundHandler.
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" });
    res.end("404 page not found\n");
  }

  function nameOf(match: RegExpExecArray): string {
    const name = match[1] ?? "";
    // reference.WithName: the router's pattern matched, but a name is at most 255 characters.
    if (name.length > 255)
      throw new RegistryError("NAME_INVALID", {
        Name: name,
        Reason: {},
      });
    return name;
  }

  function tagsList(res: ServerResponse, method: string, name: string): void {
    if (method !== "GET") throw new MethodNotAllowed(["GET"]);
    const tags = [...(repositories.get(name)?.tags.keys() ?? [])].sort();
    if (tags.length === 0) throw new RegistryError("NAME_UNKNOWN", { Name: name });
    sendJson(res, 200, { name, tags });
  }

  function manifestRoute(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    name: string,
    reference: string,
    body: Buffer,
  ): void {
    const isDigest = reference.includes(":");
    if (isDigest) parseDigest(reference);
    if (method === "GET" || method === "HEAD") {
      getManifest(req, res, method, name, reference, isDigest);
    } else if (method === "PUT") {
      putManifest(req, res, name, reference, isDigest, body);
    } else if (method === "DELETE") {
      throw new RegistryError("UNSUPPORTED");
    } else {
      throw new MethodNotAllowed(["GET", "HEAD", "PUT", "DELETE"]);
    }
  }

  function getManifest(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    name: string,
    reference: string,
    isDigest: boolean,
  ): void {
    const repository = repositories.get(name);
    const digest = isDigest ? reference : repository?.tags.get(reference);
    if (digest === undefined) throw new RegistryError("MANIFEST_UNKNOWN", { Tag: reference });
    const stored = repository?.manifests.get(digest);
    if (stored === undefined) throw new RegistryError("MANIFEST_UNKNOWN", { Name: name, Revision: digest });
    if (etagMatches(req, digest)) {
      res.writeHead(304);
      res.end();
      return;
    }
    const accepted = acceptedTypes(req);
    if (stored.mediaType === OCI_MANIFEST && !accepted.has(OCI_MANIFEST)) {
      throw new RegistryError(
        "MANIFEST_UNKNOWN",
        undefined,
        "OCI manifest found, but accept header does not support OCI manifests",
      );
    }
    if (stored.mediaType === OCI_INDEX && !accepted.has(OCI_INDEX)) {
      throw new RegistryError(
        "MANIFEST_UNKNOWN",
        undefined,
        "OCI index found, but accept header does not support OCI indexes",
      );
    }
    res.writeHead(200, {
      "Content-Type": stored.mediaType,
      "Content-Length": String(stored.bytes.length),
      "Docker-Content-Digest": digest,
      Etag: `"${digest}"`,
    });
    res.end(method === "HEAD" ? undefined : stored.bytes);
  }

  function putManifest(
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    reference: string,
    isDigest: boolean,
    body: Buffer,
  ): void {
    if (body.length > MAX_MANIFEST_BYTES) {
      throw new RegistryError("MANIFEST_INVALID", `http: request body too large`);
    }
    const mediaType = (req.headers["content-type"] ?? "").split(";")[0]?.trim() ?? "";
    if (!MANIFEST_TYPES.has(mediaType)) {
      // distribution v3 dropped schema1, so there is no default unmarshaller any more (manifests.go).
      throw new RegistryError(
        "MANIFEST_INVALID",
        `unsupported manifest media type and no default available: ${mediaType}`,
      );
    }
    let parsed: Record<string, unknown>;
    try {
      const value: unknown = JSON.parse(body.toString("utf8"));
      if (value === null || typeof value !== "object" || Array.isArray(value))
        throw new Error("not a JSON object");
      parsed = value as Record<string, unknown>;
    } catch (error) {
      throw new RegistryError("MANIFEST_INVALID", error instanceof Error ? error.message : String(error));
    }
    const isIndex = mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST;
    if (mediaType === OCI_MANIFEST && parsed.manifests !== undefined) {
      throw new RegistryError("MANIFEST_INVALID", "ocimanifest: expected manifest but found index");
    }
    if (parsed.mediaType !== undefined && parsed.mediaType !== mediaType) {
      throw new RegistryError(
        "MANIFEST_INVALID",
        `if present, mediaType in manifest should be '${mediaType}' not '${String(parsed.mediaType)}'`,
      );
    }
    const digest = sha256(body);
    if (isDigest && reference !== digest) throw new RegistryError("DIGEST_INVALID");
    if (parsed.schemaVersion !== 2) {
      // verifyManifest returns a plain error, which PutManifest reports as UNKNOWN (500).
      throw new RegistryError(
        "UNKNOWN",
        `unrecognized manifest schema version ${String(parsed.schemaVersion)}`,
      );
    }
    const repository = repo(name);
    const missing: RegistryError[] = [];
    for (const descriptor of references(parsed, isIndex)) {
      const ref = descriptor.digest;
      const known = isIndex ? repository.manifests.has(ref) : repository.blobs.has(ref);
      if (!known) missing.push(new RegistryError("MANIFEST_BLOB_UNKNOWN", ref));
    }
    if (missing.length > 0) throw new MultiError(missing);

    repository.manifests.set(digest, { digest, mediaType, bytes: body });
    // distribution keeps a manifest in the blob store too: HEAD /blobs/<manifest digest> finds it.
    blobStore.set(digest, body);
    repository.blobs.add(digest);
    if (!isDigest) repository.tags.set(reference, digest);
    res.writeHead(201, {
      Location: `${base}/v2/${name}/manifests/${digest}`,
      "Docker-Content-Digest": digest,
      "Content-Length": "0",
    });
    res.end();
  }

  function startUpload(res: ServerResponse, method: string, name: string, url: URL): void {
    if (method !== "POST") throw new MethodNotAllowed(["POST"]);
    const mount = url.searchParams.get("mount");
    const from = url.searchParams.get("from");
    if (mount !== null && from !== null && repositories.get(from)?.blobs.has(mount)) {
      repo(name).blobs.add(mount);
      blobCreated(res, name, mount);
      return;
    }
    // A `digest` on the POST is ignored (blobupload.go StartBlobUpload): the client must PUT.
    const uuid = randomUUID();
    uploads.set(uuid, { repository: name, chunks: [], size: 0 });
    uploadHeaders(res, name, uuid);
    res.setHeader("Content-Length", "0");
    res.writeHead(202);
    res.end();
  }

  function uploadRoute(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    name: string,
    uuid: string,
    url: URL,
    body: Buffer,
  ): void {
    const upload = uploads.get(uuid);
    if (method === "GET" || method === "HEAD") {
      if (upload === undefined || upload.repository !== name) throw new RegistryError("BLOB_UPLOAD_UNKNOWN");
      uploadHeaders(res, name, uuid);
      res.writeHead(204);
      res.end();
      return;
    }
    if (!["PATCH", "PUT", "DELETE"].includes(method))
      throw new MethodNotAllowed(["GET", "HEAD", "PATCH", "PUT", "DELETE"]);
    if (upload === undefined) throw new RegistryError("BLOB_UPLOAD_UNKNOWN");
    const state = decodeState(url.searchParams.get("_state"));
    if (state === undefined || state.name !== name || state.uuid !== uuid || upload.repository !== name) {
      throw new RegistryError("BLOB_UPLOAD_INVALID");
    }
    if (state.offset !== upload.size) throw new RegistryError("RANGE_INVALID");

    if (method === "DELETE") {
      uploads.delete(uuid);
      res.writeHead(204, { "Docker-Upload-UUID": uuid });
      res.end();
      return;
    }
    if (method === "PATCH") {
      const type = req.headers["content-type"];
      if (type !== undefined && type !== "application/octet-stream")
        throw new RegistryError("UNKNOWN", "bad Content-Type");
      upload.chunks.push(body);
      upload.size += body.length;
      uploadHeaders(res, name, uuid);
      res.setHeader("Content-Length", "0");
      res.writeHead(202);
      res.end();
      return;
    }
    // PUT: the last (or only) chunk plus ?digest=, verified before anything is linked.
    const wanted = url.searchParams.get("digest");
    if (wanted === null || wanted === "") throw new RegistryError("DIGEST_INVALID", "digest missing");
    parseDigest(wanted, "digest parsing failed");
    let data = Buffer.concat([...upload.chunks, body]);
    if (take("corrupt-upload", "PUT", "") !== undefined && data.length > 0) {
      data = Buffer.from(data);
      data[0] = (data[0] ?? 0) ^ 0xff;
    }
    // The upload is gone whether or not it verifies (PutBlobUploadComplete cancels it on error).
    uploads.delete(uuid);
    if (sha256(data) !== wanted) {
      // ErrBlobInvalidDigest{Digest, Reason error}: the Go error marshals as {}.
      throw new RegistryError("DIGEST_INVALID", { Digest: wanted, Reason: {} });
    }
    blobStore.set(wanted, data);
    repo(name).blobs.add(wanted);
    blobCreated(res, name, wanted);
  }

  function blobRoute(res: ServerResponse, method: string, name: string, digest: string): void {
    parseDigest(digest);
    if (method === "DELETE") throw new RegistryError("UNSUPPORTED");
    if (method !== "GET" && method !== "HEAD") throw new MethodNotAllowed(["GET", "HEAD", "DELETE"]);
    const data = repositories.get(name)?.blobs.has(digest) ? blobStore.get(digest) : undefined;
    if (data === undefined) throw new RegistryError("BLOB_UNKNOWN", digest);
    res.writeHead(200, {
      "Content-Type": "application/octet-stream",
      "Content-Length": String(data.length),
      "Docker-Content-Digest": digest,
      Etag: `"${digest}"`,
      "Cache-Control": "max-age=31536000",
    });
    res.end(method === "HEAD" ? undefined : data);
  }

  function blobCreated(res: ServerResponse, name: string, digest: string): void {
    res.writeHead(201, {
      Location: `${base}/v2/${name}/blobs/${digest}`,
      "Content-Length": "0",
      "Docker-Content-Digest": digest,
    });
    res.end();
  }

  function uploadHeaders(res: ServerResponse, name: string, uuid: string): void {
    const size = uploads.get(uuid)?.size ?? 0;
    const state = Buffer.from(JSON.stringify({ name, uuid, offset: size })).toString("base64url");
    res.setHeader("Docker-Upload-UUID", uuid);
    // Absolute, with an opaque _state, as distribution's urlBuilder writes it.
    res.setHeader("Location", `${base}/v2/${name}/blobs/uploads/${uuid}?_state=${state}`);
    res.setHeader("Range", `0-${size > 0 ? size - 1 : 0}`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;

  return {
    url: base,
    host: `127.0.0.1:${port}`,
    requests,
    mutatingRequests: () => requests.filter((r) => r.method !== "GET" && r.method !== "HEAD"),
    manifest(repository, reference) {
      const r = repositories.get(repository);
      const digest = reference.includes(":") ? reference : r?.tags.get(reference);
      return digest === undefined ? undefined : r?.manifests.get(digest);
    },
    blob: (repository, digest) =>
      repositories.get(repository)?.blobs.has(digest) ? blobStore.get(digest) : undefined,
    tags: (repository) => [...(repositories.get(repository)?.tags.keys() ?? [])].sort(),
    fail(failure) {
      if (failure === undefined) failures = [];
      else failures.push({ failure, left: failure.times ?? 1 });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

class MultiError extends Error {
  constructor(readonly errors: RegistryError[]) {
    super("multiple");
  }
}

function sendError(res: ServerResponse, error: RegistryError | MultiError): void {
  const errors = error instanceof MultiError ? error.errors : [error];
  const first = errors[0] ?? new RegistryError("UNKNOWN");
  const status = first.status ?? ERROR_CODES[first.code][0];
  // errcode.ServeJSON: the first error's status, the whole list in the body, json.Encoder's newline.
  const body = `${JSON.stringify({
    errors: errors.map((e) => ({
      code: e.code,
      message: e.overrideMessage ?? ERROR_CODES[e.code][1],
      ...(e.detail === undefined ? {} : { detail: e.detail }),
    })),
  })}\n`;
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": String(Buffer.byteLength(body)),
  });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value)}\n`;
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": String(Buffer.byteLength(body)),
  });
  res.end(body);
}

/** A known route, another method: answered as gorilla/handlers MethodHandler does. */
class MethodNotAllowed extends Error {
  constructor(readonly allowed: string[]) {
    super("Method Not Allowed");
  }
}

function parseDigest(digest: string, detail?: string): void {
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) {
    throw new RegistryError("DIGEST_INVALID", detail ?? `unsupported digest: ${digest}`);
  }
}

function decodeState(token: string | null): { name: string; uuid: string; offset: number } | undefined {
  if (token === null) return undefined;
  try {
    const state = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Record<string, unknown>;
    const { name, uuid, offset } = state;
    if (typeof name === "string" && typeof uuid === "string" && typeof offset === "number") {
      return { name, uuid, offset };
    }
  } catch {
    // fall through: an unreadable token is an invalid upload
  }
  return undefined;
}

function references(manifest: Record<string, unknown>, isIndex: boolean): Array<{ digest: string }> {
  const list = isIndex
    ? manifest.manifests
    : [manifest.config, ...(Array.isArray(manifest.layers) ? manifest.layers : [])];
  if (!Array.isArray(list)) return [];
  return list.flatMap((d: unknown) => {
    const digest = (d as { digest?: unknown } | null)?.digest;
    return typeof digest === "string" ? [{ digest }] : [{ digest: "" }];
  });
}

function acceptedTypes(req: IncomingMessage): Set<string> {
  const header = req.headers.accept ?? "";
  return new Set(
    header
      .split(",")
      .map((part) => part.split(";")[0]?.trim() ?? "")
      .filter((part) => part !== ""),
  );
}

function etagMatches(req: IncomingMessage, digest: string): boolean {
  const value = req.headers["if-none-match"];
  return value === digest || value === `"${digest}"`;
}

function sha256(data: Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
