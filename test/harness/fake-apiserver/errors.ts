/**
 * `metav1.Status` failure bodies, built the way k8s.io/apimachinery/pkg/api/errors builds them, so
 * clients see the same code, reason, message and details as from a real kube-apiserver.
 */
import type { ResourceDef } from "./resources.js";
import { qualifiedResource } from "./resources.js";

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure" | "Success";
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** A failure that the HTTP layer renders as its Status body with `status.code`. */
export class ApiError extends Error {
  readonly status: StatusBody;

  constructor(status: StatusBody) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`);
    this.name = "ApiError";
    this.status = status;
  }

  get code(): number {
    return this.status.code;
  }
}

function failure(code: number, reason: string, message: string, details?: StatusDetails): ApiError {
  const body: StatusBody = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  };
  if (details !== undefined) body.details = details;
  return new ApiError(body);
}

/** Details as the real server fills them: `kind` carries the resource (plural), group only when set. */
function resourceDetails(def: ResourceDef, name: string): StatusDetails {
  const details: StatusDetails = {};
  if (name !== "") details.name = name;
  if (def.group !== "") details.group = def.group;
  details.kind = def.resource;
  return details;
}

export function notFound(def: ResourceDef, name: string): ApiError {
  return failure(
    404,
    "NotFound",
    `${qualifiedResource(def)} "${name}" not found`,
    resourceDetails(def, name),
  );
}

/** The generic 404 for a path the server does not serve. */
export function pathNotFound(): ApiError {
  return failure(404, "NotFound", "the server could not find the requested resource", {});
}

export function alreadyExists(def: ResourceDef, name: string): ApiError {
  return failure(
    409,
    "AlreadyExists",
    `${qualifiedResource(def)} "${name}" already exists`,
    resourceDetails(def, name),
  );
}

export function conflict(def: ResourceDef, name: string, why: string): ApiError {
  return failure(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${qualifiedResource(def)} "${name}": ${why}`,
    resourceDetails(def, name),
  );
}

export const modifiedConflict =
  "the object has been modified; please apply your changes to the latest version and try again";

export function applyConflict(message: string, causes: StatusCause[]): ApiError {
  return failure(409, "Conflict", message, { causes });
}

export interface FieldError {
  type: "FieldValueRequired" | "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueNotSupported";
  field: string;
  /** The error body without the field, e.g. `Required value: name or generateName is required`. */
  body: string;
}

export function requiredField(field: string, detail: string): FieldError {
  return {
    type: "FieldValueRequired",
    field,
    body: detail === "" ? "Required value" : `Required value: ${detail}`,
  };
}

export function invalidField(field: string, value: string, detail: string): FieldError {
  return { type: "FieldValueInvalid", field, body: `Invalid value: ${JSON.stringify(value)}: ${detail}` };
}

export function forbiddenField(field: string, detail: string): FieldError {
  return { type: "FieldValueForbidden", field, body: `Forbidden: ${detail}` };
}

/** 422 Invalid for a group/kind such as `Pod` or `PatchOptions.meta.k8s.io`. */
export function invalid(kindName: string, group: string, name: string, errors: FieldError[]): ApiError {
  const rendered = errors.map((e) => `${e.field}: ${e.body}`);
  const aggregate = rendered.length === 1 ? rendered[0] : `[${rendered.join(", ")}]`;
  const qualified = group === "" ? kindName : `${kindName}.${group}`;
  const details: StatusDetails = {};
  if (name !== "") details.name = name;
  if (group !== "") details.group = group;
  details.kind = kindName;
  details.causes = errors.map((e) => ({ reason: e.type, message: e.body, field: e.field }));
  return failure(422, "Invalid", `${qualified} "${name}" is invalid: ${aggregate}`, details);
}

export function invalidObject(def: ResourceDef, name: string, errors: FieldError[]): ApiError {
  return invalid(def.kind, def.group, name, errors);
}

export function badRequest(message: string): ApiError {
  return failure(400, "BadRequest", message);
}

export function unauthorized(): ApiError {
  return failure(401, "Unauthorized", "Unauthorized");
}

/** 403 with the message shape of the apiserver's authorization filter. */
export function forbidden(group: string, resource: string, name: string, message: string): ApiError {
  const details: StatusDetails = {};
  if (name !== "") details.name = name;
  if (group !== "") details.group = group;
  if (resource !== "") details.kind = resource;
  const qualified = group === "" ? resource : `${resource}.${group}`;
  const prefix =
    resource === ""
      ? "forbidden"
      : name === ""
        ? `${qualified} is forbidden`
        : `${qualified} "${name}" is forbidden`;
  return failure(403, "Forbidden", `${prefix}: ${message}`, details);
}

export function gone(message: string): ApiError {
  return failure(410, "Expired", message);
}

export function methodNotSupported(def: ResourceDef, action: string): ApiError {
  const details: StatusDetails = {};
  if (def.group !== "") details.group = def.group;
  details.kind = def.resource;
  return failure(
    405,
    "MethodNotAllowed",
    `${action} is not supported on resources of kind "${qualifiedResource(def)}"`,
    details,
  );
}

export function unsupportedMediaType(contentType: string, supported: readonly string[]): ApiError {
  return failure(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: ${supported.join(", ")}`,
    { causes: [{ reason: "UnexpectedServerResponse", message: contentType }] },
  );
}

export function internalError(message: string): ApiError {
  return failure(500, "InternalError", `Internal error occurred: ${message}`, { causes: [{ message }] });
}

/** A realistic failure for an injected status code (see `failNext`). */
export function injectedFailure(
  code: number,
  def: ResourceDef | undefined,
  name: string,
  message?: string,
): ApiError {
  switch (code) {
    case 400:
      return badRequest(message ?? "injected bad request");
    case 401:
      return unauthorized();
    case 404:
      return def === undefined ? pathNotFound() : notFound(def, name);
    case 409:
      return def === undefined
        ? failure(409, "Conflict", message ?? "injected conflict")
        : conflict(def, name, message ?? modifiedConflict);
    case 410:
      return gone(message ?? "too old resource version");
    case 429:
      return failure(429, "TooManyRequests", message ?? "Too many requests, please try again later.", {
        retryAfterSeconds: 1,
      });
    case 500:
      return internalError(message ?? "injected failure");
    case 503:
      return failure(
        503,
        "ServiceUnavailable",
        message ?? "the server is currently unable to handle the request",
      );
    case 504:
      return failure(
        504,
        "Timeout",
        `Timeout: ${message ?? "request did not complete within requested timeout"}`,
      );
    default:
      return failure(
        code,
        code >= 500 ? "InternalError" : "BadRequest",
        message ?? `injected failure ${code}`,
      );
  }
}
