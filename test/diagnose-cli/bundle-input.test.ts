/**
 * Bundle input with bounded cost (issue 11): only regular files or stdin, a size cap with a flag to
 * raise it, FIFOs and devices refused at once (exit 2), Ctrl-C honoured while a big bundle is read
 * and redacted.
 */
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseByteSize, readBundleInput } from "../../src/diagnose/bundle-input.js";
import { tempDir } from "../agent/support.js";
import { bundleOf, podWith } from "../diagnose/support.js";
import { runRecorded } from "./support.js";

let dir: string;
beforeAll(() => {
  dir = tempDir("bundle-input");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const offline = { env: { KUBECONFIG: "/nonexistent/kubeconfig" } };
const small = JSON.stringify(bundleOf(podWith({ state: { running: {} }, ready: true })));

describe("diagnose --bundle: what is read", () => {
  it("a FIFO is refused at once, exit 2 (it used to hang)", async () => {
    const fifo = join(dir, "bundle.fifo");
    execFileSync("mkfifo", [fifo]);
    const started = performance.now();
    const run = await runRecorded(["diagnose", "--bundle", fifo, "--no-ai"], offline);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("it is a FIFO (named pipe), not a regular file");
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it.each([
    ["/dev/zero", "a character device"],
    ["/dev/null", "a character device"],
    ["/tmp", "a directory"],
  ])("%s is refused, exit 2", async (file, what) => {
    const run = await runRecorded(["diagnose", "--bundle", file, "--no-ai"], offline);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`it is ${what}, not a regular file`);
    expect(run.stderr).toContain("hint:");
  });

  it("a bundle over the size limit is refused before it is read, with the flag that raises it", async () => {
    const file = join(dir, "big.json");
    const log = "2026-12-06T10:00:00Z INFO request completed status=200\n".repeat(100); // 5 KiB
    writeFileSync(
      file,
      JSON.stringify(
        bundleOf(podWith({ state: { running: {} }, ready: true }), {
          logs: [{ container: "app", previous: false, text: log }],
        }),
      ),
    );
    const run = await runRecorded(
      ["diagnose", "--bundle", file, "--no-ai", "--max-bundle-size", "1Ki"],
      offline,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is [\d.]+ KiB, over the limit of 1 KiB/);
    // A limit that surely holds the file, rounded up to whole Mi so it can be pasted as is.
    expect(run.stderr).toContain("--max-bundle-size 1Mi");
    const raised = await runRecorded(
      ["diagnose", "--bundle", file, "--no-ai", "--max-bundle-size", "1Mi"],
      offline,
    );
    expect(raised.code).toBe(0);
    expect(raised.stdout).toContain("Healthy");
  });

  it.each(["lots", "-1", "0", "10Pi", "1Gi"])("--max-bundle-size %s is a usage error", async (size) => {
    const run = await runRecorded(["diagnose", "--bundle", "x.json", "--max-bundle-size", size], offline);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--max-bundle-size");
  });

  it("--max-bundle-size without --bundle is a usage error", async () => {
    const run = await runRecorded(["diagnose", "some-pod", "--max-bundle-size", "1Mi"], offline);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--max-bundle-size applies to --bundle only");
  });

  it("parses sizes in binary and decimal units", () => {
    expect(parseByteSize("256Mi")).toBe(256 * 1024 * 1024);
    expect(parseByteSize("300MB")).toBe(300_000_000);
    expect(parseByteSize("512")).toBe(512);
  });
});

describe("--bundle - reads stdin, with the same cap", () => {
  it("reads a bundle piped in", async () => {
    const text = await readBundleInput("-", { stdin: Readable.from([Buffer.from(small)]) });
    expect(JSON.parse(text).kind).toBe("EvidenceBundle");
  });

  it("stops reading a stream that grows past the cap", async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced += 64 * 1024;
        this.push(Buffer.alloc(64 * 1024, 0x20));
      },
    });
    await expect(readBundleInput("-", { stdin: endless, maxBytes: 1024 * 1024 })).rejects.toThrow(
      /more than 1 MiB, over the limit of 1 MiB/,
    );
    expect(produced).toBeLessThan(4 * 1024 * 1024);
  });

  it("refuses a terminal", async () => {
    const tty = Object.assign(Readable.from([]), { isTTY: true });
    await expect(readBundleInput("-", { stdin: tty })).rejects.toMatchObject({ exitCode: 2 });
  });
});

describe("signals during CPU-bound work", () => {
  it("Ctrl-C while a 100 MB bundle is redacted ends the run within a second, exit 130", async () => {
    const file = join(dir, "huge.json");
    const line =
      "2026-12-06T10:00:00Z INFO password=Hunter2! jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl\n";
    const bundle = bundleOf(podWith({ state: { running: {} }, ready: true }), {
      logs: [
        {
          container: "app",
          previous: false,
          text: line.repeat(Math.ceil((100 * 1024 * 1024) / line.length)),
        },
      ],
    });
    writeFileSync(file, JSON.stringify(bundle));
    const controller = new AbortController();
    let abortedAt = 0;
    const run = runRecorded(["diagnose", "--bundle", file, "--no-ai"], {
      ...offline,
      signal: controller.signal,
    });
    // Abort once the bundle is being read or redacted (100 MB take several seconds of redaction).
    const timer = setInterval(() => {
      if (abortedAt === 0) {
        abortedAt = performance.now();
        controller.abort();
      }
    }, 1500);
    const result = await run;
    clearInterval(timer);
    const ended = performance.now();
    expect(result.code).toBe(130);
    expect(abortedAt).toBeGreaterThan(0);
    expect(ended - abortedAt).toBeLessThan(1000);
  }, 60_000);
});
