/**
 * Folds Ollama's per-layer pull progress into one figure for a progress bar.
 *
 * Ollama streams `{"status":"pulling manifest"}`, then for each layer in turn ticks of
 * `{"status":"pulling <12 hex>","digest":"sha256:…","total":N,"completed":M}` (`completed` is left out
 * until bytes arrived), then "verifying sha256 digest", "writing manifest" and "success". A layer is only
 * announced when its download starts, so `totalBytes` grows as layers appear; the weights layer is
 * normally first and holds nearly all the bytes, so the figure is close to final after the first tick.
 */

export interface PullProgress {
  /** Ollama's status line, except that per-layer ticks read "downloading". */
  status: string;
  completedBytes: number;
  totalBytes: number;
}

interface LayerProgress {
  total: number;
  completed: number;
}

export class PullProgressTracker {
  private readonly layers = new Map<string, LayerProgress>();

  /** Takes one streamed line (as parsed JSON) and returns the aggregate after it. */
  update(line: unknown): PullProgress {
    const part = (typeof line === "object" && line !== null ? line : {}) as Record<string, unknown>;
    const status = typeof part.status === "string" ? part.status : "";
    const digest = typeof part.digest === "string" && part.digest !== "" ? part.digest : undefined;

    if (digest !== undefined) {
      const previous = this.layers.get(digest) ?? { total: 0, completed: 0 };
      this.layers.set(digest, {
        total: nonNegative(part.total) ?? previous.total,
        completed: nonNegative(part.completed) ?? previous.completed,
      });
    }
    if (status === "success") {
      for (const layer of this.layers.values()) layer.completed = layer.total;
    }

    let completedBytes = 0;
    let totalBytes = 0;
    for (const layer of this.layers.values()) {
      totalBytes += layer.total;
      completedBytes += Math.min(layer.completed, layer.total);
    }
    return { status: digest !== undefined ? "downloading" : status, completedBytes, totalBytes };
  }
}

function nonNegative(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}
