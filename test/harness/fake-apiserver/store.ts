/**
 * The object store: one map of objects, one global resourceVersion counter (as etcd has), a bounded
 * event history that watches resume from, and synchronous listeners. Everything handed out is a
 * deep copy, so callers can never mutate stored state by accident.
 *
 * The store does no validation and no authorization; the HTTP layer and the test-facing API do that.
 */
import { randomUUID } from "node:crypto";
import type { KubeObject } from "./objects.js";
import { clone, deepEqual, metaOf, timestamp } from "./objects.js";
import type { ResourceDef } from "./resources.js";
import { apiVersionOf } from "./resources.js";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  readonly type: EventType;
  readonly def: ResourceDef;
  /** The object after the change (for DELETED: the last state, carrying the deletion's resourceVersion). */
  readonly object: KubeObject;
  /** The object before the change, for MODIFIED and DELETED. */
  readonly previous: KubeObject | undefined;
  readonly resourceVersion: number;
}

export type StoreListener = (event: StoreEvent) => void;

function objectKey(def: ResourceDef, namespace: string | undefined, name: string): string {
  return `${def.group}/${def.resource}/${def.namespaced ? (namespace ?? "") : ""}/${name}`;
}

/** Fields outside metadata and status: a change there is a spec change and bumps generation. */
function specPart(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

export class ObjectStore {
  private readonly objects = new Map<string, { def: ResourceDef; object: KubeObject }>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();
  private revision: number;
  /** Highest resourceVersion whose event was dropped from history; watches from before it get 410. */
  private compactedThrough = 0;

  constructor(
    private readonly historyLimit: number,
    initialResourceVersion = 1000,
  ) {
    this.revision = initialResourceVersion;
  }

  get resourceVersion(): number {
    return this.revision;
  }

  get compactedResourceVersion(): number {
    return this.compactedThrough;
  }

  get(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.objects.get(objectKey(def, namespace, name));
    return found === undefined ? undefined : clone(found.object);
  }

  /** Objects of one resource, optionally in one namespace, ordered by namespace then name like etcd keys. */
  list(def: ResourceDef, namespace?: string): KubeObject[] {
    const prefix =
      def.namespaced && namespace !== undefined
        ? `${def.group}/${def.resource}/${namespace}/`
        : `${def.group}/${def.resource}/`;
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    return keys.flatMap((k) => {
      const found = this.objects.get(k);
      return found === undefined ? [] : [clone(found.object)];
    });
  }

  /** Every stored object with its definition, for garbage collection and namespace cleanup. */
  entries(): { def: ResourceDef; object: KubeObject }[] {
    return [...this.objects.values()].map(({ def, object }) => ({ def, object: clone(object) }));
  }

  /** Stores a new object, stamping uid, resourceVersion, creationTimestamp and generation. */
  create(def: ResourceDef, input: KubeObject): KubeObject {
    const obj = clone(input);
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    const meta = metaOf(obj);
    if (meta.name === undefined) throw new Error("store.create needs metadata.name");
    const key = objectKey(def, meta.namespace, meta.name);
    if (this.objects.has(key)) throw new Error(`store.create: ${key} exists`);
    meta.uid = meta.uid ?? randomUUID();
    meta.resourceVersion = String(++this.revision);
    meta.creationTimestamp = timestamp();
    meta.generation = 1;
    this.objects.set(key, { def, object: obj });
    this.record({
      type: "ADDED",
      def,
      object: clone(obj),
      previous: undefined,
      resourceVersion: this.revision,
    });
    return clone(obj);
  }

  /**
   * Replaces an existing object. Identity fields (uid, creationTimestamp) are kept from the stored
   * object; generation bumps when anything outside metadata and status changed. A write that changes
   * nothing is a no-op and keeps the resourceVersion, as the real storage layer does.
   */
  replace(def: ResourceDef, input: KubeObject): KubeObject {
    const meta = metaOf(input);
    const key = objectKey(def, meta.namespace, meta.name ?? "");
    const current = this.objects.get(key)?.object;
    if (current === undefined) throw new Error(`store.replace: ${key} does not exist`);
    const next = clone(input);
    next.apiVersion = apiVersionOf(def);
    next.kind = def.kind;
    const nextMeta = metaOf(next);
    const currentMeta = metaOf(current);
    nextMeta.uid = currentMeta.uid as string;
    nextMeta.creationTimestamp = currentMeta.creationTimestamp as string;
    nextMeta.resourceVersion = currentMeta.resourceVersion as string;
    nextMeta.generation = currentMeta.generation ?? 1;
    if (deepEqual(withoutManagedFieldTimes(next), withoutManagedFieldTimes(current))) return clone(current);
    if (!deepEqual(specPart(next), specPart(current)))
      nextMeta.generation = (currentMeta.generation ?? 0) + 1;
    nextMeta.resourceVersion = String(++this.revision);
    this.objects.set(key, { def, object: next });
    this.record({
      type: "MODIFIED",
      def,
      object: clone(next),
      previous: clone(current),
      resourceVersion: this.revision,
    });
    return clone(next);
  }

  /** Removes an object; the DELETED event carries the deletion's resourceVersion. */
  delete(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = objectKey(def, namespace, name);
    const current = this.objects.get(key)?.object;
    if (current === undefined) return undefined;
    this.objects.delete(key);
    const last = clone(current);
    metaOf(last).resourceVersion = String(++this.revision);
    this.record({
      type: "DELETED",
      def,
      object: clone(last),
      previous: clone(current),
      resourceVersion: this.revision,
    });
    return last;
  }

  /** Events after `resourceVersion`, oldest first. */
  eventsSince(resourceVersion: number): StoreEvent[] {
    return this.history.filter((e) => e.resourceVersion > resourceVersion);
  }

  /** Drops all retained history, so any watch from an older resourceVersion gets 410 Expired. */
  compact(): void {
    this.compactedThrough = this.revision;
    this.history.length = 0;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(event: StoreEvent): void {
    this.history.push(event);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift();
      if (dropped !== undefined) this.compactedThrough = dropped.resourceVersion;
    }
    for (const listener of [...this.listeners]) listener(event);
  }
}

function withoutManagedFieldTimes(obj: KubeObject): KubeObject {
  const copy = clone(obj);
  for (const entry of copy.metadata?.managedFields ?? []) delete entry.time;
  return copy;
}
