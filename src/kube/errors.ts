/**
 * Kubernetes API failures as typed errors with the API server's own message, plus what to do next.
 * The API server's `Status` body ({kind: "Status", reason, message, code, details}) is the source.
 */
import { SreLabError, type SreLabErrorOptions } from "../core/errors.js";

export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; group?: string; causes?: { message?: string; field?: string }[] };
}

export class KubeApiError extends SreLabError {
  override readonly name: string = "KubeApiError";
  readonly statusCode: number;
  readonly reason: string | undefined;
  readonly status: KubeStatus | undefined;
  constructor(
    message: string,
    statusCode: number,
    status: KubeStatus | undefined,
    options: SreLabErrorOptions = {},
  ) {
    super(message, options);
    this.statusCode = statusCode;
    this.reason = status?.reason;
    this.status = status;
  }
}

export class KubeNotFoundError extends KubeApiError {
  override readonly name = "KubeNotFoundError";
}
export class KubeForbiddenError extends KubeApiError {
  override readonly name = "KubeForbiddenError";
}
export class KubeConflictError extends KubeApiError {
  override readonly name = "KubeConflictError";
}
export class KubeInvalidError extends KubeApiError {
  override readonly name = "KubeInvalidError";
}
export class KubeUnauthorizedError extends KubeApiError {
  override readonly name = "KubeUnauthorizedError";
}

/** The API server could not be reached at all (refused, DNS, TLS, timeout). */
export class KubeUnreachableError extends SreLabError {
  override readonly name = "KubeUnreachableError";
}

function asStatus(body: unknown): KubeStatus | undefined {
  if (typeof body === "string") {
    try {
      return asStatus(JSON.parse(body));
    } catch {
      return undefined;
    }
  }
  if (body && typeof body === "object" && (body as KubeStatus).kind === "Status") return body as KubeStatus;
  return undefined;
}

export interface ErrorScope {
  /** e.g. `kind-sre-lab` */
  context: string;
  server: string;
  /** What we were doing, for messages: `get pods "api-7d9" in namespace "shop"`. */
  action: string;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "ECONNRESET",
  "EHOSTUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
]);

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Maps whatever client-node threw into one of the typed errors above (or returns it when already typed). */
export function toKubeError(error: unknown, scope: ErrorScope): SreLabError {
  if (error instanceof SreLabError) return error;
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "number" && code >= 400) {
    const status = asStatus((error as { body?: unknown }).body);
    const message = status?.message ?? `${scope.action}: HTTP ${code}`;
    const opts = { cause: error };
    switch (code) {
      case 401:
        return new KubeUnauthorizedError(
          `the API server rejected our credentials (${message})`,
          code,
          status,
          {
            ...opts,
            hint: `refresh the credentials for context "${scope.context}" (kind: sre-lab up re-exports them)`,
          },
        );
      case 403:
        return new KubeForbiddenError(message, code, status, {
          ...opts,
          hint: `the identity in context "${scope.context}" lacks this permission; use a context with more rights or grant it via RBAC`,
        });
      case 404:
        return new KubeNotFoundError(message, code, status, opts);
      case 409:
        return new KubeConflictError(message, code, status, {
          ...opts,
          hint:
            status?.reason === "AlreadyExists"
              ? "it already exists; delete it first or apply instead of create"
              : "someone else changed it at the same time; run the command again",
        });
      case 422:
        return new KubeInvalidError(message, code, status, {
          ...opts,
          hint: "the object was rejected as invalid; check the fields named above",
        });
      default:
        return new KubeApiError(`${scope.action} failed: ${message}`, code, status, opts);
    }
  }
  const net = networkCode(error);
  if (net) {
    return new KubeUnreachableError(`cannot reach the Kubernetes API at ${scope.server} (${net})`, {
      cause: error,
      hint: `is the cluster for context "${scope.context}" running? Check with: kubectl --context ${scope.context} get nodes`,
    });
  }
  const text = error instanceof Error ? error.message : String(error);
  if (/fetch failed/.test(text)) {
    // undici's TypeError("fetch failed") without a network code: name the underlying cause.
    const cause = (error as { cause?: { message?: string; cause?: { message?: string } } }).cause;
    const why = cause?.cause?.message ?? cause?.message ?? "connection failed";
    return new KubeUnreachableError(`cannot reach the Kubernetes API at ${scope.server} (${why})`, {
      cause: error,
      hint: `is the cluster for context "${scope.context}" running? Check with: kubectl --context ${scope.context} get nodes`,
    });
  }
  return new SreLabError(`${scope.action} failed: ${text}`, { cause: error });
}
