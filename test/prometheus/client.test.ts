/** The one Prometheus client against a loopback server answering as Prometheus does (docs/versions.md). */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { InterruptedError } from "../../src/core/errors.js";
import { createPrometheusClient, escapeLabelValue, PrometheusError } from "../../src/prometheus/client.js";

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** Answers every request with `status` and `body`; records the queries. */
async function prometheus(status: number, body: string | (() => string), delayMs = 0) {
  const queries: string[] = [];
  server = createServer((req, res) => {
    queries.push(new URL(req.url ?? "/", "http://x").searchParams.get("query") ?? "");
    setTimeout(() => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(typeof body === "string" ? body : body());
    }, delayMs);
  });
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, queries };
}

const vector = (result: unknown[]) =>
  JSON.stringify({ status: "success", data: { resultType: "vector", result } });

describe("the Prometheus client", () => {
  it("returns an instant vector's samples with their labels, leaving out NaN", async () => {
    const { url, queries } = await prometheus(
      200,
      vector([
        { metric: { container: "app" }, value: [1_700_000_000.1, "268435456"] },
        { metric: { container: "sidecar" }, value: [1_700_000_000.1, "NaN"] },
      ]),
    );
    const samples = await createPrometheusClient({ url: `${url}/` }).query('up{pod="a"}');
    expect(samples).toEqual([{ labels: { container: "app" }, value: 268_435_456 }]);
    expect(queries).toEqual(['up{pod="a"}']);
  });

  it("an empty vector is no samples, not an error", async () => {
    const { url } = await prometheus(200, vector([]));
    expect(await createPrometheusClient({ url }).query("up")).toEqual([]);
  });

  it("a scalar is one sample without labels", async () => {
    const { url } = await prometheus(
      200,
      JSON.stringify({ status: "success", data: { resultType: "scalar", result: [1, "2"] } }),
    );
    expect(await createPrometheusClient({ url }).query("1+1")).toEqual([{ labels: {}, value: 2 }]);
  });

  it("says why Prometheus refused, with its errorType (400 bad_data)", async () => {
    const { url } = await prometheus(
      400,
      JSON.stringify({ status: "error", errorType: "bad_data", error: 'parse error: unexpected "}"' }),
    );
    const failure = createPrometheusClient({ url }).query("up{");
    await expect(failure).rejects.toThrow(PrometheusError);
    await expect(failure).rejects.toThrow(
      `Prometheus at ${url} refused the query: bad_data: parse error: unexpected "}"`,
    );
  });

  it("a proxy's page is not Prometheus answering", async () => {
    const { url } = await prometheus(502, "<html>Bad Gateway</html>");
    await expect(createPrometheusClient({ url }).query("up")).rejects.toThrow(
      `Prometheus at ${url} answered HTTP 502 without JSON`,
    );
  });

  it("refuses an answer larger than its bound instead of reading it", async () => {
    const { url } = await prometheus(200, () =>
      vector([{ metric: { x: "y".repeat(4096) }, value: [1, "1"] }]),
    );
    await expect(createPrometheusClient({ url, maxBodyBytes: 1024 }).query("up")).rejects.toThrow(
      `Prometheus at ${url} answered more than 1 KiB; the answer was not read`,
    );
  });

  it("a matrix where an instant vector was expected is an error, not silence", async () => {
    const { url } = await prometheus(
      200,
      JSON.stringify({ status: "success", data: { resultType: "matrix", result: [] } }),
    );
    await expect(createPrometheusClient({ url }).query("up[5m]")).rejects.toThrow(
      "answered a matrix result where an instant vector was expected",
    );
  });

  it("not answering in time, and not answering at all", async () => {
    const slow = await prometheus(200, vector([]), 2_000);
    await expect(createPrometheusClient({ url: slow.url, timeoutMs: 100 }).query("up")).rejects.toThrow(
      `Prometheus at ${slow.url} is not answering (no answer in time)`,
    );
    const url = slow.url;
    await new Promise((r) => server?.close(r));
    server?.closeAllConnections();
    server = undefined;
    await expect(createPrometheusClient({ url }).query("up")).rejects.toThrow(
      `Prometheus at ${url} is not answering (ECONNREFUSED)`,
    );
  });

  it("Ctrl-C while waiting is InterruptedError", async () => {
    const { url } = await prometheus(200, vector([]), 2_000);
    const controller = new AbortController();
    const query = createPrometheusClient({ url, signal: controller.signal }).query("up");
    setTimeout(() => controller.abort(), 50);
    await expect(query).rejects.toBeInstanceOf(InterruptedError);
    server?.closeAllConnections();
  });

  it("escapes label values as PromQL string literals", () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });
});
