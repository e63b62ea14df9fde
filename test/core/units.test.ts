import { describe, expect, it } from "vitest";
import {
  formatBinaryBytes,
  formatDecimalBytes,
  formatMemoryQuantity,
  parseCpuMillicores,
  parseMemoryBytes,
  parseQuantity,
} from "../../src/core/units.js";

// Cases from k8s.io/apimachinery/pkg/api/resource quantity_test.go (TestQuantityParse): the
// grammar is upstream's, the expected values are the numbers those quantities stand for.
describe("parseQuantity: the apimachinery grammar", () => {
  it.each([
    ["0", 0],
    ["0n", 0],
    ["0Ki", 0],
    ["1", 1],
    ["1Ki", 1024],
    ["7Mi", 7 * 2 ** 20],
    ["6Gi", 6 * 2 ** 30],
    ["5Ti", 5 * 2 ** 40],
    ["4Pi", 4 * 2 ** 50],
    ["3Ei", 3 * 2 ** 60],
    ["5n", 5e-9],
    ["4u", 4e-6],
    ["3m", 3e-3],
    ["8k", 8e3],
    ["7M", 7e6],
    ["6G", 6e9],
    ["5T", 5e12],
    ["2P", 2e15],
    ["1E", 1e18],
    ["12E", 12e18],
    ["1E-3", 1e-3],
    ["1e3", 1e3],
    ["1E6", 1e6],
    ["1e9", 1e9],
    ["1.2e3", 1200],
    ["1.3E+6", 1.3e6],
    ["0.5e-2", 0.005],
    ["100.035k", 100035],
    ["10.035M", 10035000],
    ["0.001", 0.001],
    ["0.0005k", 0.5],
    ["100.035Ki", 100.035 * 1024],
    ["0.5Mi", 0.5 * 2 ** 20],
    [".001", 0.001],
    [".0001k", 0.1],
    ["1.", 1],
    ["1.G", 1e9],
    ["-1.5Gi", -1.5 * 2 ** 30],
    ["+250m", 0.25],
    ["-.5", -0.5],
  ])("%s is %d", (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 12);
  });

  it.each([
    "",
    "1.1.M",
    "1+1.0M",
    "0.1mi",
    "0.1am",
    "aoeu",
    ".5i",
    "1i",
    "-3.01i",
    "-3.01e-",
    " 1",
    "1 ",
    "1K",
    "1e",
    "1Mi3",
    "Mi",
  ])("%j is not a quantity", (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });

  it("treats undefined (a missing field) as no quantity", () => {
    expect(parseQuantity(undefined)).toBeUndefined();
  });

  it("reads memory in whole bytes and CPU in millicores, rounding up like the API server", () => {
    expect(parseMemoryBytes("256Mi")).toBe(268435456);
    expect(parseMemoryBytes("0.05Gi")).toBe(53687092);
    expect(parseMemoryBytes("129e6")).toBe(129_000_000);
    expect(parseCpuMillicores("250m")).toBe(250);
    expect(parseCpuMillicores("1.5")).toBe(1500);
    expect(parseCpuMillicores("1.1")).toBe(1100);
    expect(parseCpuMillicores("2")).toBe(2000);
    expect(parseCpuMillicores("100u")).toBe(1);
    expect(parseCpuMillicores("lots")).toBeUndefined();
  });
});

describe("byte sizes", () => {
  it.each([
    [0, "0 B"],
    [512, "512 B"],
    [1536, "1.5 KiB"],
    [40 * 2 ** 20, "40 MiB"],
    [40.55 * 2 ** 20, "40.5 MiB"],
    [219 * 2 ** 20, "219 MiB"],
    [3.8 * 2 ** 30, "3.8 GiB"],
    [6 * 2 ** 30, "6 GiB"],
    [1023.9 * 2 ** 20, "1 GiB"],
    [2 * 2 ** 40, "2 TiB"],
  ])("memory %d bytes reads %s (binary, IEC)", (bytes, text) => {
    expect(formatBinaryBytes(bytes)).toBe(text);
  });

  it.each([
    [999, "999 B"],
    [3000, "3 kB"],
    [2_500_000, "2.5 MB"],
    [412_000_000, "412 MB"],
    [2_200_000_000, "2.2 GB"],
    [999_999_999, "1 GB"],
  ])("a download of %d bytes reads %s (decimal, SI)", (bytes, text) => {
    expect(formatDecimalBytes(bytes)).toBe(text);
  });

  it("writes memory the way a manifest takes it", () => {
    expect(formatMemoryQuantity(2 ** 30)).toBe("1Gi");
    expect(formatMemoryQuantity(1.5 * 2 ** 30)).toBe("1536Mi");
    expect(formatMemoryQuantity(100)).toBe("1Mi");
  });
});
