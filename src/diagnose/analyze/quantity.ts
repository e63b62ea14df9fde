/**
 * The memory value a remedy proposes ("raise limits.memory from 256Mi to 512Mi"). Parsing and
 * formatting quantities is src/core/units.ts.
 */
import { formatMemoryQuantity } from "../../core/units.js";

const MI = 2 ** 20;

/**
 * A memory value comfortably above `bytes`: `factor` times it, rounded up to a multiple of
 * 64Mi (so 256Mi → 512Mi, 768Mi → 1536Mi).
 */
export function suggestMemory(bytes: number, factor = 2): string {
  const step = 64 * MI;
  return formatMemoryQuantity(Math.ceil((bytes * factor) / step) * step);
}
