/**
 * Reading a bundle for `--bundle FILE` / `--bundle -` with bounded cost. A bundle is hostile input
 * (whoever wrote the file chose its size and type), so:
 *  - only a regular file (or stdin) is read: a FIFO, a device (`/dev/zero`), a socket or a directory
 *    is exit 2 at once; the file is opened non-blocking, so opening a FIFO does not hang;
 *  - at most `maxBytes` are read (default 256 MiB; `--max-bundle-size` raises it): a bigger file is
 *    exit 2 before it is read, a stream that grows past it is stopped there;
 *  - the read is in pieces, with the signal checked between them (Ctrl-C is honoured).
 */
import { constants, type Stats } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { InterruptedError, throwIfAborted, UsageError } from "../core/errors.js";
import { formatBinaryBytes, formatMemoryQuantity } from "../core/units.js";

export const DEFAULT_MAX_BUNDLE_BYTES = 256 * 1024 * 1024;
const READ_PIECE = 1024 * 1024;
const HINT = "write one with sre-lab diagnose POD --save-bundle FILE";

export interface BundleInputOptions {
  maxBytes?: number;
  signal?: AbortSignal | undefined;
  /** For `--bundle -` (default: process.stdin). */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** The bundle's text: from a regular file, or from stdin when `file` is "-". */
export async function readBundleInput(file: string, options: BundleInputOptions = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BUNDLE_BYTES;
  if (file === "-") return readStdin(options.stdin ?? process.stdin, maxBytes, options.signal);
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new UsageError(`cannot read the bundle ${file}: ${why(error)}`, { hint: HINT, cause: error });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new UsageError(`cannot read the bundle ${file}: it is ${fileType(stats)}, not a regular file`, {
        hint: "give the path of a saved bundle, or --bundle - to read one from stdin",
      });
    }
    if (stats.size > maxBytes) throw tooBig(file, stats.size, maxBytes);
    const pieces: Buffer[] = [];
    let total = 0;
    for (;;) {
      throwIfAborted(options.signal);
      const buffer = Buffer.allocUnsafe(Math.min(READ_PIECE, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      pieces.push(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw tooBig(file, total, maxBytes); // it grew while being read
    }
    return Buffer.concat(pieces, total).toString("utf8");
  } catch (error) {
    if (error instanceof UsageError || error instanceof InterruptedError) throw error;
    throw new UsageError(`cannot read the bundle ${file}: ${why(error)}`, { hint: HINT, cause: error });
  } finally {
    await handle.close().catch(() => {});
  }
}

async function readStdin(
  stdin: NodeJS.ReadableStream & { isTTY?: boolean },
  maxBytes: number,
  signal: AbortSignal | undefined,
): Promise<string> {
  if (stdin.isTTY) {
    throw new UsageError("--bundle - reads a bundle from stdin, but stdin is a terminal", {
      hint: "pipe one in: sre-lab diagnose --bundle - < bundle.json",
    });
  }
  const pieces: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    throwIfAborted(signal);
    const piece = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    total += piece.length;
    if (total > maxBytes) {
      // Stop reading: the rest of the stream is not consumed.
      (stdin as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      throw tooBig("from stdin", total, maxBytes, true);
    }
    pieces.push(piece);
  }
  return Buffer.concat(pieces, total).toString("utf8");
}

function tooBig(file: string, size: number, maxBytes: number, atLeast = false): UsageError {
  const name = file === "from stdin" ? "the bundle read from stdin" : `the bundle ${file}`;
  return new UsageError(
    `${name} is ${atLeast ? "more than " : ""}${formatBinaryBytes(atLeast ? maxBytes : size)}, over the limit of ${formatBinaryBytes(maxBytes)}`,
    {
      hint: `raise the limit if you trust the file: --max-bundle-size ${formatMemoryQuantity(Math.max(size, maxBytes * 2))}`,
    },
  );
}

function fileType(stats: Stats): string {
  if (stats.isDirectory()) return "a directory";
  if (stats.isFIFO()) return "a FIFO (named pipe)";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isSocket()) return "a socket";
  return "not a regular file";
}

function why(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EISDIR") return "it is a directory";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENXIO") return "it is a socket or a FIFO without a writer";
  return code ?? (error instanceof Error ? error.message : String(error));
}

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1000,
  kb: 1000,
  ki: 1024,
  kib: 1024,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
};
/**
 * The most --max-bundle-size accepts: the file becomes one JavaScript string, and Node 22's V8
 * holds at most 2^29 - 24 characters in one (buffer.constants.MAX_STRING_LENGTH).
 */
export const MAX_BUNDLE_LIMIT = 512 * 1024 * 1024 - 24;

/** `256Mi`, `300MB`, `1Gi`, `1048576` → bytes; anything else is a UsageError naming the flag. */
export function parseByteSize(text: string, flag = "--max-bundle-size"): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = UNITS[(match?.[2] ?? "?").toLowerCase()];
  const bytes = match && unit !== undefined ? Math.floor(Number(match[1]) * unit) : Number.NaN;
  if (!Number.isFinite(bytes) || bytes < 1) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a size`, {
      hint: `for example ${flag} 512Mi (units: Ki, Mi, Gi, or k, M, G)`,
    });
  }
  if (bytes > MAX_BUNDLE_LIMIT) {
    throw new UsageError(`${flag} ${text} is more than ${formatBinaryBytes(MAX_BUNDLE_LIMIT)}`, {
      hint: "a bundle that large cannot be analysed in memory; cut its logs first",
    });
  }
  return bytes;
}
