/**
 * Common causes of an "exit 1", recognised from one log line, with the object the line points at
 * (a path, a host:port, a variable, a user). The formats are the ones the runtimes and clients
 * print (docs/versions.md, issue 12):
 *
 *   db-auth         libpq `password authentication failed for user "app"`, MySQL `Access denied for
 *                   user 'app'@'10.0.0.5' (using password: YES)`, Redis `WRONGPASS`/`NOAUTH`,
 *                   MongoDB `Authentication failed`, SQL Server `Login failed for user 'app'`
 *   dns             Go `dial tcp: lookup db on 10.96.0.10:53: no such host`, Node `getaddrinfo
 *                   ENOTFOUND db`, libpq `could not translate host name "db" to address`, Java
 *                   `UnknownHostException: db`, nginx `host not found in upstream`, `can't resolve`,
 *                   `NXDOMAIN`, glibc `Name or service not known` / `Temporary failure in name resolution`
 *   connection      Go `dial tcp 10.96.3.4:5432: connect: connection refused` / `i/o timeout`, Node
 *                   `connect ECONNREFUSED 10.0.0.1:6379` / `ETIMEDOUT`, libpq `connection to server at
 *                   "db" (10.96.3.4), port 5432 failed: Connection refused`, redis-py `Error 111
 *                   connecting to redis:6379`, MySQL `Can't connect to MySQL server on 'db:3306'`
 *   permission      `open /data/x: permission denied`, Python `[Errno 13] Permission denied: '/x'`,
 *                   Node `EACCES: permission denied, open '/x'`, nginx `(13: Permission denied)`
 *   read-only       `read-only file system`, Python `[Errno 30] Read-only file system: '/x'`, `EROFS`
 *   missing-env     envconfig `required key X missing value`, `KeyError: 'X'`, `environment variable X
 *                   is not set`, Spring `Could not resolve placeholder 'x' in value`
 *   address-in-use  Go `listen tcp :8080: bind: address already in use`, Node `EADDRINUSE`, Python
 *                   `[Errno 98] Address already in use`, Java `BindException: Address already in use`
 *   heap            JVM `java.lang.OutOfMemoryError: Java heap space`, V8 `JavaScript heap out of
 *                   memory`, Go `fatal error: runtime: out of memory`, Python `MemoryError`
 *   migration       golang-migrate `Dirty database version 5. Fix and force version.`, Flyway
 *                   `Detected failed migration to version 3`, Liquibase `Migration failed for
 *                   changeset`, `relation "x" already exists` / `DuplicateColumn` (half-applied)
 */

export type CauseKind =
  | "db-auth"
  | "dns"
  | "connection"
  | "permission"
  | "read-only"
  | "missing-env"
  | "address-in-use"
  | "heap"
  | "migration";

export interface LineCause {
  kind: CauseKind;
  host?: string;
  port?: number;
  path?: string;
  variable?: string;
  user?: string;
  /** Which runtime's heap ran out. */
  runtime?: "jvm" | "node" | "go" | "python";
  /** connection: a timeout rather than a refusal. */
  timeout?: boolean;
  /** missing-env: a config key (Spring placeholder) rather than an env var name. */
  configKey?: boolean;
}

/** A cheap filter: only lines containing one of these words are examined further. */
const TRIGGER =
  /authentication failed|access denied for user|login failed for user|wrongpass|noauth|invalid username\/password|no such host|enotfound|eai_again|translate host name|name or service not known|name resolution|unknownhostexception|can't resolve|cannot resolve|nxdomain|host not found|refused|econnrefused|etimedout|i\/o timeout|timed out|timeout expired|can't connect to|error 111|permission denied|eacces|read-only file system|erofs|keyerror|environment variable|env var|missing value|placeholder|must be set|is not set|address already in use|eaddrinuse|bindexception|outofmemoryerror|heap out of memory|out of memory|memoryerror|dirty database|migration|already exists|duplicatecolumn|duplicate column/i;

const HOST = String.raw`[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*`;
const ENV_NAME = String.raw`[A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Z]{4,}`;

const DB_AUTH: [RegExp, "user" | undefined][] = [
  [/password authentication failed for user "([^"]{1,100})"/, "user"],
  [/Access denied for user '([^']{1,100})'@/, "user"],
  [/Login failed for user '([^']{1,100})'/, "user"],
  [
    /\bWRONGPASS\b|\bNOAUTH\b|ORA-01017|SCRAM[^\n]{0,80}authentication failed|MongoServerError: Authentication failed|Authentication failed\.?$/i,
    undefined,
  ],
];

const DNS_HOST: RegExp[] = [
  new RegExp(String.raw`lookup (${HOST})(?: on [0-9a-fA-F.:\[\]]+)?: no such host`),
  new RegExp(String.raw`getaddrinfo (?:ENOTFOUND|EAI_AGAIN) (${HOST})`),
  new RegExp(String.raw`could not translate host name "(${HOST})" to address`),
  new RegExp(String.raw`UnknownHostException: (${HOST})`),
  new RegExp(String.raw`host not found in upstream "(${HOST})(?::\d+)?"`),
  new RegExp(String.raw`can(?:'|no)t resolve (?:host(?:name)? )?'?"?(${HOST})`, "i"),
  new RegExp(String.raw`server can't find (${HOST})\.?: NXDOMAIN`),
  new RegExp(String.raw`(${HOST})\.?:? (?:status: )?NXDOMAIN`),
];
const DNS_GENERIC =
  /no such host|Name or service not known|Temporary failure in name resolution|nodename nor servname|EAI_AGAIN|NXDOMAIN|can't resolve/i;

const CONNECTION: RegExp[] = [
  new RegExp(
    String.raw`dial tcp (${HOST}|\[[0-9a-fA-F:]+\]):(\d{1,5}): (?:connect: )?(?:connection refused|i/o timeout|connection timed out|operation timed out)`,
  ),
  new RegExp(String.raw`connect (?:ECONNREFUSED|ETIMEDOUT) (${HOST}|\[?[0-9a-fA-F:]+\]?):(\d{1,5})`),
  new RegExp(String.raw`connection to server at "(${HOST})"[^,]{0,80}, port (\d{1,5}) failed`),
  new RegExp(String.raw`Error 11[01] connecting to (${HOST}):(\d{1,5})`),
  new RegExp(String.raw`Can't connect to MySQL server on '(${HOST})(?::(\d{1,5}))?'`),
  new RegExp(String.raw`Connection to (${HOST}):(\d{1,5}) refused`),
  new RegExp(
    String.raw`(?:postgres(?:ql)?|mysql|redis|rediss|mongodb|amqps?|nats|https?)://(?:[^@\s/]*@)?(${HOST}):(\d{1,5})[^\n]{0,200}?(?:refused|timed? ?out|timeout)`,
    "i",
  ),
  new RegExp(
    String.raw`(?:connect(?:ing)? to|connection to|failed to connect to|could not connect to)\s+"?(${HOST}):(\d{2,5})"?[^\n]{0,80}?(?:refused|timed? ?out|timeout)`,
    "i",
  ),
];
const CONNECTION_GENERIC =
  /connection refused|ECONNREFUSED|ETIMEDOUT|i\/o timeout|connection timed out|timeout expired/i;

const PATH = String.raw`\/[^\s'"():,]{1,300}`;
const PERMISSION: RegExp[] = [
  new RegExp(String.raw`Permission denied: '(${PATH})'`),
  new RegExp(String.raw`EACCES: permission denied, \w+ '(${PATH})'`),
  new RegExp(String.raw`"(${PATH})" failed \(13: Permission denied\)`),
  new RegExp(String.raw`(${PATH})"?: [Pp]ermission denied`),
  new RegExp(String.raw`(${PATH}) \(Permission denied\)`),
  new RegExp(String.raw`[Pp]ermission denied[^\n]{0,60}?(${PATH})`),
];
const READ_ONLY: RegExp[] = [
  new RegExp(String.raw`Read-only file system: '(${PATH})'`),
  new RegExp(String.raw`EROFS: read-only file system, \w+ '(${PATH})'`),
  new RegExp(String.raw`"(${PATH})" failed \(30: Read-only file system\)`),
  new RegExp(String.raw`(${PATH})"?: read-only file system`, "i"),
  new RegExp(String.raw`read-only file system[^\n]{0,60}?(${PATH})`, "i"),
];

const MISSING_ENV: [RegExp, boolean][] = [
  [new RegExp(String.raw`required key (${ENV_NAME}) missing value`), false],
  [new RegExp(String.raw`^KeyError: '(${ENV_NAME})'`), false],
  [
    new RegExp(
      String.raw`(?:environment variable|env var(?:iable)?)s?:? [\`"']?(${ENV_NAME})[\`"']? (?:is )?(?:not set|missing|required|undefined|not defined|must be set|is empty|empty)`,
      "i",
    ),
    false,
  ],
  [
    new RegExp(
      String.raw`[\`"']?(${ENV_NAME})[\`"']? (?:environment variable|env var(?:iable)?) (?:is )?(?:not set|missing|required|undefined|must be set)`,
      "i",
    ),
    false,
  ],
  [
    new RegExp(
      String.raw`[Mm]issing (?:required )?(?:environment variable|env var(?:iable)?)s?:? [\`"']?(${ENV_NAME})`,
    ),
    false,
  ],
  [new RegExp(String.raw`\b(${ENV_NAME}) (?:must be set|is not set|is required but not set)`), false],
  [/Could not resolve placeholder '([\w.-]{1,200})' in value/, true],
];

const ADDRESS_IN_USE: RegExp[] = [
  /listen tcp[46]? [^\s]*?:(\d{1,5}): bind: address already in use/,
  /EADDRINUSE: address already in use [^\s]*?:(\d{1,5})/,
  /\('[^']*', (\d{1,5})\)[^\n]{0,20}address already in use/i,
  /[Aa]ddress already in use[^\n]{0,80}?(?:port |:)(\d{2,5})\b/,
  /(?:port |:)(\d{2,5})\b[^\n]{0,80}?[Aa]ddress already in use/,
];

/** The cause one line shows, if any. Lines are at most a few KB (the caller cuts them). */
export function lineCause(line: string): LineCause | undefined {
  if (!TRIGGER.test(line)) return undefined;

  for (const [pattern, group] of DB_AUTH) {
    const m = pattern.exec(line);
    if (m) return group && m[1] ? { kind: "db-auth", user: m[1] } : { kind: "db-auth" };
  }
  if (/role "[^"]{1,100}" does not exist/.test(line)) {
    const user = /role "([^"]{1,100})" does not exist/.exec(line)?.[1];
    return user ? { kind: "db-auth", user } : { kind: "db-auth" };
  }

  const heap = heapCause(line);
  if (heap) return heap;

  if (/read-only file system|EROFS/i.test(line)) {
    return withPath({ kind: "read-only" }, firstMatch(line, READ_ONLY));
  }
  if (/permission denied|EACCES/i.test(line) && !/exec|publickey|ssh:|denied: requested access/i.test(line)) {
    const path = firstMatch(line, PERMISSION);
    if (path !== undefined || /EACCES|Errno 13/.test(line)) return withPath({ kind: "permission" }, path);
  }

  if (/address already in use|EADDRINUSE|BindException/i.test(line)) {
    const port = Number(firstMatch(line, ADDRESS_IN_USE));
    return Number.isInteger(port) && port > 0 ? { kind: "address-in-use", port } : { kind: "address-in-use" };
  }

  for (const pattern of DNS_HOST) {
    const m = pattern.exec(line);
    const host = m?.[1] ?? m?.[2];
    if (host !== undefined && !/^\d+(?:\.\d+){3}$/.test(host)) return { kind: "dns", host };
  }
  if (DNS_GENERIC.test(line)) return { kind: "dns" };

  for (const pattern of CONNECTION) {
    const m = pattern.exec(line);
    if (m?.[1]) {
      const cause: LineCause = { kind: "connection", host: m[1].replace(/^\[|\]$/g, "") };
      const port = Number(m[2]);
      if (Number.isInteger(port) && port > 0) cause.port = port;
      if (/time[d ]?out|ETIMEDOUT|timeout expired/i.test(line)) cause.timeout = true;
      return cause;
    }
  }
  if (CONNECTION_GENERIC.test(line) && /connect|dial|server|database|redis|broker/i.test(line)) {
    return /time[d ]?out|ETIMEDOUT|timeout expired/i.test(line)
      ? { kind: "connection", timeout: true }
      : { kind: "connection" };
  }

  for (const [pattern, configKey] of MISSING_ENV) {
    const m = pattern.exec(line);
    if (m?.[1])
      return configKey
        ? { kind: "missing-env", variable: m[1], configKey }
        : { kind: "missing-env", variable: m[1] };
  }

  if (
    /Dirty database version|Detected failed migration|Migration(?:s have)? failed|[Mm]igration [^\n]{0,120}failed|failed to (?:run|apply) migrations?/.test(
      line,
    ) ||
    /(?:relation|column|table|index) "?[\w.]{1,100}"?(?: of relation "?\w+"?)? already exists|DuplicateColumn|DuplicateTable|Duplicate column name/.test(
      line,
    )
  ) {
    return { kind: "migration" };
  }
  return undefined;
}

function heapCause(line: string): LineCause | undefined {
  if (/java\.lang\.OutOfMemoryError|OutOfMemoryError: (?:Java heap space|GC overhead)/.test(line))
    return { kind: "heap", runtime: "jvm" };
  if (/JavaScript heap out of memory|Reached heap limit/.test(line)) return { kind: "heap", runtime: "node" };
  if (/^fatal error: runtime: out of memory/.test(line)) return { kind: "heap", runtime: "go" };
  if (/^MemoryError\b/.test(line)) return { kind: "heap", runtime: "python" };
  return undefined;
}

function firstMatch(line: string, patterns: RegExp[]): string | undefined {
  for (const pattern of patterns) {
    const m = pattern.exec(line);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

function withPath(cause: LineCause, path: string | undefined): LineCause {
  if (path !== undefined) cause.path = path.replace(/[.'"]+$/, "");
  return cause;
}

/** Labels for summaries: "the database rejected the credentials", … */
export const CAUSE_LABEL: Record<CauseKind, string> = {
  "db-auth": "the database rejects the credentials",
  dns: "a host name does not resolve",
  connection: "a dependency does not accept connections",
  permission: "permission denied on a path",
  "read-only": "a write to a read-only file system",
  "missing-env": "a required environment variable or config key is missing",
  "address-in-use": "the listen port is already in use",
  heap: "the runtime ran out of heap",
  migration: "a database migration failed",
};
