/**
 * A minimal, deterministic tar writer: POSIX ustar headers, plus a pax extended header ('x') for a path
 * that does not fit ustar's 100-byte name / 155-byte prefix split. Only directories and regular files,
 * written exactly as given: the caller chooses the order, and every header carries the same mode, owner
 * and mtime, so the same entries always give the same bytes.
 *
 * Readers this has to satisfy: Argo CD's repo-server (Go archive/tar, util/io/files/tar.go `untar`), which
 * understands ustar and pax and only creates directories, regular files and symlinks; and GNU tar, which
 * the tests run on the output.
 */

const BLOCK = 512;
/** ustar's size and mtime fields hold 11 octal digits. */
const MAX_OCTAL_11 = 0o77777777777;

export const TAR_FILE_MODE = 0o644;
export const TAR_DIRECTORY_MODE = 0o755;

export type TarEntry =
  | { type: "directory" /** Relative, "/"-separated, without a trailing "/". */; path: string }
  | { type: "file"; path: string; data: Uint8Array };

export class TarFormatError extends Error {
  override readonly name = "TarFormatError";
  readonly path: string;
  constructor(message: string, path: string) {
    super(message);
    this.path = path;
  }
}

/** Serializes the entries, in the order given, followed by the two zero blocks that end an archive. */
export function writeTar(entries: Iterable<TarEntry>): Buffer {
  const chunks: Buffer[] = [];
  for (const entry of entries) {
    checkPath(entry.path);
    const name = entry.type === "directory" ? `${entry.path}/` : entry.path;
    const size = entry.type === "file" ? entry.data.byteLength : 0;
    if (size > MAX_OCTAL_11) {
      throw new TarFormatError(`${entry.path} is larger than a tar entry can hold (8 GiB)`, entry.path);
    }
    const fields: HeaderFields = {
      name,
      mode: entry.type === "directory" ? TAR_DIRECTORY_MODE : TAR_FILE_MODE,
      size,
      typeflag: entry.type === "directory" ? "5" : "0",
    };
    const split = splitUstarName(Buffer.from(name, "utf8"));
    if (split === undefined) {
      // pax (POSIX.1-2001): an 'x' entry whose records override the next header's fields.
      const record = paxRecord("path", name);
      chunks.push(
        header({ name: paxHeaderName(name), mode: TAR_FILE_MODE, size: record.length, typeflag: "x" }),
      );
      chunks.push(padded(record));
      chunks.push(header({ ...fields, name: fallbackName(name) }));
    } else {
      chunks.push(header({ ...fields, name: split.name, prefix: split.prefix }));
    }
    if (entry.type === "file") chunks.push(padded(entry.data));
  }
  chunks.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(chunks);
}

function checkPath(path: string): void {
  const parts = path.split("/");
  if (path === "" || path.startsWith("/") || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new TarFormatError(`not a clean relative path for a tar entry: ${JSON.stringify(path)}`, path);
  }
  if (path.includes("\0")) throw new TarFormatError("a tar entry name cannot contain NUL", path);
}

interface HeaderFields {
  name: string | Buffer;
  prefix?: Buffer | undefined;
  mode: number;
  size: number;
  typeflag: "0" | "5" | "x";
}

/**
 * One 512-byte ustar header. Field offsets from POSIX pax(1) "ustar Interchange Format". uid/gid/mtime are
 * 0 and uname/gname empty on purpose: nothing about the machine that packed it leaks into the digest.
 */
function header(fields: HeaderFields): Buffer {
  const block = Buffer.alloc(BLOCK);
  putBytes(block, 0, 100, typeof fields.name === "string" ? Buffer.from(fields.name, "utf8") : fields.name);
  putOctal(block, 100, 8, fields.mode);
  putOctal(block, 108, 8, 0); // uid
  putOctal(block, 116, 8, 0); // gid
  putOctal(block, 124, 12, fields.size);
  putOctal(block, 136, 12, 0); // mtime
  block.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  block.write(fields.typeflag, 156, "latin1");
  block.write("ustar\0", 257, "latin1");
  block.write("00", 263, "latin1");
  putOctal(block, 329, 8, 0); // devmajor
  putOctal(block, 337, 8, 0); // devminor
  if (fields.prefix !== undefined) putBytes(block, 345, 155, fields.prefix);
  let sum = 0;
  for (const byte of block) sum += byte;
  // Six octal digits, NUL, space: the form GNU tar and Go's archive/tar write.
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return block;
}

function putBytes(block: Buffer, offset: number, length: number, bytes: Buffer): void {
  if (bytes.length > length) throw new Error(`tar header field overflow (${bytes.length} > ${length})`);
  bytes.copy(block, offset);
}

function putOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, "0")}\0`, offset, "latin1");
}

function padded(data: Uint8Array): Buffer {
  const rest = data.byteLength % BLOCK;
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return rest === 0 ? buffer : Buffer.concat([buffer, Buffer.alloc(BLOCK - rest)]);
}

/**
 * Splits a name into ustar's prefix (≤155 bytes) and name (≤100 bytes) at a "/", as POSIX allows;
 * undefined when no split fits (then the name goes into a pax header).
 */
export function splitUstarName(name: Buffer): { name: Buffer; prefix?: Buffer } | undefined {
  if (name.length <= 100) return { name };
  // A directory's trailing "/" is not a split point: the name part must not be empty.
  const last = name[name.length - 1] === 0x2f ? name.length - 2 : name.length - 1;
  for (let i = Math.max(0, name.length - 101); i <= Math.min(155, last); i++) {
    if (name[i] === 0x2f && i > 0 && name.length - i - 1 <= 100) {
      return { prefix: name.subarray(0, i), name: name.subarray(i + 1) };
    }
  }
  return undefined;
}

/** "<length> <key>=<value>\n", where length counts the whole record including its own digits. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bodyLength = Buffer.byteLength(body, "utf8");
  let length = bodyLength + 1;
  while (String(length).length + bodyLength !== length) length = String(length).length + bodyLength;
  return Buffer.from(`${length}${body}`, "utf8");
}

/** The pax header entry's own name; readers ignore it, GNU tar would extract it there with --format=ustar. */
function paxHeaderName(name: string): Buffer {
  const base = name.replace(/\/$/, "").split("/").at(-1) ?? "entry";
  return Buffer.concat([Buffer.from("PaxHeaders/", "latin1"), truncateUtf8(base, 100 - 11)]);
}

/** What a reader without pax support sees instead of the real path. */
function fallbackName(name: string): Buffer {
  return truncateUtf8(name, 100);
}

function truncateUtf8(text: string, maxBytes: number): Buffer {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return bytes;
  let end = maxBytes;
  // Do not cut a multi-byte character: back up over continuation bytes (10xxxxxx).
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}
