/**
 * Benchmark of redaction on hostile-sized input: `npx tsx bench/redact.ts [megabytes]`.
 *
 * Builds a bundle with a token-heavy log (default 200 MB: every line carries a secret of some
 * format — JWTs, AWS ids, GitHub tokens, URL passwords, `password=` pairs, cookies, `-p` flags —
 * plus lines echoing env values) and 1,000 env vars with secret names, then redacts it the way
 * the CLI does (redactBundleAsync, in pieces). Prints the time, the peak resident memory and
 * whether any planted secret survived. Target (issue 11): under 5 s and under 1 GB.
 */
import { redactBundleAsync } from "../src/diagnose/redact.js";
import type { EvidenceBundle } from "../src/diagnose/types.js";

const megabytes = Number(process.argv[2] ?? 200);
const ENV_VARS = 1000;

const env = Array.from({ length: ENV_VARS }, (_, i) => ({
  name: `SERVICE_${i}_API_TOKEN`,
  value: `Sv${i.toString(36)}Tk-${(i * 7919).toString(16)}-q${i}`,
}));

const templates: ((i: number) => string)[] = [
  (i) =>
    `2026-12-06T10:00:00Z INFO auth ok jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1${i}In0.c2lnbmF0dXJlX3Zh${i}bHVl`,
  (i) =>
    `2026-12-06T10:00:01Z DEBUG s3 client key=AKIA${(100000000000 + i).toString(36).toUpperCase().padEnd(16, "Q").slice(0, 16)} region=eu-west-1`,
  (i) =>
    `2026-12-06T10:00:02Z WARN retry git clone https://x-access-token:ghp_${String(i).padStart(36, "a")}@github.com/acme/app`,
  (i) => `2026-12-06T10:00:03Z INFO connecting postgres://app:p/ss+${i}@db.shop.svc:5432/app`,
  (i) => `2026-12-06T10:00:04Z ERROR login failed password=Hunter${i}! user=alice status=401`,
  (i) => `2026-12-06T10:00:05Z DEBUG Cookie: theme=dark; sessionid=S${i}xyzABC; csrftoken=c${i}`,
  (i) => `2026-12-06T10:00:06Z INFO exec mysql -uroot -pRoot${i}Pw -h db -e 'select 1'`,
  (i) => `2026-12-06T10:00:07Z INFO loaded token ${env[i % ENV_VARS]?.value} for service ${i % ENV_VARS}`,
  (i) => `2026-12-06T10:00:08Z INFO request completed status=200 path=/api/v1/items/${i} dur=12ms`,
];

/** About 1 MiB of distinct lines, repeated to the size asked (cheap to build, flat in memory). */
function buildLog(bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < 1024 * 1024; i++) {
    const line = `${templates[i % templates.length]?.(i)}\n`;
    parts.push(line);
    size += line.length;
  }
  const block = parts.join("");
  return block.repeat(Math.max(1, Math.round(bytes / block.length)));
}

const log = buildLog(megabytes * 1024 * 1024);
const bundle: EvidenceBundle = {
  apiVersion: "sre-lab/v1",
  kind: "EvidenceBundle",
  metadata: { collectedAt: "2026-12-06T10:00:00Z" },
  pod: {
    kind: "Pod",
    metadata: { name: "app-1", namespace: "shop" },
    spec: { containers: [{ name: "app", image: "ghcr.io/acme/app:1.0.0", env }] },
    status: { phase: "Running" },
  },
  events: [],
  logs: [{ container: "app", previous: false, text: log }],
};
const rssBefore = process.memoryUsage().rss;
const started = performance.now();
const redacted = await redactBundleAsync(bundle);
const elapsed = performance.now() - started;
const peakMb = process.resourceUsage().maxRSS / 1024; // maxRSS is in kilobytes

const out = redacted.logs[0]?.text ?? "";
const leaks = [
  /eyJhbGciOiJIUzI1NiJ9\.eyJ/.test(out),
  /AKIA[A-Z0-9]{16}/.test(out),
  /ghp_a/.test(out),
  /p\/ss\+/.test(out),
  /Hunter\d/.test(out),
  /sessionid=S\d/.test(out),
  /-pRoot/.test(out),
  out.includes(env[7]?.value ?? "?"),
].filter(Boolean).length;

console.log(
  [
    `log ${(log.length / 1024 / 1024).toFixed(0)} MB, ${ENV_VARS} secret env vars`,
    `redacted in ${(elapsed / 1000).toFixed(2)} s (${(log.length / 1024 / 1024 / (elapsed / 1000)).toFixed(0)} MB/s)`,
    `peak RSS ${peakMb.toFixed(0)} MB (${(rssBefore / 1024 / 1024).toFixed(0)} MB before redaction)`,
    `planted secret kinds surviving: ${leaks}`,
    `target: < 5 s and < 1024 MB: ${elapsed < 5000 && peakMb < 1024 && leaks === 0 ? "met" : "NOT met"}`,
  ].join("\n"),
);
