/**
 * Sizes and Kubernetes quantities, one rule each.
 *
 * - Memory (RAM, limits, working sets) is binary, as Kubernetes counts it: formatBinaryBytes
 *   ("256 MiB", "3.8 GiB") in prose, formatBinaryQuantity ("250Mi", "1.5Gi") in evidence read next to
 *   a pod spec, formatMemoryQuantity ("512Mi", rounded up) where the user pastes it into a manifest.
 * - Downloads and files (model pulls, the model cache on disk, the manifests tarball against
 *   Argo CD's limit, which is the decimal quantity "1G") are decimal: formatDecimalBytes ("2.2 GB").
 *   The function names say which rule a size follows.
 * - parseQuantity reads the whole grammar of k8s.io/apimachinery/pkg/api/resource (see
 *   docs/versions.md); parseCpuMillicores and parseMemoryBytes are its two common readings.
 *
 * Durations live in src/core/duration.ts.
 */

const BINARY_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"] as const;
const DECIMAL_UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB"] as const;

/** Below 100 one decimal place (dropped when it is .0), from 100 up whole numbers: "3.8", "6", "219". */
function formatScaled(value: number): string {
  return value >= 100 ? String(Math.round(value)) : String(+value.toFixed(1));
}

function formatBytesIn(bytes: number, base: number, units: readonly string[]): string {
  let value = Math.abs(bytes);
  let unit = 0;
  // Carry to the next unit when rounding would print "1024 MiB" or "1000 MB".
  while (unit < units.length - 1 && Math.round(value) >= base) {
    value /= base;
    unit++;
  }
  const sign = bytes < 0 ? "-" : "";
  return unit === 0
    ? `${sign}${Math.round(value)} ${units[0]}`
    : `${sign}${formatScaled(value)} ${units[unit]}`;
}

/** Memory in binary (IEC) units: 268435456 → "256 MiB", 4080218931 → "3.8 GiB". */
export function formatBinaryBytes(bytes: number): string {
  return formatBytesIn(bytes, 1024, BINARY_UNITS);
}

/** Download and file sizes in decimal (SI) units: 2_200_000_000 → "2.2 GB", 3000 → "3 kB". */
export function formatDecimalBytes(bytes: number): string {
  return formatBytesIn(bytes, 1000, DECIMAL_UNITS);
}

/**
 * Memory in Kubernetes' own notation, rounded as formatBinaryBytes rounds: 262144000 → "250Mi",
 * 1.5 GiB → "1.5Gi". For evidence lines, where the reader (and the answer check in
 * diagnose/grounding.ts) compares it with the limits in the pod spec.
 */
export function formatBinaryQuantity(bytes: number): string {
  return formatBinaryBytes(bytes)
    .replace(/ (\w)iB$/, "$1i")
    .replace(/ B$/, "");
}

const MI = 2 ** 20;
const GI = 2 ** 30;

/** A memory size as Kubernetes users write it in a manifest: whole Gi when exact, else Mi rounded up. */
export function formatMemoryQuantity(bytes: number): string {
  if (bytes >= GI && bytes % GI === 0) return `${bytes / GI}Gi`;
  return `${Math.max(1, Math.ceil(bytes / MI))}Mi`;
}

const BINARY_SI: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL_SI: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  "": 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

/**
 * <signedNumber> then one <suffix>: <binarySI> | <decimalSI> | <decimalExponent>. "E" alone is the
 * exa suffix; "E3" an exponent (the regex tries the suffix first and backtracks when digits follow).
 */
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE]?)|[eE]([+-]?\d+))$/;

/**
 * The value of a Kubernetes quantity (`256Mi`, `1.5Gi`, `500M`, `250m`, `129e6`, `-1.5E-3`) as a
 * number: bytes for memory, cores for CPU. undefined when the text is not a quantity, with the same
 * strictness as the API server: no spaces, no "K", no "mi".
 */
export function parseQuantity(quantity: string | undefined): number | undefined {
  if (quantity === undefined) return undefined;
  const match = QUANTITY.exec(quantity);
  if (!match) return undefined;
  const [, number, binary, decimal, exponent] = match;
  if (binary !== undefined) return Number(number) * (BINARY_SI[binary] ?? 1);
  const power = exponent !== undefined ? Number(exponent) : (DECIMAL_SI[decimal ?? ""] ?? 0);
  // Scale in the text ("1.5" "e-3") so 1.1 * 10^-3 does not turn into 0.0011000000000000001.
  return Number(`${number}e${power}`);
}

/** A memory quantity in bytes ("256Mi" → 268435456), rounded up to a whole byte as the API server does. */
export function parseMemoryBytes(quantity: string | undefined): number | undefined {
  const value = parseQuantity(quantity);
  return value === undefined ? undefined : Math.ceil(value);
}

/** A CPU quantity in millicores ("250m" → 250, "1.5" → 1500), rounded up as MilliValue() does. */
export function parseCpuMillicores(quantity: string | undefined): number | undefined {
  const value = parseQuantity(quantity);
  // toPrecision drops float noise (1.1 * 1000 = 1100.0000000000002) before rounding up.
  return value === undefined ? undefined : Math.ceil(Number((value * 1000).toPrecision(12)));
}
