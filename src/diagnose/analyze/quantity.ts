/**
 * Kubernetes resource quantities, enough to suggest a concrete new memory value
 * ("raise limits.memory from 256Mi to 512Mi").
 */

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkKMGTPE])|[eE]([+-]?\d+))?$/;

/** Bytes (or cores) for a quantity such as `256Mi`, `1.5Gi`, `500M`, `129e6`; undefined when invalid. */
export function parseQuantity(quantity: string | undefined): number | undefined {
  if (quantity === undefined) return undefined;
  const match = QUANTITY.exec(quantity.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  if (match[3] !== undefined) return value * 10 ** Number(match[3]);
  const suffix = match[2] ?? "";
  const factor = BINARY[suffix] ?? DECIMAL[suffix];
  return factor === undefined ? undefined : value * factor;
}

const MI = 2 ** 20;
const GI = 2 ** 30;

/** A memory size as Kubernetes users write it: whole Gi when exact, else Mi rounded up. */
export function formatMemory(bytes: number): string {
  if (bytes >= GI && bytes % GI === 0) return `${bytes / GI}Gi`;
  return `${Math.max(1, Math.ceil(bytes / MI))}Mi`;
}

/**
 * A memory value comfortably above `bytes`: `factor` times it, rounded up to a multiple of
 * 64Mi (so 256Mi → 512Mi, 768Mi → 1536Mi).
 */
export function suggestMemory(bytes: number, factor = 2): string {
  const step = 64 * MI;
  return formatMemory(Math.ceil((bytes * factor) / step) * step);
}
