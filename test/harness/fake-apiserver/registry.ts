/**
 * The REST semantics behind every verb, shared by the HTTP handlers and the test-facing API: create
 * (validation, generateName, namespace must exist, defaults), update (optimistic concurrency, status
 * subresource), patch (merge, strategic-as-merge, JSON patch, server-side apply), delete (the returned
 * object or Status, garbage collection by ownerReferences with Background/Foreground/Orphan, namespace
 * contents), and list with selectors and `limit`/`continue` paging.
 */
import { randomUUID } from "node:crypto";
import { parse as parseYaml } from "yaml";
import { managerName, recordUpdate, serverSideApply } from "./apply.js";
import { applyCreateDefaults, normalizeWrite } from "./defaults.js";
import type { FieldError } from "./errors.js";
import {
  alreadyExists,
  badRequest,
  conflict,
  invalidField,
  invalidObject,
  modifiedConflict,
  notFound,
  requiredField,
  unsupportedMediaType,
} from "./errors.js";
import type { LogBook } from "./logs.js";
import type { JsonObject, KubeObject } from "./objects.js";
import { clone, isObject, metaOf, randomSuffix, timestamp } from "./objects.js";
import {
  applyPatchType,
  jsonPatch,
  jsonPatchType,
  mergePatch,
  mergePatchType,
  strategicMergePatchType,
  stripStrategicDirectives,
} from "./patch.js";
import type { ResourceDef, ResourceTable } from "./resources.js";
import { apiVersionOf } from "./resources.js";
import type { Selection } from "./selectors.js";
import { selects } from "./selectors.js";
import type { ObjectStore } from "./store.js";

export type PropagationPolicy = "Background" | "Foreground" | "Orphan";

export interface WriteOptions {
  /** The fieldManager query parameter, if given. */
  fieldManager: string | undefined;
  userAgent: string | undefined;
  dryRun: boolean;
  subresource: string | undefined;
}

export interface DeleteOptions {
  propagationPolicy: PropagationPolicy | undefined;
  orphanDependents: boolean | undefined;
  preconditions: { uid?: string; resourceVersion?: string } | undefined;
  dryRun: boolean;
}

export interface ListPage {
  items: KubeObject[];
  continueToken: string | undefined;
  remainingItemCount: number | undefined;
  resourceVersion: string;
}

const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

function nameErrors(def: ResourceDef, name: string, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const rules = {
    subdomain: {
      max: 253,
      re: subdomain,
      msg: "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    },
    label: {
      max: 63,
      re: label,
      msg: "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    },
    dns1035: {
      max: 63,
      re: dns1035,
      msg: "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    },
  }[def.nameRule];
  if (name.length > rules.max)
    errors.push(invalidField(path, name, `must be no more than ${rules.max} characters`));
  if (!rules.re.test(name)) errors.push(invalidField(path, name, rules.msg));
  return errors;
}

/** Kind-specific validation: only what clients commonly trip over. */
function specErrors(def: ResourceDef, obj: KubeObject): FieldError[] {
  if (def.group !== "" || def.resource !== "pods") return [];
  const containers = isObject(obj.spec) ? obj.spec.containers : undefined;
  if (!Array.isArray(containers) || containers.length === 0) return [requiredField("spec.containers", "")];
  const errors: FieldError[] = [];
  containers.forEach((c, i) => {
    const container = isObject(c) ? c : {};
    if (typeof container.name !== "string" || container.name === "") {
      errors.push(requiredField(`spec.containers[${i}].name`, ""));
    }
    if (typeof container.image !== "string" || container.image === "") {
      errors.push(requiredField(`spec.containers[${i}].image`, ""));
    }
  });
  return errors;
}

function decodeContinue(token: string): number {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (isObject(parsed) && typeof parsed.start === "number") return parsed.start;
  } catch {
    // fall through to the error below
  }
  throw badRequest(
    `continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)`,
  );
}

export class Registry {
  constructor(
    readonly store: ObjectStore,
    readonly resources: ResourceTable,
    private readonly logs: LogBook,
  ) {}

  private get namespaceDef(): ResourceDef {
    const def = this.resources.byKind("v1", "Namespace");
    if (def === undefined) throw new Error("namespaces must be served");
    return def;
  }

  requireNamespace(namespace: string): void {
    if (this.store.get(this.namespaceDef, undefined, namespace) === undefined)
      throw notFound(this.namespaceDef, namespace);
  }

  exists(def: ResourceDef, namespace: string | undefined, name: string): boolean {
    return this.store.get(def, namespace, name) !== undefined;
  }

  get(def: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    const found = this.store.get(def, namespace, name);
    if (found === undefined) throw notFound(def, name);
    return found;
  }

  list(
    def: ResourceDef,
    namespace: string | undefined,
    selection: Selection,
    limit?: number,
    continueToken?: string,
  ): ListPage {
    const resourceVersion = String(this.store.resourceVersion);
    const all = this.store.list(def, namespace).filter((o) => selects(def, selection, o));
    const start = continueToken === undefined || continueToken === "" ? 0 : decodeContinue(continueToken);
    if (limit === undefined || limit <= 0) {
      return {
        items: all.slice(start),
        continueToken: undefined,
        remainingItemCount: undefined,
        resourceVersion,
      };
    }
    const items = all.slice(start, start + limit);
    const next = start + limit;
    const more = next < all.length;
    return {
      items,
      continueToken: more
        ? Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv: resourceVersion, start: next })).toString(
            "base64url",
          )
        : undefined,
      remainingItemCount: more ? all.length - next : undefined,
      resourceVersion,
    };
  }

  private checkBody(def: ResourceDef, body: unknown): KubeObject {
    if (!isObject(body))
      throw badRequest(`the object provided is unrecognized (must be of type ${def.kind})`);
    const obj = body as KubeObject;
    if (obj.kind !== undefined && obj.kind !== def.kind) {
      throw badRequest(
        `the object provided is unrecognized (must be of type ${def.kind}): ${obj.kind} (${JSON.stringify(obj).slice(0, 80)})`,
      );
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(def)) {
      throw badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(def)})`,
      );
    }
    return obj;
  }

  private placeInNamespace(def: ResourceDef, obj: KubeObject, namespace: string | undefined): void {
    const meta = metaOf(obj);
    if (!def.namespaced) {
      delete meta.namespace;
      return;
    }
    if (meta.namespace !== undefined && meta.namespace !== "" && meta.namespace !== namespace) {
      throw badRequest(
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    }
    meta.namespace = namespace ?? "";
  }

  create(def: ResourceDef, namespace: string | undefined, body: unknown, options: WriteOptions): KubeObject {
    const obj = clone(this.checkBody(def, body));
    this.placeInNamespace(def, obj, namespace);
    const meta = metaOf(obj);
    if (
      (meta.name === undefined || meta.name === "") &&
      typeof meta.generateName === "string" &&
      meta.generateName !== ""
    ) {
      meta.name = `${meta.generateName}${randomSuffix()}`;
    }
    const name = meta.name ?? "";
    const errors =
      name === ""
        ? [requiredField("metadata.name", "name or generateName is required")]
        : [...nameErrors(def, name, "metadata.name"), ...specErrors(def, obj)];
    if (errors.length > 0) throw invalidObject(def, name, errors);
    if (def.namespaced) this.requireNamespace(meta.namespace ?? "");
    if (this.store.get(def, meta.namespace, name) !== undefined) throw alreadyExists(def, name);
    for (const key of [
      "resourceVersion",
      "creationTimestamp",
      "deletionTimestamp",
      "managedFields",
      "generation",
      "selfLink",
    ]) {
      delete meta[key];
    }
    meta.uid = randomUUID();
    applyCreateDefaults(def, obj);
    recordUpdate(def, undefined, obj, {
      manager: managerName(options.fieldManager, options.userAgent),
      apiVersion: apiVersionOf(def),
      subresource: undefined,
    });
    normalizeWrite(def, obj);
    if (options.dryRun) return this.dryRunStamp(def, obj);
    return this.store.create(def, obj);
  }

  private dryRunStamp(def: ResourceDef, obj: KubeObject): KubeObject {
    const out = clone(obj);
    out.apiVersion = apiVersionOf(def);
    out.kind = def.kind;
    const meta = metaOf(out);
    meta.creationTimestamp = meta.creationTimestamp ?? timestamp();
    meta.generation = meta.generation ?? 1;
    return out;
  }

  /** Combines the stored object with a written one the way the main resource and `/status` differ. */
  private scopeWrite(
    def: ResourceDef,
    current: KubeObject,
    written: KubeObject,
    subresource: string | undefined,
  ): KubeObject {
    if (subresource === "status") {
      const next = clone(current);
      if (written.status === undefined) delete next.status;
      else next.status = clone(written.status);
      return next;
    }
    const next = clone(written);
    if ("status" in def.subresources) {
      if (current.status === undefined) delete next.status;
      else next.status = clone(current.status);
    }
    return next;
  }

  private checkName(def: ResourceDef, obj: KubeObject, namespace: string | undefined, name: string): void {
    const meta = metaOf(obj);
    if (meta.name !== name) {
      throw badRequest(
        `the name of the object (${meta.name ?? ""}) does not match the name on the URL (${name})`,
      );
    }
    if (
      def.namespaced &&
      meta.namespace !== undefined &&
      meta.namespace !== "" &&
      meta.namespace !== namespace
    ) {
      throw badRequest(
        `the namespace of the object (${meta.namespace}) does not match the namespace on the request (${namespace ?? ""})`,
      );
    }
  }

  private commit(def: ResourceDef, current: KubeObject, next: KubeObject, options: WriteOptions): KubeObject {
    normalizeWrite(def, next);
    const meta = metaOf(next);
    const currentMeta = metaOf(current);
    meta.name = currentMeta.name as string;
    if (def.namespaced) meta.namespace = currentMeta.namespace as string;
    else delete meta.namespace;
    meta.uid = currentMeta.uid as string;
    meta.creationTimestamp = currentMeta.creationTimestamp as string;
    if (currentMeta.managedFields === undefined) delete meta.managedFields;
    else meta.managedFields = clone(currentMeta.managedFields);
    recordUpdate(def, current, next, {
      manager: managerName(options.fieldManager, options.userAgent),
      apiVersion: apiVersionOf(def),
      subresource: options.subresource,
    });
    if (options.dryRun) {
      meta.resourceVersion = currentMeta.resourceVersion ?? "";
      return this.dryRunStamp(def, next);
    }
    return this.store.replace(def, next);
  }

  update(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions,
  ): KubeObject {
    const written = clone(this.checkBody(def, body));
    this.checkName(def, written, namespace, name);
    const current = this.get(def, namespace, name);
    const rv = written.metadata?.resourceVersion;
    if (rv === undefined || rv === "") {
      throw invalidObject(def, name, [
        {
          type: "FieldValueInvalid",
          field: "metadata.resourceVersion",
          body: "Invalid value: 0x0: must be specified for an update",
        },
      ]);
    }
    if (rv !== current.metadata?.resourceVersion) throw conflict(def, name, modifiedConflict);
    const next = this.scopeWrite(def, current, written, options.subresource);
    const errors = specErrors(def, next);
    if (errors.length > 0) throw invalidObject(def, name, errors);
    return this.commit(def, current, next, options);
  }

  /** PATCH of every content type. Returns whether server-side apply created the object. */
  patch(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    contentType: string,
    rawBody: string,
    options: WriteOptions & { force: boolean },
  ): { object: KubeObject; created: boolean } {
    const supported = def.custom
      ? [jsonPatchType, mergePatchType, applyPatchType]
      : [jsonPatchType, mergePatchType, strategicMergePatchType, applyPatchType];
    if (!supported.includes(contentType)) throw unsupportedMediaType(contentType, supported);
    if (contentType === applyPatchType) return this.apply(def, namespace, name, rawBody, options);

    let patch: unknown;
    try {
      patch = JSON.parse(rawBody);
    } catch (error) {
      throw badRequest(`error decoding patch: ${(error as Error).message}`);
    }
    const current = this.get(def, namespace, name);
    let patched: unknown;
    if (contentType === jsonPatchType) patched = jsonPatch(current, patch);
    else
      patched = mergePatch(
        current,
        contentType === strategicMergePatchType ? stripStrategicDirectives(patch) : patch,
      );
    if (!isObject(patched)) throw badRequest("the patch produced something that is not an object");
    const written = patched as KubeObject;
    this.checkName(def, written, namespace, name);
    const rv = written.metadata?.resourceVersion;
    if (rv !== undefined && rv !== current.metadata?.resourceVersion)
      throw conflict(def, name, modifiedConflict);
    const next = this.scopeWrite(def, current, written, options.subresource);
    const errors = specErrors(def, next);
    if (errors.length > 0) throw invalidObject(def, name, errors);
    return { object: this.commit(def, current, next, options), created: false };
  }

  private apply(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    rawBody: string,
    options: WriteOptions & { force: boolean },
  ): { object: KubeObject; created: boolean } {
    let parsed: unknown;
    try {
      parsed = parseYaml(rawBody);
    } catch (error) {
      throw badRequest(`error decoding YAML: ${(error as Error).message}`);
    }
    const config = this.checkBody(def, parsed);
    if (config.apiVersion === undefined || config.kind === undefined) {
      throw badRequest(`Object 'Kind' is missing in '${rawBody.slice(0, 200)}'`);
    }
    this.checkName(def, config, namespace, name);
    const manager = options.fieldManager ?? "";
    const current = this.store.get(def, namespace, name);
    const rv = config.metadata?.resourceVersion;
    if (current !== undefined && rv !== undefined && rv !== current.metadata?.resourceVersion) {
      throw conflict(def, name, modifiedConflict);
    }
    const ownership = {
      manager,
      apiVersion: apiVersionOf(def),
      subresource: options.subresource,
      force: options.force,
    };
    if (current === undefined) {
      if (options.subresource !== undefined) throw notFound(def, name);
      if (def.namespaced) this.requireNamespace(namespace ?? "");
      const created = serverSideApply(def, undefined, config, ownership);
      const meta = metaOf(created);
      meta.name = name;
      if (def.namespaced) meta.namespace = namespace ?? "";
      const errors = [...nameErrors(def, name, "metadata.name"), ...specErrors(def, created)];
      if (errors.length > 0) throw invalidObject(def, name, errors);
      for (const key of ["resourceVersion", "creationTimestamp", "generation", "selfLink"]) delete meta[key];
      meta.uid = randomUUID();
      const managed = meta.managedFields;
      applyCreateDefaults(def, created);
      if (managed !== undefined) meta.managedFields = managed;
      normalizeWrite(def, created);
      if (options.dryRun) return { object: this.dryRunStamp(def, created), created: true };
      return { object: this.store.create(def, created), created: true };
    }
    const next = serverSideApply(def, current, config, ownership);
    const errors = specErrors(def, next);
    if (errors.length > 0) throw invalidObject(def, name, errors);
    metaOf(next).resourceVersion = current.metadata?.resourceVersion as string;
    normalizeWrite(def, next);
    if (options.dryRun) return { object: this.dryRunStamp(def, next), created: false };
    return { object: this.store.replace(def, next), created: false };
  }

  private dependentsOf(uid: string): { def: ResourceDef; object: KubeObject }[] {
    return this.store
      .entries()
      .filter(({ object }) => object.metadata?.ownerReferences?.some((r) => r.uid === uid));
  }

  /**
   * Deletes an object (immediately: there are no finalizers or grace periods here) and its dependents
   * per the propagation policy. Returns the object as its last state.
   */
  delete(def: ResourceDef, namespace: string | undefined, name: string, options: DeleteOptions): KubeObject {
    const current = this.get(def, namespace, name);
    const pre = options.preconditions;
    if (pre?.uid !== undefined && pre.uid !== current.metadata?.uid) {
      throw conflict(
        def,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata?.uid ?? ""}`,
      );
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== current.metadata?.resourceVersion) {
      throw conflict(
        def,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata?.resourceVersion ?? ""}`,
      );
    }
    if (options.dryRun) return current;
    const policy: PropagationPolicy =
      options.propagationPolicy ??
      (options.orphanDependents === true
        ? "Orphan"
        : options.orphanDependents === false
          ? "Background"
          : def.orphansByDefault
            ? "Orphan"
            : "Background");
    return this.deleteWithPolicy(def, current, policy);
  }

  private deleteWithPolicy(def: ResourceDef, current: KubeObject, policy: PropagationPolicy): KubeObject {
    const meta = current.metadata ?? {};
    const uid = meta.uid ?? "";
    if (def.group === "" && def.resource === "namespaces") {
      for (const entry of this.store.entries()) {
        if (entry.def.namespaced && entry.object.metadata?.namespace === meta.name) {
          this.removeOne(entry.def, entry.object);
        }
      }
    }
    if (policy === "Foreground") {
      for (const dep of this.dependentsOf(uid)) this.deleteWithPolicy(dep.def, dep.object, "Foreground");
    }
    const last = this.removeOne(def, current);
    if (policy === "Background") {
      for (const dep of this.dependentsOf(uid)) {
        if (
          this.store.get(dep.def, dep.object.metadata?.namespace, dep.object.metadata?.name ?? "") !==
          undefined
        ) {
          this.deleteWithPolicy(dep.def, dep.object, "Background");
        }
      }
    } else if (policy === "Orphan") {
      for (const dep of this.dependentsOf(uid)) {
        const orphan = clone(dep.object);
        const refs = (orphan.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid);
        if (refs.length > 0) metaOf(orphan).ownerReferences = refs;
        else delete metaOf(orphan).ownerReferences;
        this.store.replace(dep.def, orphan);
      }
    }
    return last;
  }

  private removeOne(def: ResourceDef, obj: KubeObject): KubeObject {
    const namespace = obj.metadata?.namespace;
    const name = obj.metadata?.name ?? "";
    if (def.group === "" && def.resource === "pods") this.logs.forgetPod(namespace ?? "", name);
    return this.store.delete(def, namespace, name) ?? obj;
  }

  /** The body DELETE answers with: the object for pods/serviceaccounts/namespaces, else a Success Status. */
  deleteResponse(def: ResourceDef, last: KubeObject): unknown {
    if (def.group === "" && def.resource === "namespaces") {
      const terminating = clone(last);
      metaOf(terminating).deletionTimestamp = timestamp();
      terminating.status = { phase: "Terminating" };
      return terminating;
    }
    if (def.returnsDeletedObject) return last;
    const details: JsonObject = { name: last.metadata?.name ?? "" };
    if (def.group !== "") details.group = def.group;
    details.kind = def.resource;
    details.uid = last.metadata?.uid ?? "";
    return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details };
  }

  /** Puts an object straight into the store for test setup: no validation, defaults or ownership. */
  put(def: ResourceDef, input: KubeObject): KubeObject {
    const obj = clone(input);
    const meta = metaOf(obj);
    if (meta.name === undefined || meta.name === "") {
      throw invalidObject(def, "", [requiredField("metadata.name", "name or generateName is required")]);
    }
    if (def.namespaced && (meta.namespace === undefined || meta.namespace === "")) meta.namespace = "default";
    if (!def.namespaced) delete meta.namespace;
    const existing = this.store.get(def, meta.namespace, meta.name);
    if (existing === undefined) return this.store.create(def, obj);
    return this.store.replace(def, obj);
  }
}
