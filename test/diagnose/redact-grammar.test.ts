/**
 * The redaction grammar (issue 11): token formats wherever they occur, argv forms, cookies,
 * headers, URL passwords, secret env names — and the allow-list of evidence that must survive.
 * Property tests use a fixed seed so a failure is reproducible.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyze } from "../../src/diagnose/analyze/index.js";
import { serializeBundle } from "../../src/diagnose/bundle.js";
import {
  isSecretName,
  REDACTED,
  redactArgs,
  redactBundle,
  redactBundleAsync,
  redactText,
} from "../../src/diagnose/redact.js";
import type { EvidenceBundle } from "../../src/diagnose/types.js";
import { bundleOf, diagnose, fixtureBundle, fixtureFiles, podEvent, podWith } from "./support.js";

const SEED = 20261206;

describe("credentials in argv forms, cookies, headers and URLs", () => {
  it.each([
    ["mysql -h db -uroot -pS3cr3t -e 'select 1'", "mysql -h db -uroot -p[REDACTED] -e 'select 1'"],
    ["mysqldump -p hunter2pass shop", "mysqldump -p [REDACTED] shop"],
    ["mysql -pXyZ_glued-token!9 --host db", "mysql -p[REDACTED] --host db"],
    ["curl -u admin:s3cr3t https://api", "curl -u admin:[REDACTED] https://api"],
    ["curl -uadmin:s3cr3t https://api", "curl -uadmin:[REDACTED] https://api"],
    ["curl --user deploy:pa55:word https://api", "curl --user deploy:[REDACTED] https://api"],
    ["run --password hunter2 --user bob", "run --password [REDACTED] --user bob"],
    ["run --db-password=hunter2 --user bob", "run --db-password=[REDACTED] --user bob"],
    [
      "Cookie: theme=dark; session=xyz123; csrftoken=abcdef",
      "Cookie: theme=[REDACTED]; session=[REDACTED]; csrftoken=[REDACTED]",
    ],
    ["Set-Cookie: sid=abc123; Path=/; HttpOnly", "Set-Cookie: sid=[REDACTED]; Path=/; HttpOnly"],
    ["X-Api-Key: abc123def", "X-Api-Key: [REDACTED]"],
    ["curl -H 'X-Auth-Token: t0k3n-value' x", "curl -H 'X-Auth-Token: [REDACTED]' x"],
    ["postgres://app:ab/cd+ef==@db:5432/app", "postgres://app:[REDACTED]@db:5432/app"],
    ["https://user:p@ss/w@rd@host.example/path?x=1", "https://user:[REDACTED]@host.example/path?x=1"],
    ["amqp://guest:gu/est@rabbit", "amqp://guest:[REDACTED]@rabbit"],
  ])("%j", (input, output) => {
    expect(redactText(input)).toBe(output);
    expect(redactText(output)).toBe(output);
  });

  it("separate argv elements: -p VALUE, -u user:VALUE, --password VALUE", () => {
    expect(
      redactArgs(["mysql", "-uroot", "-p", "S3cr3t", "-u", "bob:pw1234", "--password", "x1", "-p", "3306"]),
    ).toEqual([
      "mysql",
      "-uroot",
      "-p",
      REDACTED,
      "-u",
      `bob:${REDACTED}`,
      "--password",
      REDACTED,
      "-p",
      "3306",
    ]);
  });

  it.each([
    "docker run -p 8080:80 -p 127.0.0.1:9090:9090 img",
    "mkdir -p /var/lib/app && find / -path /proc -prune -o -print",
    `kubectl -n shop patch deployment/api --type=json -p='[{"op":"replace","path":"/spec/replicas","value":2}]'`,
    `kubectl -n shop patch deployment/api -p '{"spec":{"template":{}}}'`,
    "docker run -u 1000:1000 img",
    "curl -u alice https://api",
  ])("leaves flags that are not credentials alone: %j", (input) => {
    expect(redactText(input)).toBe(input);
  });
});

describe("secret env names", () => {
  it.each([
    "DB_PW",
    "LDAP_BIND_PW",
    "GITHUB_PAT",
    "STRIPE_SK",
    "WALLET_SEED",
    "MNEMONIC",
    "DB_PASSWORD",
    "PGPASSWORD",
    "API_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "SESSION_SECRET",
    "CLIENT_CREDENTIALS",
  ])("%s is secret", (name) => expect(isSecretName(name)).toBe(true));
  it.each(["PATH", "DISK_SIZE", "TASK_ID", "PORT", "LOG_LEVEL", "PATTERN", "AUTHOR_NAME", "BYPASS_CACHE"])(
    "%s is not",
    (name) => expect(isSecretName(name)).toBe(false),
  );

  it("a secret env value is redacted in the spec and wherever a log echoes it", () => {
    const pod = podWith({}, { env: [{ name: "LDAP_BIND_PW", value: "bind-Pw-7731" }] });
    const bundle = bundleOf(pod, {
      logs: [{ container: "app", previous: false, text: "binding with bind-Pw-7731 failed\n" }],
    });
    const out = serializeBundle(bundle);
    expect(out).not.toContain("bind-Pw-7731");
    expect(out).toContain("binding with [REDACTED] failed");
  });

  it("an address under a secret-looking name stays evidence unless it carries a credential", () => {
    const env = [
      { name: "SESSION_CACHE_URL", value: "redis://session-cache:6379/0" },
      { name: "AUTH_SERVER_HOST", value: "auth.shop.svc.cluster.local:8443" },
      { name: "SLACK_WEBHOOK_URL", value: "https://hooks.slack.com/services/T0/B0/q8Xz1Vb4Nm7Kp2Ls9Dw3Rt6Y" },
      { name: "SESSION_STORE_URL", value: "redis://:s3ss-Pw-991@session-store:6379/0" },
    ];
    const pod = podWith({}, { env });
    const bundle = bundleOf(pod, {
      logs: [
        {
          container: "app",
          previous: false,
          text: "Error 111 connecting to session-cache:6379. Connection refused.\n",
        },
      ],
    });
    const out = serializeBundle(bundle);
    expect(out).toContain("redis://session-cache:6379/0");
    expect(out).toContain("auth.shop.svc.cluster.local:8443");
    expect(out).toContain("Error 111 connecting to session-cache:6379. Connection refused.");
    expect(out).not.toContain("q8Xz1Vb4Nm7Kp2Ls9Dw3Rt6Y");
    expect(out).not.toContain("s3ss-Pw-991");
  });
});

describe("never redacted: the evidence", () => {
  it.each([
    "TokenExpiredError: jwt expired",
    "jsonwebtoken.TokenExpiredError: jwt expired at 2025-06-10T08:30:00Z",
    "KeyError: 'DATABASE_URL'",
    "InvalidTokenException: token signature mismatch",
    "PasswordResetError: user not found",
    'Error: secret "db-creds" not found',
    "couldn't find key password in Secret shop/db-creds",
    "spec.containers[app].resources.limits.memory: 256Mi (requests.memory: 128Mi)",
    "lastState.terminated: reason=OOMKilled exitCode=137",
    "image ghcr.io/acme/app@sha256:7ec16058dc09e18ae77b7e64776ac3f9c2fe3548920fa659bb80327b2c40a275",
    "open /etc/tls/private/tls.key: no such file or directory",
    "secretName: db-creds",
    "token_ttl=3600 session_timeout=30m key_file=/etc/keys/signing.pem",
    "task-runner-deployment-abcdefghijklmnop and disk-usage-skew-monitoring-abc",
  ])("%j", (input) => {
    expect(redactText(input)).toBe(input);
  });

  it("a secret-named env var that names a Secret keeps the name: the ConfigMissing fix still names it", () => {
    const pod = podWith(
      {
        state: {
          waiting: { reason: "CreateContainerConfigError", message: 'secret "db-creds" not found' },
        },
      },
      { env: [{ name: "DB_SECRET_NAME", value: "db-creds" }] },
    );
    const bundle = bundleOf(pod);
    const [raw] = analyze(bundle);
    const [redacted] = analyze(redactBundle(bundle));
    expect(redacted?.code).toBe("ConfigMissing");
    expect(redacted?.remediation).toBe(raw?.remediation);
    expect(redacted?.remediation).toContain("db-creds");
    expect(redacted?.evidence.join("\n")).toContain('secret "db-creds" not found');
  });

  it("a secret-named env var holding a path or a quantity is not scrubbed from the evidence", () => {
    const pod = podWith(
      {
        lastState: { terminated: { reason: "OOMKilled", exitCode: 137 } },
        restartCount: 3,
        state: { waiting: { reason: "CrashLoopBackOff" } },
      },
      {
        env: [
          { name: "TLS_KEY_FILE", value: "/etc/tls/private/tls.key" },
          { name: "SESSION_CACHE_LIMIT", value: "1024Mi" },
        ],
        resources: { limits: { memory: "1024Mi" } },
      },
    );
    const bundle = bundleOf(pod, {
      logs: [{ container: "app", previous: true, text: "loading /etc/tls/private/tls.key\nstarted\n" }],
    });
    const [raw] = analyze(bundle);
    const redactedBundle = redactBundle(bundle);
    const [redacted] = analyze(redactedBundle);
    expect(redacted?.code).toBe("OOMKilled");
    expect(redacted?.summary).toBe(raw?.summary);
    expect(redacted?.remediation).toBe(raw?.remediation);
    expect(redacted?.summary).toContain("1024Mi");
    expect(serializeBundle(redactedBundle)).toContain("loading /etc/tls/private/tls.key");
  });

  it("no fixture's root cause, summary or fix changes because of redaction", () => {
    for (const file of fixtureFiles()) {
      const bundle = fixtureBundle(file);
      const raw = analyze(bundle);
      const redacted = analyze(redactBundle(bundle));
      expect(
        redacted.map((f) => f.code),
        file,
      ).toEqual(raw.map((f) => f.code));
      if (file !== "secrets-everywhere.json")
        expect(redacted[0]?.remediation, file).toBe(raw[0]?.remediation);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Properties: every named token format, in random surroundings and every placement.

const chars = (alphabet: string, min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max });
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const ALNUM = UPPER + LOWER + DIGITS;
const URLSAFE = `${ALNUM}_-`;

/** One generator per named format (real prefixes, random bodies). */
const TOKENS: Record<string, fc.Arbitrary<string>> = {
  aws: chars(`${UPPER}234567`, 16, 16).map((b) => `AKIA${b}`),
  github: chars(ALNUM, 36, 36).map((b) => `ghp_${b}`),
  gitlab: chars(URLSAFE, 20, 20).map((b) => `glpat-${b}`),
  slack: fc
    .tuple(chars(DIGITS, 12, 12), chars(DIGITS, 13, 13), chars(ALNUM, 24, 24))
    .map(([a, b, c]) => `xoxb-${a}-${b}-${c}`),
  stripe: chars(ALNUM, 24, 99).map((b) => `sk_live_${b}`),
  google: chars(URLSAFE, 35, 35).map((b) => `AIza${b}`),
  npm: chars(ALNUM, 36, 36).map((b) => `npm_${b}`),
  jwt: fc
    .tuple(chars(URLSAFE, 10, 40), chars(URLSAFE, 10, 60), chars(URLSAFE, 16, 43))
    .map(([h, p, s]) => `eyJ${h}.eyJ${p}.${s}`),
  sendgrid: fc.tuple(chars(URLSAFE, 22, 22), chars(URLSAFE, 43, 43)).map(([a, b]) => `SG.${a}.${b}`),
  vault: chars(ALNUM, 24, 90).map((b) => `hvs.Ab1${b}`),
  pypi: chars(URLSAFE, 50, 120).map((b) => `pypi-AgEIcHlwaS5vcmc${b}`),
};

/** What may touch a token: word characters, punctuation, quotes, nothing. */
const glue = chars(`aZ9_-./=:"' (),;`, 0, 4);

/** Where a token can sit in a bundle. */
const PLACEMENTS = [
  "log",
  "event",
  "termination",
  "waiting",
  "env",
  "args",
  "annotation",
  "node",
  "condition",
] as const;
type Placement = (typeof PLACEMENTS)[number];

function bundleWith(text: string, placement: Placement): EvidenceBundle {
  const terminated: Record<string, unknown> = { reason: "Error", exitCode: 1 };
  if (placement === "termination") terminated.message = text;
  const waiting: Record<string, unknown> = { reason: "CrashLoopBackOff" };
  if (placement === "waiting") waiting.message = text;
  const pod = podWith(
    { state: { waiting }, lastState: { terminated }, restartCount: 4 },
    {
      ...(placement === "env" ? { env: [{ name: "EXTRA_OPTS", value: text }] } : {}),
      ...(placement === "args" ? { args: ["--listen", ":8080", text] } : {}),
    },
    placement === "condition"
      ? { conditions: [{ type: "Ready", status: "False", reason: "ContainersNotReady", message: text }] }
      : {},
  );
  if (placement === "annotation")
    (pod.metadata as Record<string, unknown>).annotations = { "example.com/note": text };
  return bundleOf(pod, {
    events: placement === "event" ? [podEvent("BackOff", `Back-off restarting: ${text}`)] : [],
    logs: [
      {
        container: "app",
        previous: true,
        text:
          placement === "log"
            ? `starting\n${text}\nTraceback (most recent call last):\nRuntimeError: ${text}\n`
            : "x\n",
      },
    ],
    ...(placement === "node"
      ? {
          node: {
            kind: "Node",
            metadata: { name: "kind-worker" },
            status: { conditions: [{ type: "Ready", status: "True", message: text }] },
          },
        }
      : {}),
  });
}

/** Everything a user or the model can see of a bundle: saved (JSON, YAML), findings, prompt. */
function everyOutput(bundle: EvidenceBundle): string {
  const redacted = redactBundle(bundle);
  const { findings, content } = diagnose(redacted);
  return [
    serializeBundle(bundle),
    serializeBundle(bundle, { format: "yaml" }),
    JSON.stringify(findings),
    content,
  ].join("\n");
}

describe("properties: named token formats never leave, whatever surrounds them", () => {
  for (const [format, token] of Object.entries(TOKENS)) {
    it(`${format} tokens`, () => {
      fc.assert(
        fc.property(token, glue, glue, fc.constantFrom(...PLACEMENTS), (secret, before, after, placement) => {
          const output = everyOutput(bundleWith(`${before}${secret}${after}`, placement));
          expect(output).not.toContain(secret);
          // no recognisable tail of it either
          expect(output).not.toContain(secret.slice(-16));
        }),
        { numRuns: 120, seed: SEED },
      );
    });
  }

  it("secrets in argv forms and URLs with any password characters", () => {
    const password = chars(`${ALNUM}/+=!#%~.`, 8, 24).map((p) => `Q${p}9z`);
    const form = fc.constantFrom(
      (p: string) => `mysql -uroot -p${p}`,
      (p: string) => `mysql -u root -p ${p} -h db`,
      (p: string) => `curl -u deploy:${p} https://api.example`,
      (p: string) => `app --db-password ${p} --port 8080`,
      (p: string) => `postgres://app:${p}@db.shop.svc:5432/app`,
      (p: string) => `Cookie: theme=dark; sessionid=${p}; lang=en`,
      (p: string) => `Authorization: Basic ${p}`,
    );
    fc.assert(
      fc.property(password, form, fc.constantFrom(...PLACEMENTS), (secret, shape, placement) => {
        const output = everyOutput(bundleWith(shape(secret), placement));
        expect(output).not.toContain(secret);
      }),
      { numRuns: 200, seed: SEED },
    );
  });
});

describe("cost", () => {
  it("is linear in the number of private-key headers (was quadratic)", () => {
    const body = "MIIEpAIBAAKCAQEAzq7bW3x9Yk2LmNpQ4rStUvWxYz0123456789abcdefABCDEF";
    const text = `${"-----BEGIN RSA PRIVATE KEY-----\n".repeat(64 * 1024)}${body}\n-----END RSA PRIVATE KEY-----\n`;
    const started = performance.now();
    const out = redactText(text); // 2 MB of headers: 12 s per MB before
    expect(performance.now() - started).toBeLessThan(3000);
    expect(out).not.toContain(body);
    expect(out.endsWith("[REDACTED]-----END RSA PRIVATE KEY-----\n")).toBe(true);
  });

  it("scrubs 1,000 echoed secret values in one pass over a large log", () => {
    const env = Array.from({ length: 1000 }, (_, i) => ({
      name: `SVC_${i}_TOKEN`,
      value: `Tk${i}-${"x".repeat(8)}-${i * 7919}`,
    }));
    const line = "request ok status=200 path=/api/v1/items user=alice\n";
    const text = `${line.repeat(100_000)}leaked Tk999-xxxxxxxx-${999 * 7919} here\n`;
    const bundle = bundleOf(podWith({}, { env }), { logs: [{ container: "app", previous: false, text }] });
    const started = performance.now();
    const redacted = redactBundle(bundle);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(redacted.logs[0]?.text.endsWith("leaked [REDACTED] here\n")).toBe(true);
  });

  it("redactBundleAsync gives the same result and stops when the signal fires", async () => {
    const text = `${"password=hunter2 ok\n".repeat(300_000)}`; // 6 MB: two pieces
    const bundle = bundleOf(podWith({}), { logs: [{ container: "app", previous: false, text }] });
    expect(await redactBundleAsync(bundle)).toEqual(redactBundle(bundle));
    const controller = new AbortController();
    controller.abort();
    await expect(redactBundleAsync(bundle, controller.signal)).rejects.toMatchObject({ exitCode: 130 });
  });
});
