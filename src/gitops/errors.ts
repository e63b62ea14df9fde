/**
 * What can go wrong publishing the manifests artifact, as the user should read it: one line saying what
 * failed, one line saying what to do. Callers branch on the class; only the CLI entry prints and exits.
 */
import { DeadlineError, SreLabError, type SreLabErrorOptions, UsageError } from "../core/errors.js";

const START_REGISTRY_HINT =
  "`sre-lab up` starts it; if the lab already exists, `docker start sre-lab-registry` brings it back";

/**
 * The manifests directory cannot be packed as Argo CD would read it (a symlink, a special file, too big).
 * Exit 2, as bad input. `name` stays "UsageError": the base class types it as that literal; test with instanceof.
 */
export class ManifestsPackError extends UsageError {
  /** The offending path, relative to the packed directory ("" for the directory itself). */
  readonly path: string;

  constructor(message: string, path: string, options: SreLabErrorOptions = {}) {
    super(message, options);
    this.path = path;
  }
}

/** Nothing answered at the registry address: connection refused, reset, or an unknown host. */
export class RegistryUnreachableError extends SreLabError {
  override readonly name = "RegistryUnreachableError";
  readonly registry: string;

  constructor(registry: string, why: string, options: SreLabErrorOptions = {}) {
    super(`the local registry at ${registry} is not answering (${why})`, {
      ...options,
      hint: options.hint ?? START_REGISTRY_HINT,
    });
    this.registry = registry;
  }
}

/** A request got no complete answer before its deadline. */
export class RegistryDeadlineError extends DeadlineError {
  readonly registry: string;

  constructor(registry: string, request: string, after: string, options: SreLabErrorOptions = {}) {
    super(`the local registry at ${registry} did not answer ${request} within ${after}`, {
      ...options,
      hint:
        options.hint ??
        "check that the registry container is healthy: `docker logs sre-lab-registry`; `docker restart sre-lab-registry` if it hangs",
    });
    this.registry = registry;
  }
}

/** One entry of the registry's error body: `{"errors":[{"code","message","detail"}]}` (OCI distribution spec). */
export interface RegistryErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/** The registry answered with an error status; `code` and `registryMessage` are its own words when it sent them. */
export class RegistryHttpError extends SreLabError {
  override readonly name = "RegistryHttpError";
  readonly registry: string;
  /** e.g. "PUT /v2/sre-lab/manifests/manifests/0.1.0". */
  readonly request: string;
  readonly status: number;
  /** The first error code of the body ("DIGEST_INVALID", "MANIFEST_BLOB_UNKNOWN", …), if any. */
  readonly code: string | undefined;
  readonly registryMessage: string | undefined;
  readonly errors: readonly RegistryErrorEntry[];

  constructor(
    registry: string,
    request: string,
    status: number,
    errors: readonly RegistryErrorEntry[],
    options: SreLabErrorOptions = {},
  ) {
    const first = errors[0];
    const said = first === undefined ? `HTTP ${status}` : `${status} ${first.code}: ${first.message}`;
    super(`the local registry at ${registry} refused ${request} (${said})`, {
      ...options,
      hint: options.hint ?? hintFor(status, first?.code),
      details:
        options.details ??
        (errors.length === 0 ? undefined : errors.map((e) => JSON.stringify(e)).join("\n")),
    });
    this.registry = registry;
    this.request = request;
    this.status = status;
    this.code = first?.code;
    this.registryMessage = first?.message;
    this.errors = errors;
  }
}

function hintFor(status: number, code: string | undefined): string {
  switch (code) {
    case "DIGEST_INVALID":
    case "SIZE_INVALID":
    case "BLOB_UPLOAD_INVALID":
    case "BLOB_UPLOAD_UNKNOWN":
      return "the upload arrived damaged or the upload session was lost; run the command again";
    case "MANIFEST_BLOB_UNKNOWN":
      return "the registry lost a blob during the push (restarted or garbage-collected?); run the command again";
    case "UNAUTHORIZED":
    case "DENIED":
      return "the lab's registry runs without authentication; is another registry listening on that port? `docker ps` shows what owns it";
    case "UNSUPPORTED":
      return "the registry does not allow this operation; is it a read-only mirror? `docker inspect sre-lab-registry` shows its configuration";
    default:
      return status >= 500
        ? "the registry failed internally; `docker logs sre-lab-registry` says why (often a full disk)"
        : "`docker logs sre-lab-registry` shows the request and why it was refused";
  }
}

/** Something answered, but it does not speak the OCI distribution API (for example another service on the port). */
export class NotARegistryError extends SreLabError {
  override readonly name = "NotARegistryError";

  constructor(registry: string, why: string, options: SreLabErrorOptions = {}) {
    super(`${registry} answered, but not as an OCI registry (${why})`, {
      ...options,
      hint:
        options.hint ??
        "another program may own the port; `docker ps --filter name=sre-lab-registry` shows whether the lab's registry is running",
    });
  }
}
