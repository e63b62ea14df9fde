/**
 * The few OCI Distribution API calls the publisher needs, over fetch, against the lab's plain-HTTP
 * registry (distribution/distribution, the `registry` image). Every request has its own deadline and
 * honours the caller's AbortSignal; fetch failures and error statuses become the typed errors of
 * ./errors.ts here, so nothing above sees a "fetch failed".
 *
 * Push flow, as the OCI distribution spec ("Pushing blobs": POST then PUT) and distribution's
 * registry/handlers/blobupload.go do it: POST /v2/<name>/blobs/uploads/ answers 202 with a Location
 * (absolute, carrying a `_state` query), and a single PUT <Location>&digest=<digest> with the whole blob
 * completes it with 201. distribution ignores a `digest` on the POST, so the one-request monolithic form
 * is not used.
 */

import { formatDuration } from "../core/duration.js";
import { InterruptedError, throwIfAborted, UsageError } from "../core/errors.js";
import { sha256Digest } from "./digest.js";
import {
  NotARegistryError,
  RegistryDeadlineError,
  type RegistryErrorEntry,
  RegistryHttpError,
  RegistryUnreachableError,
} from "./errors.js";

export const OCI_MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json";
export const DOCKER_MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_MANIFEST_LIST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.list.v2+json";

/** Per request. A manifests tarball is kilobytes and the registry is on loopback. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Repository name grammar of the distribution spec ("<name>" in /v2/<name>/…). */
const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export interface RegistryClientOptions {
  /** Base URL as the host sees it, e.g. "http://127.0.0.1:5001". No path. */
  registry: string;
  /** Default globalThis.fetch; for tests. */
  fetch?: typeof fetch;
  /** Fires on Ctrl-C; the request in flight is aborted and InterruptedError thrown. */
  signal?: AbortSignal;
  /** Deadline of each request. Default DEFAULT_REQUEST_TIMEOUT_MS. */
  timeoutMs?: number;
}

export interface StoredManifest {
  /** "sha256:<hex>" of the bytes the registry returned. */
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export interface RegistryClient {
  /** The normalized base URL, e.g. "http://127.0.0.1:5001". */
  readonly registry: string;
  /** "127.0.0.1:5001": what goes before the repository in a reference. */
  readonly host: string;
  /** GET /v2/: proves an OCI registry answers at the address. */
  ping(): Promise<void>;
  /** The manifest a tag or digest points at, or undefined when there is none. */
  getManifest(repository: string, reference: string): Promise<StoredManifest | undefined>;
  blobExists(repository: string, digest: string): Promise<boolean>;
  uploadBlob(repository: string, digest: string, bytes: Uint8Array): Promise<void>;
  /** Stores the manifest under `reference` (a tag); returns the digest the registry reports. */
  putManifest(repository: string, reference: string, mediaType: string, bytes: Uint8Array): Promise<string>;
}

interface Sent {
  request: string;
  status: number;
  headers: Headers;
  body: Buffer;
}

export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  const base = parseRegistryUrl(options.registry);
  const registry = base.origin;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new UsageError(`timeoutMs must be a positive number of milliseconds, not ${timeoutMs}`);
  }
  const outer = options.signal;

  async function send(method: string, target: string | URL, init: RequestInit = {}): Promise<Sent> {
    const url = typeof target === "string" ? new URL(target, base) : target;
    const request = `${method} ${url.pathname}`;
    throwIfAborted(outer);
    const controller = new AbortController();
    const onAbort = () => controller.abort(outer?.reason);
    outer?.addEventListener("abort", onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`deadline of ${timeoutMs}ms passed`));
    }, timeoutMs);
    try {
      // The body is read inside the deadline too: a registry that sends headers and then stalls is stuck.
      const response = await fetchImpl(url, { ...init, method, signal: controller.signal });
      const body = Buffer.from(await response.arrayBuffer());
      return { request, status: response.status, headers: response.headers, body };
    } catch (error) {
      if (outer?.aborted) throw new InterruptedError();
      if (timedOut) {
        throw new RegistryDeadlineError(registry, request, formatDuration(timeoutMs), { cause: error });
      }
      throw new RegistryUnreachableError(registry, describeFetchFailure(error), { cause: error });
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    }
  }

  function refused(sent: Sent): RegistryHttpError {
    const errors = parseErrors(sent.body);
    // Without the spec's error body (a proxy's HTML page, say), the raw start of the body is the best clue.
    const raw =
      errors.length === 0 && sent.body.length > 0 ? sent.body.toString("utf8").slice(0, 500) : undefined;
    return new RegistryHttpError(registry, sent.request, sent.status, errors, { details: raw });
  }

  return {
    registry,
    host: base.host,

    async ping() {
      const sent = await send("GET", "/v2/");
      if (sent.status === 200) return;
      if (sent.status === 401) throw refused(sent);
      throw new NotARegistryError(registry, `GET /v2/ answered ${sent.status}, an OCI registry answers 200`);
    },

    async getManifest(repository, reference) {
      const sent = await send("GET", manifestPath(repository, reference), {
        // Everything a tag can point at, so a foreign manifest is seen (and replaced), not a 404.
        headers: {
          accept: [
            OCI_MANIFEST_MEDIA_TYPE,
            OCI_INDEX_MEDIA_TYPE,
            DOCKER_MANIFEST_MEDIA_TYPE,
            DOCKER_MANIFEST_LIST_MEDIA_TYPE,
          ].join(", "),
        },
      });
      if (sent.status === 404) return undefined;
      if (sent.status !== 200) throw refused(sent);
      const mediaType = (sent.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
      return { digest: sha256Digest(sent.body), mediaType, bytes: sent.body };
    },

    async blobExists(repository, digest) {
      const sent = await send("HEAD", blobPath(repository, digest));
      if (sent.status === 200) return true;
      if (sent.status === 404) return false;
      throw refused(sent);
    },

    async uploadBlob(repository, digest, bytes) {
      checkDigest(digest);
      const started = await send("POST", `/v2/${checkRepository(repository)}/blobs/uploads/`);
      if (started.status !== 202) throw refused(started);
      const location = started.headers.get("location");
      if (location === null) {
        throw new NotARegistryError(registry, `${started.request} answered 202 without a Location header`);
      }
      const upload = new URL(location, base);
      // Appended by hand: re-serializing searchParams could re-encode the registry's opaque _state token.
      upload.search = `${upload.search === "" ? "?" : `${upload.search}&`}digest=${encodeURIComponent(digest)}`;
      const done = await send("PUT", upload, {
        headers: { "content-type": "application/octet-stream" },
        body: bytes,
      });
      if (done.status !== 201) throw refused(done);
      const stored = done.headers.get("docker-content-digest");
      if (stored !== null && stored !== digest) {
        throw new NotARegistryError(registry, `it stored blob ${digest} as ${stored}`);
      }
    },

    async putManifest(repository, reference, mediaType, bytes) {
      const sent = await send("PUT", manifestPath(repository, reference), {
        headers: { "content-type": mediaType },
        body: bytes,
      });
      if (sent.status !== 201) throw refused(sent);
      return sent.headers.get("docker-content-digest") ?? sha256Digest(bytes);
    },
  };
}

/** "http://127.0.0.1:5001" → URL; a bare "127.0.0.1:5001" means plain HTTP, as the lab's registry speaks. */
export function parseRegistryUrl(registry: string): URL {
  const hint = 'give the registry as the host sees it, e.g. "http://127.0.0.1:5001"';
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(registry) ? registry : `http://${registry}`);
  } catch (error) {
    throw new UsageError(`not a registry address: ${registry}`, { hint, cause: error });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`a registry is reached over http or https, not ${url.protocol}`, { hint });
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.username !== "") {
    throw new UsageError(`a registry address has no path, query or credentials: ${registry}`, { hint });
  }
  return url;
}

export function checkRepository(repository: string): string {
  if (!REPOSITORY.test(repository) || repository.length > 255) {
    throw new UsageError(`not a valid OCI repository name: ${JSON.stringify(repository)}`, {
      hint: 'lowercase letters, digits and separators (. _ __ -), path components joined by "/", e.g. "sre-lab/manifests"',
    });
  }
  return repository;
}

export function checkTag(tag: string): string {
  if (!TAG.test(tag)) {
    throw new UsageError(`not a valid OCI tag: ${JSON.stringify(tag)}`, {
      hint: "up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-', e.g. \"0.1.0\"",
    });
  }
  return tag;
}

function checkDigest(digest: string): string {
  if (!DIGEST.test(digest)) throw new UsageError(`not a sha256 digest: ${JSON.stringify(digest)}`);
  return digest;
}

function manifestPath(repository: string, reference: string): string {
  const ref = reference.startsWith("sha256:") ? checkDigest(reference) : checkTag(reference);
  return `/v2/${checkRepository(repository)}/manifests/${ref}`;
}

function blobPath(repository: string, digest: string): string {
  return `/v2/${checkRepository(repository)}/blobs/${checkDigest(digest)}`;
}

/** `{"errors":[{"code","message","detail"}]}`, the error body of the distribution spec; [] for anything else. */
export function parseErrors(body: Buffer): RegistryErrorEntry[] {
  if (body.length === 0) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return [];
  }
  const errors = (parsed as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((entry: unknown) => {
    const { code, message, detail } = (entry ?? {}) as {
      code?: unknown;
      message?: unknown;
      detail?: unknown;
    };
    if (typeof code !== "string") return [];
    return [
      {
        code,
        message: typeof message === "string" ? message : "",
        ...(detail === undefined ? {} : { detail }),
      },
    ];
  });
}

const FETCH_FAILURES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection closed",
  UND_ERR_SOCKET: "connection closed",
  ENOTFOUND: "unknown host",
  EAI_AGAIN: "unknown host",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
};

function describeFetchFailure(error: unknown): string {
  let current: unknown = error;
  // fetch wraps the socket error: TypeError("fetch failed", { cause: Error { code: "ECONNREFUSED" } }).
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return FETCH_FAILURES[code] ?? code;
    current = current.cause;
  }
  return error instanceof Error ? error.message : String(error);
}
