/**
 * Watch streams as the apiserver's watch cache serves them: HTTP 200 with chunked, newline-delimited
 * `{"type":…,"object":…}` events.
 *
 * - resourceVersion unset or "0": synthetic ADDED events for the current objects, then live events.
 * - resourceVersion N: every retained event after N; older than the retained history → one ERROR event
 *   carrying a 410 Expired Status (`too old resource version: N (M)`), as the real cacher does.
 * - label and field selectors filter events; an object that stops matching arrives as DELETED, one that
 *   starts matching as ADDED.
 * - allowWatchBookmarks: BOOKMARK events on an interval, and after the initial events when
 *   sendInitialEvents=true (annotated `k8s.io/initial-events-end`).
 * - timeoutSeconds ends the stream cleanly.
 */
import type { ServerResponse } from "node:http";
import { gone } from "./errors.js";
import type { KubeObject } from "./objects.js";
import { clone, metaOf } from "./objects.js";
import type { ResourceDef } from "./resources.js";
import { apiVersionOf } from "./resources.js";
import type { Selection } from "./selectors.js";
import { selects } from "./selectors.js";
import type { EventType, ObjectStore, StoreEvent } from "./store.js";

export interface WatchRequest {
  def: ResourceDef;
  namespace: string | undefined;
  selection: Selection;
  resourceVersion: number | undefined;
  sendInitialEvents: boolean | undefined;
  allowBookmarks: boolean;
  timeoutSeconds: number | undefined;
  /** Turns each object into what the client asked for (an object, or a Table row). */
  render: (object: KubeObject, type: WatchEventType) => unknown;
}

export type WatchEventType = EventType | "BOOKMARK" | "ERROR";

export class WatchHub {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly store: ObjectStore,
    private readonly bookmarkIntervalMs: number,
  ) {}

  serve(request: WatchRequest, res: ServerResponse): void {
    const { def, namespace, selection } = request;
    res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
    res.flushHeaders();
    const send = (type: WatchEventType, object: unknown): void => {
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const inScope = (obj: KubeObject): boolean =>
      !def.namespaced || namespace === undefined || obj.metadata?.namespace === namespace;
    const matches = (obj: KubeObject | undefined): boolean =>
      obj !== undefined && inScope(obj) && selects(def, selection, obj);

    const deliver = (event: StoreEvent): void => {
      if (event.def !== def) return;
      const now = matches(event.object);
      const before = matches(event.previous);
      if (event.type === "ADDED" && now) send("ADDED", request.render(event.object, "ADDED"));
      else if (event.type === "DELETED" && before) send("DELETED", request.render(event.object, "DELETED"));
      else if (event.type === "MODIFIED") {
        if (now && before) send("MODIFIED", request.render(event.object, "MODIFIED"));
        else if (now) send("ADDED", request.render(event.object, "ADDED"));
        else if (before && event.previous !== undefined) {
          const last = clone(event.previous);
          metaOf(last).resourceVersion = String(event.resourceVersion);
          send("DELETED", request.render(last, "DELETED"));
        }
      }
    };

    const bookmark = (initialEventsEnd: boolean): void => {
      const metadata: Record<string, unknown> = { resourceVersion: String(this.store.resourceVersion) };
      if (initialEventsEnd) metadata.annotations = { "k8s.io/initial-events-end": "true" };
      send("BOOKMARK", { kind: def.kind, apiVersion: apiVersionOf(def), metadata });
    };

    const rv = request.resourceVersion;
    if (rv !== undefined && rv !== 0 && rv < this.store.compactedResourceVersion) {
      send("ERROR", gone(`too old resource version: ${rv} (${this.store.compactedResourceVersion})`).status);
      res.end();
      return;
    }

    const initial = rv === undefined || rv === 0 || request.sendInitialEvents === true;
    if (initial) {
      for (const obj of this.store.list(def, namespace)) {
        if (matches(obj)) send("ADDED", request.render(obj, "ADDED"));
      }
      if (request.sendInitialEvents === true && request.allowBookmarks) bookmark(true);
    } else {
      for (const event of this.store.eventsSince(rv)) deliver(event);
    }

    const unsubscribe = this.store.subscribe(deliver);
    const timers: NodeJS.Timeout[] = [];
    const stop = (): void => {
      unsubscribe();
      for (const t of timers) clearTimeout(t);
      this.open.delete(stop);
      if (!res.writableEnded) res.end();
    };
    this.open.add(stop);
    res.on("close", stop);
    if (request.allowBookmarks) {
      const interval = setInterval(() => bookmark(false), this.bookmarkIntervalMs);
      interval.unref();
      timers.push(interval);
    }
    if (request.timeoutSeconds !== undefined) {
      const timeout = setTimeout(stop, request.timeoutSeconds * 1000);
      timeout.unref();
      timers.push(timeout);
    }
  }

  /** Ends every open watch (server shutdown). */
  closeAll(): void {
    for (const stop of [...this.open]) stop();
  }
}
