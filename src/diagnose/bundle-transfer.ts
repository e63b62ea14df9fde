/**
 * Moving a collected (and already redacted) bundle from the agent to the CLI for --save-bundle, and
 * writing it. The agent's only channel is its log, so the bundle travels gzipped, base64, in lines
 * of at most 8,000 characters: well under the 16 KiB at which container runtimes split log lines,
 * and small against kubelet's 10 MiB log rotation even for a few MiB of logs.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { SreLabError } from "../core/errors.js";
import type { ContainerMetrics } from "./evidence.js";
import type { EvidenceBundle } from "./types.js";

const CHUNK_CHARS = 8_000;

export interface TransferredBundle {
  bundle: EvidenceBundle;
  metrics: ContainerMetrics[];
}

export interface BundleChunk {
  type: "bundle";
  seq: number;
  last: boolean;
  data: string;
}

export function encodeBundleChunks(payload: TransferredBundle): BundleChunk[] {
  const data = gzipSync(Buffer.from(JSON.stringify(payload), "utf8")).toString("base64");
  const chunks: BundleChunk[] = [];
  for (let offset = 0, seq = 0; offset < data.length || seq === 0; offset += CHUNK_CHARS, seq++) {
    const end = offset + CHUNK_CHARS;
    chunks.push({ type: "bundle", seq, last: end >= data.length, data: data.slice(offset, end) });
  }
  return chunks;
}

/** Collects chunks in order; `result()` once the last one arrived. */
export class BundleAssembler {
  private readonly parts: string[] = [];
  private complete = false;

  add(chunk: BundleChunk): void {
    if (chunk.seq !== this.parts.length) {
      throw new SreLabError(
        `the bundle arrived out of order (piece ${chunk.seq}, expected ${this.parts.length})`,
      );
    }
    this.parts.push(chunk.data);
    if (chunk.last) this.complete = true;
  }

  get done(): boolean {
    return this.complete;
  }

  result(): TransferredBundle {
    if (!this.complete)
      throw new SreLabError(`the bundle did not arrive completely (${this.parts.length} pieces)`);
    const json = gunzipSync(Buffer.from(this.parts.join(""), "base64")).toString("utf8");
    return JSON.parse(json) as TransferredBundle;
  }
}
