import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { serializeBundle } from "../../src/diagnose/bundle.js";
import { isSecretName, REDACTED, redactArgs, redactBundle, redactText } from "../../src/diagnose/redact.js";
import { bundleOf, diagnose, fixtureBundle, loadFixture, podWith } from "./support.js";

describe("redactText", () => {
  it.each([
    ["password=hunter2 user=bob", "password=[REDACTED] user=bob"],
    ["export PGPASSWORD=pa55word; psql", "export PGPASSWORD=[REDACTED]; psql"],
    ['{"api_key": "k-123", "user": "x"}', '{"api_key": "[REDACTED]", "user": "x"}'],
    ['{\\"password\\":\\"s3cr3t\\"}', '{\\"password\\":\\"[REDACTED]\\"}'],
    ["token: abc.def", "token: [REDACTED]"],
    ["client_secret='xyz 1'", "client_secret='[REDACTED]'"],
    ["Authorization: Bearer abc.def-ghi_jkl123", "Authorization: [REDACTED]"],
    ["curl -H 'Authorization: Basic dXNlcjpwYXNz'", "curl -H 'Authorization: [REDACTED]'"],
    ["sent Bearer abcdefghijklmnop to upstream", "sent Bearer [REDACTED] to upstream"],
    ["postgres://user:p@ss@db:5432/app", "postgres://user:[REDACTED]@db:5432/app"],
    ["redis://:sekret@redis:6379/0", "redis://:[REDACTED]@redis:6379/0"],
    ["s3 (bucket=x, access_key_id=AKIAYWAUUQPASCISUJ3N)", "s3 (bucket=x, access_key_id=[REDACTED])"],
    ["creds AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "creds [REDACTED] [REDACTED]"],
    ["key AIzaSyA1234567890abcdefghijklmnopqrstuv", "key [REDACTED]"],
    ["gh token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "gh token [REDACTED]"],
    [
      "url=https://x.blob.core.windows.net/c?sv=2024&sig=abcDEF123%2B&se=2025",
      "url=https://x.blob.core.windows.net/c?sv=2024&sig=[REDACTED]&se=2025",
    ],
    [
      "DefaultEndpointsProtocol=https;AccountKey=abcdEFGH1234==;EndpointSuffix=core",
      "DefaultEndpointsProtocol=https;AccountKey=[REDACTED];EndpointSuffix=core",
    ],
    ["run --password hunter2 --user bob", "run --password [REDACTED] --user bob"],
    [
      "redis-server --requirepass s3cretvalue --appendonly yes",
      "redis-server --requirepass [REDACTED] --appendonly yes",
    ],
    ['args: ["--db-token", "abc123xyz"]', 'args: ["--db-token", "[REDACTED]"]'],
    [
      '[{"name":"API_TOKEN","value":"ntf_abc"},{"name":"PORT","value":"8080"}]',
      '[{"name":"API_TOKEN","value":"[REDACTED]"},{"name":"PORT","value":"8080"}]',
    ],
    [
      "- name: DB_PASSWORD\n  value: hunter2\n- name: X\n  value: y",
      "- name: DB_PASSWORD\n  value: [REDACTED]\n- name: X\n  value: y",
    ],
    [
      "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----\nafter",
      "key:\n-----BEGIN RSA PRIVATE KEY-----[REDACTED]-----END RSA PRIVATE KEY-----\nafter",
    ],
    [
      '{"pem":"-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----\\n"}',
      '{"pem":"-----BEGIN PRIVATE KEY-----[REDACTED]-----END PRIVATE KEY-----\\n"}',
    ],
    [
      "cut off start\nMIIEpAIBAAKCAQEAsomeBase64\n-----END PRIVATE KEY-----\nnext",
      "cut off start\n[REDACTED]-----END PRIVATE KEY-----\nnext",
    ],
  ])("%j", (input, output) => {
    expect(redactText(input)).toBe(output);
    expect(redactText(output)).toBe(output); // idempotent
  });

  it("redacts JWTs wherever they are", () => {
    const jwt =
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    expect(redactText(`cookie session ${jwt}; next`)).toBe(`cookie session ${REDACTED}; next`);
  });

  it.each([
    "Error: couldn't find key password in Secret ns/db",
    'secret "db-creds" not found',
    "Liveness probe failed: HTTP probe failed with statuscode: 500",
    'MountVolume.SetUp failed for volume "config" : configmap "grafana-ini" not found',
    "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.",
    "received signal=SIGTERM",
    "git sha 3f2a9c1e7b443f2a9c1e7b443f2a9c1e7b443f2a ok",
    "image ghcr.io/acme/storefront:v2.14.0@sha256:7ec16058dc09e18ae77b7e64776ac3f9c2fe3548920fa659bb80327b2c40a275",
    'password authentication failed for user "orders"',
    "kubectl create secret generic db --from-literal=password=<value>",
    "https://api.shop.acme.example/v1/cart?id=42",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell-style reference, on purpose
    "args $(REDIS_PASSWORD) and password=${DB_PASSWORD}",
  ])("leaves facts that are not secrets alone: %j", (input) => {
    expect(redactText(input)).toBe(input);
  });
});

describe("secret-looking names", () => {
  it.each([
    "DB_PASSWORD",
    "PGPASSWD",
    "API_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "KEY_COUNT",
    "GITHUB_AUTH",
    "TLS_PRIVATE_KEY",
    "CA_CERT",
    "SENTRY_DSN",
    "SLACK_WEBHOOK_URL",
    "COOKIE_SALT",
    "jwt_signing_key",
  ])("%s looks secret", (name) => expect(isSecretName(name)).toBe(true));
  it.each(["PORT", "LOG_LEVEL", "DB_HOST", "NODE_ENV", "MAX_CONCURRENT_RENDERS", "TZ"])(
    "%s does not",
    (name) => expect(isSecretName(name)).toBe(false),
  );
});

describe("redactArgs", () => {
  it("redacts the value after a secret-looking flag and applies the text rules to the rest", () => {
    expect(
      redactArgs([
        "--db-password",
        "pw1",
        "--stripe-key=sk_live_51Habcdefghijklmnopqrstuv",
        "--listen",
        ":8080",
        "--requirepass",
        "$(REDIS_PASSWORD)",
      ]),
    ).toEqual([
      "--db-password",
      REDACTED,
      `--stripe-key=${REDACTED}`,
      "--listen",
      ":8080",
      "--requirepass",
      "$(REDIS_PASSWORD)",
    ]);
  });
});

describe("redactBundle", () => {
  const fixture = loadFixture("secrets-everywhere.json");
  const raw = fixtureBundle("secrets-everywhere.json");
  const redacted = redactBundle(raw);
  const written = serializeBundle(redacted, { redact: false });

  it("removes every planted secret from the saved bundle", () => {
    for (const secret of fixture.expect.secrets ?? []) expect(written).not.toContain(secret);
  });

  it("keeps what is not secret: structure, names, harmless values", () => {
    for (const kept of fixture.expect.kept ?? []) expect(written).toContain(kept);
    const container = (
      redacted.pod.spec as { containers: { env: { name: string; value?: string }[]; args: string[] }[] }
    ).containers[0];
    expect(container?.env.map((e) => e.name)).toEqual([
      "DB_PASSWORD",
      "STRIPE_API_KEY",
      "DATABASE_URL",
      "KEY_COUNT",
      "LOG_LEVEL",
    ]);
    expect(container?.env.find((e) => e.name === "DB_PASSWORD")?.value).toBe(REDACTED);
    expect(container?.args).toEqual([
      "--db-password",
      REDACTED,
      `--stripe-key=${REDACTED}`,
      "--listen",
      ":8080",
    ]);
  });

  it("redacts inside last-applied-configuration and keeps it valid JSON", () => {
    const annotations = (redacted.pod.metadata as { annotations: Record<string, string> }).annotations;
    const lastApplied = annotations["kubectl.kubernetes.io/last-applied-configuration"] ?? "";
    expect(lastApplied.endsWith("\n")).toBe(true);
    const parsed = JSON.parse(lastApplied);
    expect(parsed.spec.template.spec.containers[0].env).toEqual([
      { name: "DB_PASSWORD", value: REDACTED },
      { name: "WEBHOOK_SIGNING_SECRET", value: REDACTED },
    ]);
    expect(annotations["vault.hashicorp.com/agent-inject-token"]).toBe(REDACTED);
  });

  it("does not modify its input and is idempotent", () => {
    expect(JSON.stringify(raw)).toContain("Env-DB-Pass-2#");
    expect(redactBundle(redacted)).toEqual(redacted);
  });

  it("redacts every data value of a Secret object", () => {
    const withSecret = redactBundle(
      bundleOf(podWith({}), {
        owners: [
          {
            kind: "Secret",
            metadata: { name: "s" },
            data: { "tls.key": "c2VjcmV0" },
            stringData: { token: "t" },
          },
        ],
      }),
    );
    expect(withSecret.owners?.[0]).toMatchObject({
      data: { "tls.key": REDACTED },
      stringData: { token: REDACTED },
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties: generated secrets never survive into the prompt or the saved bundle.

/** Distinctive secret values: 12–32 characters of letters, digits and safe punctuation. */
const secretValue = fc
  .tuple(
    fc.string({
      unit: fc.constantFrom(..."ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"),
      minLength: 10,
      maxLength: 28,
    }),
    fc.constantFrom("", "!", "#", "-", "_", ".", "~", "%"),
    fc.integer({ min: 10, max: 99 }),
  )
  .map(([body, punctuation, digits]) => `Zq${body}${punctuation}${digits}`);

const secretEnvName = fc
  .tuple(
    fc.constantFrom("", "DB_", "APP_", "STRIPE_", "GITHUB_", "X_"),
    fc.constantFrom(
      "PASSWORD",
      "PASSWD",
      "SECRET",
      "TOKEN",
      "API_KEY",
      "ACCESS_KEY",
      "CREDENTIALS",
      "AUTH",
      "PRIVATE_KEY",
      "CERT_KEY",
      "KEY_COUNT",
    ),
    fc.constantFrom("", "_FILE_CONTENT", "_V2"),
  )
  .map(([a, b, c]) => `${a}${b}${c}`);

type LogSecret = { line: string; secret: string };

const jwtPart = fc.string({
  unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
  minLength: 16,
  maxLength: 60,
});
const awsId = fc
  .string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), minLength: 16, maxLength: 16 })
  .chain((tail) => fc.constantFrom(`AKIA${tail}`, `ASIA${tail}`));
const awsSecret = fc
  .string({
    unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"),
    minLength: 37,
    maxLength: 37,
  })
  .map((s) => `Aa9${s}`);

const logSecret: fc.Arbitrary<LogSecret> = fc.oneof(
  secretValue.map((s) => ({ line: `connecting to db password=${s} host=db`, secret: s })),
  secretValue.map((s) => ({ line: `auth token: ${s}`, secret: s })),
  secretValue.map((s) => ({ line: `{"level":"debug","api_key": "${s}","msg":"config"}`, secret: s })),
  secretValue.map((s) => ({ line: `DEBUG Authorization: Bearer ${s}`, secret: s })),
  secretValue.map((s) => ({ line: `forwarding with Bearer ${s}`, secret: s })),
  secretValue.map((s) => ({ line: `dsn postgres://app:${s}@db.svc:5432/app?sslmode=require`, secret: s })),
  secretValue.map((s) => ({ line: `exec worker --api-token ${s} --verbose`, secret: s })),
  fc.tuple(jwtPart, jwtPart, jwtPart).map(([a, b, c]) => {
    const jwt = `eyJ${a}.eyJ${b}.${c}`;
    return { line: `request failed with jwt ${jwt} expired`, secret: jwt };
  }),
  awsId.map((id) => ({ line: `s3 client ready key=${id}`, secret: id })),
  fc.tuple(awsId, awsSecret).map(([id, key]) => ({ line: `aws creds ${id} ${key}`, secret: key })),
  fc
    .array(
      fc.string({
        unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
        minLength: 64,
        maxLength: 64,
      }),
      { minLength: 2, maxLength: 4 },
    )
    .map((rows) => ({
      line: `tls key:\n-----BEGIN PRIVATE KEY-----\nZq${rows.join("\nZq")}\n-----END PRIVATE KEY-----`,
      secret: `Zq${rows[1]}`,
    })),
);

const noise = fc.constantFrom(
  "2025-06-10T08:30:00Z INFO request completed status=200 dur=12ms",
  "2025-06-10T08:30:01Z WARN slow query (1500ms): SELECT * FROM items",
  '{"level":30,"msg":"request completed","res":{"statusCode":200}}',
  '10.0.0.1 - - [10/Jun/2025:08:30:00 +0000] "GET /healthz HTTP/1.1" 200 2',
  "2025-06-10T08:30:02Z ERROR upstream timeout, retrying",
);

function crashingPod(env: { name: string; value: string }[]) {
  return podWith(
    {
      state: { waiting: { reason: "CrashLoopBackOff" } },
      restartCount: 4,
      lastState: { terminated: { reason: "Error", exitCode: 1 } },
    },
    { env, args: ["--listen", ":8080"] },
  );
}

describe("properties: no generated secret leaves", () => {
  it("env values with secret-looking names (also echoed in logs and last-applied-configuration)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(secretEnvName, secretValue), { minLength: 1, maxLength: 4 }), (pairs) => {
        const env = pairs.map(([name, value]) => ({ name, value }));
        const pod = crashingPod(env);
        (pod.metadata as Record<string, unknown>).annotations = {
          "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({
            spec: { template: { spec: { containers: [{ name: "app", env }] } } },
          }),
        };
        const log = `starting\n${pairs.map(([, v]) => `loaded ${v}`).join("\n")}\nfatal: boom\n`;
        const bundle = bundleOf(pod, { logs: [{ container: "app", previous: true, text: log }] });
        const { content } = diagnose(bundle);
        const saved = serializeBundle(bundle);
        for (const [, value] of pairs) {
          expect(content).not.toContain(value);
          expect(saved).not.toContain(value);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("secrets in log lines, anywhere in logs of any size, never reach the prompt or the saved bundle", () => {
    fc.assert(
      fc.property(
        fc.array(logSecret, { minLength: 1, maxLength: 5 }),
        fc.array(noise, { minLength: 0, maxLength: 40 }),
        fc.integer({ min: 0, max: 2000 }),
        (secrets, lines, repeat) => {
          const body = [...lines, ...secrets.map((s) => s.line)].join("\n");
          const text = `${"2025-06-10T08:00:00Z INFO warming up\n".repeat(repeat)}${body}\nTraceback (most recent call last):\n  File "/app/x.py", line 1\nRuntimeError: ${secrets[0]?.line.split("\n")[0]}\n`;
          const bundle = bundleOf(crashingPod([]), { logs: [{ container: "app", previous: true, text }] });
          const { content } = diagnose(bundle);
          const saved = serializeBundle(bundle);
          for (const { secret } of secrets) {
            expect(content).not.toContain(secret);
            expect(saved).not.toContain(secret);
          }
        },
      ),
      { numRuns: 80 },
    );
  });
});
