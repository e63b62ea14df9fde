/**
 * The HTTP front door: request parsing (the apiserver's RequestInfo rules for paths, verbs and the
 * `/watch/` prefix), authentication, impersonation, injected failures, authorization, and dispatch to
 * discovery, the registry, watches, logs, Table printing and SelfSubjectAccessReview. Every request is
 * recorded for assertions.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseYaml } from "yaml";
import type { Authorizer, RequestAttributes, TokenRegistry, UserInfo } from "./authz.js";
import {
  adminUser,
  anonymousUser,
  forbiddenMessage,
  parseServiceAccountUser,
  serviceAccountUser,
} from "./authz.js";
import type { ServerVersion } from "./discovery.js";
import {
  apiGroupDocument,
  apiGroupList,
  apiResourceList,
  apiVersions,
  openApiV3GroupVersion,
  openApiV3Index,
  versionInfo,
} from "./discovery.js";
import {
  ApiError,
  badRequest,
  forbidden,
  forbiddenField,
  injectedFailure,
  internalError,
  invalid,
  methodNotSupported,
  pathNotFound,
  requiredField,
  unauthorized,
  unsupportedMediaType,
} from "./errors.js";
import { checkRbacEscalation } from "./escalation.js";
import type { LogBook, LogQuery } from "./logs.js";
import type { KubeObject } from "./objects.js";
import { clone, isObject, metaOf, pathValue } from "./objects.js";
import { applyPatchType } from "./patch.js";
import { decodeSelfSubjectAccessReview, protobufContentType } from "./protobuf.js";
import type { DeleteOptions, PropagationPolicy, Registry } from "./registry.js";
import type { ResourceDef, ResourceTable } from "./resources.js";
import { apiVersionOf } from "./resources.js";
import type { Selection } from "./selectors.js";
import { parseFieldSelector, parseLabelSelector } from "./selectors.js";
import type { IncludeObject } from "./table.js";
import { toTable, wantsTable } from "./table.js";
import type { WatchHub } from "./watch.js";

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The effective user (after impersonation), e.g. `system:serviceaccount:ns:sa`. */
  user: string;
  /** The Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection) or "" for non-resource paths. */
  verb: string;
  /** HTTP status code of the response, once written. */
  status: number | undefined;
}

/** What `failNext` matches on. Every field given must match; a function decides alone. */
export type RequestMatcher =
  | {
      method?: string;
      path?: string | RegExp;
      verb?: string;
      resource?: string;
      subresource?: string;
      namespace?: string;
      name?: string;
    }
  | ((request: RecordedRequest) => boolean);

export interface InjectedFailure {
  matcher: RequestMatcher;
  code: number;
  message: string | undefined;
  remaining: number;
}

export interface ServerDeps {
  registry: Registry;
  resources: ResourceTable;
  tokens: TokenRegistry;
  authorizer: Authorizer;
  logs: LogBook;
  watches: WatchHub;
  version: ServerVersion;
  requests: RecordedRequest[];
  failures: InjectedFailure[];
}

interface ResourcePath {
  def: ResourceDef;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  watchPrefix: boolean;
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, error: ApiError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (error.code === 429) res.setHeader("Retry-After", "1");
  sendJson(res, error.code, error.status);
}

async function readRawBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readBody(req: IncomingMessage): Promise<string> {
  return (await readRawBody(req)).toString("utf8");
}

function contentTypeOf(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "application/json").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** Decodes a JSON (or YAML) request body; protobuf bodies are refused with 415 like an unknown format. */
async function readObjectBody(req: IncomingMessage): Promise<unknown> {
  const contentType = contentTypeOf(req);
  const text = await readBody(req);
  if (text.trim() === "") return undefined;
  if (contentType === "application/yaml") {
    try {
      return parseYaml(text);
    } catch (error) {
      throw badRequest(`error converting YAML to JSON: ${(error as Error).message}`);
    }
  }
  if (contentType !== "application/json" && contentType !== "*/*") {
    throw unsupportedMediaType(contentType, ["application/json", "application/yaml"]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(error as Error).message}`);
  }
}

function bool(value: string | null): boolean {
  return value === "true" || value === "1";
}

function optionalInt(query: URLSearchParams, key: string): number | undefined {
  const raw = query.get(key);
  if (raw === null || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw badRequest(`${key}: Invalid value: "${raw}": must be an integer`);
  return n;
}

function headerValues(req: IncomingMessage, name: string): string[] {
  const values = req.headersDistinct[name] ?? [];
  return values
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

function matches(matcher: RequestMatcher, request: RecordedRequest, path: ResourcePath | undefined): boolean {
  if (typeof matcher === "function") return matcher(request);
  if (matcher.method !== undefined && matcher.method.toUpperCase() !== request.method) return false;
  if (matcher.path !== undefined) {
    const ok =
      typeof matcher.path === "string" ? matcher.path === request.path : matcher.path.test(request.path);
    if (!ok) return false;
  }
  if (matcher.verb !== undefined && matcher.verb !== request.verb) return false;
  if (matcher.resource !== undefined && matcher.resource !== path?.def.resource) return false;
  if (matcher.subresource !== undefined && matcher.subresource !== path?.subresource) return false;
  if (matcher.namespace !== undefined && matcher.namespace !== path?.namespace) return false;
  if (matcher.name !== undefined && matcher.name !== path?.name) return false;
  return true;
}

export class RequestHandler {
  constructor(private readonly deps: ServerDeps) {}

  /** Entry point for node:http. */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.dispatch(req, res).catch((error: unknown) => {
      const apiError =
        error instanceof ApiError
          ? error
          : internalError(error instanceof Error ? error.message : String(error));
      sendError(res, apiError);
    });
  };

  private parseResourcePath(segments: string[]): ResourcePath | undefined {
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === "api" && segments.length >= 3) {
      group = "";
      version = segments[1] ?? "";
      rest = segments.slice(2);
    } else if (segments[0] === "apis" && segments.length >= 4) {
      group = segments[1] ?? "";
      version = segments[2] ?? "";
      rest = segments.slice(3);
    } else {
      return undefined;
    }
    let watchPrefix = false;
    if (rest[0] === "watch") {
      watchPrefix = true;
      rest = rest.slice(1);
    }
    const table = this.deps.resources;
    if (rest[0] === "namespaces" && rest.length >= 3) {
      const def = table.byResource(group, version, rest[2] ?? "");
      if (def?.namespaced) {
        if (rest.length > 5) return undefined;
        return { def, namespace: rest[1], name: rest[3], subresource: rest[4], watchPrefix };
      }
    }
    const def = table.byResource(group, version, rest[0] ?? "");
    if (def === undefined || rest.length > 3) return undefined;
    return { def, namespace: undefined, name: rest[1], subresource: rest[2], watchPrefix };
  }

  private authenticate(req: IncomingMessage): UserInfo {
    const header = req.headers.authorization;
    if (header === undefined) return anonymousUser;
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match === null) throw unauthorized();
    const found = this.deps.tokens.lookup(match[1] ?? "");
    if (found === undefined) throw unauthorized();
    if (found.admin) return adminUser;
    const saDef = this.deps.resources.byKind("v1", "ServiceAccount");
    if (
      saDef === undefined ||
      this.deps.registry.store.get(saDef, found.namespace, found.name) === undefined
    ) {
      throw unauthorized();
    }
    return serviceAccountUser(found.namespace, found.name);
  }

  /** Impersonate-User / Impersonate-Group, authorized with the `impersonate` verb as the real filter does. */
  private impersonate(req: IncomingMessage, user: UserInfo): UserInfo {
    const [target] = headerValues(req, "impersonate-user");
    const groups = headerValues(req, "impersonate-group");
    if (target === undefined) {
      if (groups.length > 0) throw badRequest("requested [impersonate-group] without impersonating a user");
      return user;
    }
    const sa = parseServiceAccountUser(target);
    const checks: RequestAttributes[] = [
      sa === undefined
        ? this.attrs(user, "impersonate", "", "users", "", "", target)
        : this.attrs(user, "impersonate", "", "serviceaccounts", "", sa.namespace, sa.name),
      ...groups.map((g) => this.attrs(user, "impersonate", "", "groups", "", "", g)),
    ];
    for (const attrs of checks) {
      if (!this.deps.authorizer.authorize(attrs).allowed) {
        throw forbidden(attrs.group, attrs.resource, attrs.name, forbiddenMessage(attrs));
      }
    }
    const base =
      sa === undefined ? { username: target, groups: [] } : serviceAccountUser(sa.namespace, sa.name);
    const all = [...new Set([...base.groups.filter((g) => g !== "system:authenticated"), ...groups])];
    if (target !== "system:anonymous") all.push("system:authenticated");
    return { username: target, groups: all };
  }

  private attrs(
    user: UserInfo,
    verb: string,
    group: string,
    resource: string,
    subresource: string,
    namespace: string,
    name: string,
  ): RequestAttributes {
    return { user, verb, resourceRequest: true, path: "", group, resource, subresource, namespace, name };
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake-apiserver");
    const method = (req.method ?? "GET").toUpperCase();
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      user: "",
      verb: "",
      status: undefined,
    };
    this.deps.requests.push(record);
    res.setHeader("Audit-Id", randomUUID());
    res.on("finish", () => {
      record.status = res.statusCode;
    });
    res.on("close", () => {
      record.status ??= res.statusCode;
    });

    const user = this.impersonate(req, this.authenticate(req));
    record.user = user.username;
    const segments = url.pathname.split("/").filter((s) => s !== "");
    const resourcePath = this.parseResourcePath(segments);
    const watchParam = bool(url.searchParams.get("watch"));
    if (resourcePath !== undefined) record.verb = this.verbOf(method, resourcePath, watchParam);

    const failure = this.deps.failures.find(
      (f) => f.remaining > 0 && matches(f.matcher, record, resourcePath),
    );
    if (failure !== undefined) {
      failure.remaining--;
      if (failure.code === 403 && resourcePath !== undefined) {
        const attrs = this.resourceAttributes(user, record.verb, resourcePath);
        throw forbidden(attrs.group, attrs.resource, attrs.name, forbiddenMessage(attrs));
      }
      throw injectedFailure(failure.code, resourcePath?.def, resourcePath?.name ?? "", failure.message);
    }

    if (resourcePath === undefined) {
      this.serveNonResource(method, url.pathname, user, res);
      return;
    }
    const attrs = this.resourceAttributes(user, record.verb, resourcePath);
    if (!this.deps.authorizer.authorize(attrs).allowed) {
      throw forbidden(attrs.group, attrs.resource, attrs.name, forbiddenMessage(attrs));
    }
    await this.serveResource(req, res, url, method, resourcePath, user, watchParam);
  }

  private verbOf(method: string, path: ResourcePath, watchParam: boolean): string {
    switch (method) {
      case "GET":
      case "HEAD":
        if (path.watchPrefix || watchParam) return "watch";
        return path.name === undefined ? "list" : "get";
      case "POST":
        return "create";
      case "PUT":
        return "update";
      case "PATCH":
        return "patch";
      case "DELETE":
        return path.name === undefined ? "deletecollection" : "delete";
      default:
        return method.toLowerCase();
    }
  }

  private resourceAttributes(user: UserInfo, verb: string, path: ResourcePath): RequestAttributes {
    const { def } = path;
    // RequestInfo treats /api/v1/namespaces/<name> as a request in namespace <name>.
    const namespace =
      def.group === "" && def.resource === "namespaces" ? (path.name ?? "") : (path.namespace ?? "");
    return this.attrs(
      user,
      verb,
      def.group,
      def.resource,
      path.subresource ?? "",
      namespace,
      path.name ?? "",
    );
  }

  private serveNonResource(method: string, pathname: string, user: UserInfo, res: ServerResponse): void {
    const path = pathname.length > 1 ? pathname.replace(/\/$/, "") : pathname;
    const attrs: RequestAttributes = {
      user,
      verb: method.toLowerCase(),
      resourceRequest: false,
      path: pathname,
      group: "",
      resource: "",
      subresource: "",
      namespace: "",
      name: "",
    };
    if (!this.deps.authorizer.authorize(attrs).allowed) throw forbidden("", "", "", forbiddenMessage(attrs));
    if (method !== "GET" && method !== "HEAD") throw pathNotFound();
    const table = this.deps.resources;
    const segments = path.split("/").filter((s) => s !== "");
    let body: unknown;
    if (path === "/version") body = versionInfo(this.deps.version);
    else if (path === "/healthz" || path === "/livez" || path === "/readyz") {
      res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("ok");
      return;
    } else if (path === "/api") body = apiVersions();
    else if (path === "/apis") body = apiGroupList(table);
    else if (segments[0] === "apis" && segments.length === 2)
      body = apiGroupDocument(table, segments[1] ?? "");
    else if (segments[0] === "api" && segments.length === 2)
      body = apiResourceList(table, "", segments[1] ?? "");
    else if (segments[0] === "apis" && segments.length === 3)
      body = apiResourceList(table, segments[1] ?? "", segments[2] ?? "");
    else if (path === "/openapi/v3") body = openApiV3Index(table);
    else if (segments[0] === "openapi" && segments[1] === "v3")
      body = openApiV3GroupVersion(table, segments.slice(2).join("/"));
    if (body === undefined) throw pathNotFound();
    sendJson(res, 200, body);
  }

  private selection(url: URL, def: ResourceDef, name: string | undefined): Selection {
    const fields = parseFieldSelector(url.searchParams.get("fieldSelector") ?? undefined, def);
    if (name !== undefined) {
      const named = fields.find((f) => f.field === "metadata.name");
      if (fields.length > 0 && (named === undefined || named.operator !== "=" || named.value !== name)) {
        throw badRequest("fieldSelector metadata.name doesn't match requested name");
      }
      if (named === undefined) fields.push({ field: "metadata.name", operator: "=", value: name });
    }
    return { labels: parseLabelSelector(url.searchParams.get("labelSelector") ?? undefined), fields };
  }

  private writeOptions(req: IncomingMessage, url: URL, subresource: string | undefined) {
    const dryRun = url.searchParams.getAll("dryRun");
    if (dryRun.some((d) => d !== "All")) {
      throw invalid("CreateOptions", "meta.k8s.io", "", [
        {
          type: "FieldValueNotSupported",
          field: "dryRun",
          body: `Unsupported value: ${JSON.stringify(dryRun)}: supported values: "All"`,
        },
      ]);
    }
    return {
      fieldManager: url.searchParams.get("fieldManager") ?? undefined,
      userAgent: req.headers["user-agent"],
      dryRun: dryRun.length > 0,
      subresource,
    };
  }

  private render(def: ResourceDef, obj: KubeObject): KubeObject {
    const out = clone(obj);
    out.apiVersion = apiVersionOf(def);
    out.kind = def.kind;
    return out;
  }

  private async serveResource(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
    path: ResourcePath,
    user: UserInfo,
    watchParam: boolean,
  ): Promise<void> {
    const { def, namespace, name, subresource } = path;
    const { registry } = this.deps;
    if (subresource !== undefined && !(subresource in def.subresources)) throw pathNotFound();
    if (def.virtual) {
      if (method !== "POST" || name !== undefined) throw methodNotSupported(def, method.toLowerCase());
      const body =
        contentTypeOf(req) === protobufContentType
          ? decodeSelfSubjectAccessReview(await readRawBody(req))
          : await readObjectBody(req);
      sendJson(res, 201, this.selfSubjectAccessReview(user, body));
      return;
    }
    const table = wantsTable(req.headers.accept);
    const includeObject = (url.searchParams.get("includeObject") ?? "Metadata") as IncludeObject;

    switch (method) {
      case "GET":
      case "HEAD": {
        if (subresource === "log") {
          this.serveLog(res, url, registry.get(def, namespace, name ?? ""));
          return;
        }
        if (path.watchPrefix || watchParam) {
          this.serveWatch(res, url, def, namespace, name, table, includeObject);
          return;
        }
        if (name !== undefined) {
          const obj = registry.get(def, namespace, name);
          if (subresource === "scale") sendJson(res, 200, this.scaleOf(obj));
          else if (table)
            sendJson(
              res,
              200,
              toTable(def, [obj], {
                includeObject,
                headers: true,
                resourceVersion: obj.metadata?.resourceVersion ?? "",
              }),
            );
          else sendJson(res, 200, this.render(def, obj));
          return;
        }
        const limit = optionalInt(url.searchParams, "limit");
        const page = registry.list(
          def,
          namespace,
          this.selection(url, def, undefined),
          limit,
          url.searchParams.get("continue") ?? undefined,
        );
        if (table) {
          const opts = { includeObject, headers: true, resourceVersion: page.resourceVersion };
          sendJson(
            res,
            200,
            toTable(
              def,
              page.items,
              page.continueToken === undefined ? opts : { ...opts, continueToken: page.continueToken },
            ),
          );
          return;
        }
        const metadata: Record<string, unknown> = { resourceVersion: page.resourceVersion };
        if (page.continueToken !== undefined) metadata.continue = page.continueToken;
        if (page.remainingItemCount !== undefined) metadata.remainingItemCount = page.remainingItemCount;
        const items = page.items.map((item) => {
          if (def.custom) return item;
          const { apiVersion: _a, kind: _k, ...rest } = item;
          return rest;
        });
        sendJson(res, 200, { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata, items });
        return;
      }
      case "POST": {
        if (name !== undefined) throw methodNotSupported(def, "create");
        const body = await readObjectBody(req);
        checkRbacEscalation(this.deps.authorizer, user, def, namespace, nameOf(body), body);
        sendJson(
          res,
          201,
          this.render(def, registry.create(def, namespace, body, this.writeOptions(req, url, undefined))),
        );
        return;
      }
      case "PUT": {
        if (name === undefined) throw methodNotSupported(def, "update");
        const body = await readObjectBody(req);
        checkRbacEscalation(this.deps.authorizer, user, def, namespace, name, body);
        if (subresource === "scale") {
          sendJson(res, 200, this.updateScale(def, namespace, name, body, req, url));
          return;
        }
        sendJson(
          res,
          200,
          this.render(
            def,
            registry.update(def, namespace, name, body, this.writeOptions(req, url, subresource)),
          ),
        );
        return;
      }
      case "PATCH": {
        if (name === undefined) throw methodNotSupported(def, "patch");
        const contentType = contentTypeOf(req);
        const force = url.searchParams.get("force");
        const options = this.writeOptions(req, url, subresource);
        if (contentType === applyPatchType) {
          if (options.fieldManager === undefined || options.fieldManager === "") {
            throw invalid("PatchOptions", "meta.k8s.io", "", [
              requiredField("fieldManager", "is required for apply patch"),
            ]);
          }
        } else if (force !== null) {
          throw invalid("PatchOptions", "meta.k8s.io", "", [
            forbiddenField("force", "may not be specified for non-apply patch"),
          ]);
        }
        const raw = await readBody(req);
        if (subresource === "scale") {
          const current = this.scaleOf(registry.get(def, namespace, name));
          const patched = contentType === applyPatchType ? undefined : JSON.parse(raw);
          const replicas =
            pathValue(patched, ["spec", "replicas"]) ?? pathValue(current, ["spec", "replicas"]);
          sendJson(res, 200, this.updateScale(def, namespace, name, { spec: { replicas } }, req, url));
          return;
        }
        if (contentType === applyPatchType) {
          // A server-side apply that creates is authorized as a create too (the patch handler's
          // createAuthorizerAttributes), and RBAC objects are checked for escalation.
          if (!registry.exists(def, namespace, name)) {
            const create = this.attrs(user, "create", def.group, def.resource, "", namespace ?? "", name);
            if (!this.deps.authorizer.authorize(create).allowed) {
              throw forbidden(def.group, def.resource, name, forbiddenMessage(create));
            }
          }
          checkRbacEscalation(this.deps.authorizer, user, def, namespace, name, parseApplyBody(raw));
        } else if (
          def.group === "rbac.authorization.k8s.io" &&
          contentType !== "application/json-patch+json"
        ) {
          checkRbacEscalation(this.deps.authorizer, user, def, namespace, name, safeJson(raw));
        }
        const result = registry.patch(def, namespace, name, contentType, raw, {
          ...options,
          force: bool(force),
        });
        sendJson(res, result.created ? 201 : 200, this.render(def, result.object));
        return;
      }
      case "DELETE": {
        const body = await readObjectBody(req);
        const options = this.deleteOptions(url, body);
        if (name === undefined) {
          const page = registry.list(def, namespace, this.selection(url, def, undefined));
          const deleted = page.items.map((item) =>
            registry.delete(def, item.metadata?.namespace, item.metadata?.name ?? "", options),
          );
          sendJson(res, 200, {
            kind: `${def.kind}List`,
            apiVersion: apiVersionOf(def),
            metadata: { resourceVersion: String(registry.store.resourceVersion) },
            items: deleted,
          });
          return;
        }
        const last = registry.delete(def, namespace, name, options);
        const response = registry.deleteResponse(def, last);
        sendJson(
          res,
          200,
          isObject(response) && response.kind !== "Status"
            ? this.render(def, response as KubeObject)
            : response,
        );
        return;
      }
      default:
        throw methodNotSupported(def, method.toLowerCase());
    }
  }

  private deleteOptions(url: URL, body: unknown): DeleteOptions {
    const fromBody = isObject(body) ? body : {};
    const policy = (url.searchParams.get("propagationPolicy") ?? fromBody.propagationPolicy) as
      | string
      | undefined;
    if (policy !== undefined && !["Background", "Foreground", "Orphan"].includes(policy)) {
      throw invalid("DeleteOptions", "meta.k8s.io", "", [
        {
          type: "FieldValueNotSupported",
          field: "propagationPolicy",
          body: `Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan", "nil"`,
        },
      ]);
    }
    const orphanParam = url.searchParams.get("orphanDependents");
    const orphan =
      orphanParam !== null
        ? orphanParam === "true"
        : typeof fromBody.orphanDependents === "boolean"
          ? fromBody.orphanDependents
          : undefined;
    const pre = isObject(fromBody.preconditions) ? fromBody.preconditions : undefined;
    const preconditions: { uid?: string; resourceVersion?: string } = {};
    if (typeof pre?.uid === "string") preconditions.uid = pre.uid;
    if (typeof pre?.resourceVersion === "string") preconditions.resourceVersion = pre.resourceVersion;
    const dryRun =
      url.searchParams.getAll("dryRun").length > 0 ||
      (Array.isArray(fromBody.dryRun) && fromBody.dryRun.length > 0);
    return {
      propagationPolicy: policy as PropagationPolicy | undefined,
      orphanDependents: orphan,
      preconditions,
      dryRun,
    };
  }

  private scaleOf(obj: KubeObject): unknown {
    const meta = obj.metadata ?? {};
    const matchLabels = pathValue(obj, ["spec", "selector", "matchLabels"]);
    const selector = isObject(matchLabels)
      ? Object.entries(matchLabels)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(",")
      : "";
    return {
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      metadata: {
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
        creationTimestamp: meta.creationTimestamp,
      },
      spec: { replicas: pathValue(obj, ["spec", "replicas"]) ?? 0 },
      status: { replicas: pathValue(obj, ["status", "replicas"]) ?? 0, selector },
    };
  }

  private updateScale(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    body: unknown,
    req: IncomingMessage,
    url: URL,
  ): unknown {
    const replicas = pathValue(body, ["spec", "replicas"]);
    if (typeof replicas !== "number") throw badRequest("spec.replicas must be a number");
    const { registry } = this.deps;
    const current = registry.get(def, namespace, name);
    const next = clone(current);
    if (!isObject(next.spec)) next.spec = {};
    (next.spec as Record<string, unknown>).replicas = replicas;
    const updated = registry.update(def, namespace, name, next, this.writeOptions(req, url, undefined));
    return this.scaleOf(updated);
  }

  private serveWatch(
    res: ServerResponse,
    url: URL,
    def: ResourceDef,
    namespace: string | undefined,
    name: string | undefined,
    table: boolean,
    includeObject: IncludeObject,
  ): void {
    const rvText = url.searchParams.get("resourceVersion");
    let resourceVersion: number | undefined;
    if (rvText !== null && rvText !== "") {
      resourceVersion = Number(rvText);
      if (!Number.isInteger(resourceVersion) || resourceVersion < 0)
        throw badRequest(`invalid resource version: ${rvText}`);
    }
    const sendInitial = url.searchParams.get("sendInitialEvents");
    let headers = true;
    this.deps.watches.serve(
      {
        def,
        namespace,
        selection: this.selection(url, def, name),
        resourceVersion,
        sendInitialEvents: sendInitial === null ? undefined : sendInitial === "true",
        allowBookmarks: bool(url.searchParams.get("allowWatchBookmarks")),
        timeoutSeconds: optionalInt(url.searchParams, "timeoutSeconds"),
        render: (obj) => {
          if (!table) return this.render(def, obj);
          const out = toTable(def, [this.render(def, obj)], { includeObject, headers });
          headers = false;
          return out;
        },
      },
      res,
    );
  }

  private serveLog(res: ServerResponse, url: URL, pod: KubeObject): void {
    const q = url.searchParams;
    const sinceSeconds = optionalInt(q, "sinceSeconds");
    const sinceTimeText = q.get("sinceTime");
    const query: LogQuery = {
      container: q.get("container") ?? "",
      previous: bool(q.get("previous")),
      follow: bool(q.get("follow")),
      timestamps: bool(q.get("timestamps")),
      tailLines: optionalInt(q, "tailLines"),
      limitBytes: optionalInt(q, "limitBytes"),
      sinceTime:
        sinceSeconds !== undefined
          ? new Date(Date.now() - sinceSeconds * 1000)
          : sinceTimeText !== null && sinceTimeText !== ""
            ? new Date(sinceTimeText)
            : undefined,
    };
    const errors = [];
    if (query.tailLines !== undefined && query.tailLines < 0)
      errors.push({ field: "tailLines", value: query.tailLines });
    if (query.limitBytes !== undefined && query.limitBytes < 1)
      errors.push({ field: "limitBytes", value: query.limitBytes });
    const [bad] = errors;
    if (bad !== undefined) {
      throw invalid("PodLogOptions", "", "", [
        {
          type: "FieldValueInvalid",
          field: bad.field,
          body: `Invalid value: ${bad.value}: must be ${bad.field === "tailLines" ? "greater than or equal to 0" : "greater than 0"}`,
        },
      ]);
    }
    const container = this.deps.logs.check(pod, query);
    this.deps.logs.serve(pod, container, query, res);
  }

  private selfSubjectAccessReview(user: UserInfo, body: unknown): unknown {
    const review = isObject(body) ? (clone(body) as KubeObject) : {};
    const spec = isObject(review.spec) ? review.spec : {};
    const resourceAttributes = isObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
    const nonResource = isObject(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
    if (resourceAttributes === undefined && nonResource === undefined) {
      throw invalid("SelfSubjectAccessReview", "authorization.k8s.io", "", [
        requiredField(
          "spec.resourceAttributes",
          "exactly one of nonResourceAttributes or resourceAttributes must be specified",
        ),
      ]);
    }
    const text = (v: unknown) => (typeof v === "string" ? v : "");
    const attrs: RequestAttributes =
      resourceAttributes !== undefined
        ? {
            user,
            verb: text(resourceAttributes.verb),
            resourceRequest: true,
            path: "",
            group: text(resourceAttributes.group),
            resource: text(resourceAttributes.resource),
            subresource: text(resourceAttributes.subresource),
            namespace: text(resourceAttributes.namespace),
            name: text(resourceAttributes.name),
          }
        : {
            user,
            verb: text(nonResource?.verb),
            resourceRequest: false,
            path: text(nonResource?.path),
            group: "",
            resource: "",
            subresource: "",
            namespace: "",
            name: "",
          };
    const decision = this.deps.authorizer.authorize(attrs);
    review.apiVersion = "authorization.k8s.io/v1";
    review.kind = "SelfSubjectAccessReview";
    metaOf(review).creationTimestamp = null as unknown as string;
    const status: Record<string, unknown> = { allowed: decision.allowed };
    if (decision.reason !== "") status.reason = decision.reason;
    review.status = status;
    return review;
  }
}

function nameOf(body: unknown): string {
  const meta = isObject(body) && isObject(body.metadata) ? body.metadata : {};
  return typeof meta.name === "string" ? meta.name : "";
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** An apply body is YAML or JSON. */
function parseApplyBody(raw: string): unknown {
  try {
    return parseYaml(raw);
  } catch {
    return undefined;
  }
}
