/**
 * Just enough Kubernetes protobuf to read what kubectl's typed clients POST as
 * `application/vnd.kubernetes.protobuf`: the `k8s\0` + runtime.Unknown envelope, and the
 * SelfSubjectAccessReview that `kubectl auth can-i` sends (field numbers from
 * k8s.io/api/authorization/v1/generated.proto). Responses are always JSON, which those clients accept.
 */
import { badRequest } from "./errors.js";

type Field = { wire: 0; value: bigint } | { wire: 2; value: Buffer };

export const protobufContentType = "application/vnd.kubernetes.protobuf";

const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

function readVarint(buf: Buffer, start: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  let pos = start;
  while (pos < buf.length) {
    const byte = buf[pos] ?? 0;
    pos++;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value, next: pos };
    shift += 7n;
  }
  throw badRequest("invalid protobuf: truncated varint");
}

/** Decodes one message into its fields by number (varints and length-delimited fields only). */
function decodeMessage(buf: Buffer): Map<number, Field[]> {
  const fields = new Map<number, Field[]>();
  let pos = 0;
  while (pos < buf.length) {
    const key = readVarint(buf, pos);
    pos = key.next;
    const number = Number(key.value >> 3n);
    const wire = Number(key.value & 7n);
    let field: Field;
    if (wire === 0) {
      const v = readVarint(buf, pos);
      pos = v.next;
      field = { wire: 0, value: v.value };
    } else if (wire === 2) {
      const length = readVarint(buf, pos);
      pos = length.next;
      const end = pos + Number(length.value);
      field = { wire: 2, value: buf.subarray(pos, end) };
      pos = end;
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
      continue;
    } else {
      throw badRequest(`invalid protobuf: unsupported wire type ${wire}`);
    }
    fields.set(number, [...(fields.get(number) ?? []), field]);
  }
  return fields;
}

function bytes(fields: Map<number, Field[]>, number: number): Buffer | undefined {
  const field = fields.get(number)?.at(-1);
  return field?.wire === 2 ? field.value : undefined;
}

function text(fields: Map<number, Field[]>, number: number): string | undefined {
  return bytes(fields, number)?.toString("utf8");
}

function strings(fields: Map<number, Field[]>, names: Record<number, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [number, name] of Object.entries(names)) {
    const value = text(fields, Number(number));
    if (value !== undefined && value !== "") out[name] = value;
  }
  return out;
}

/** Unwraps the envelope: returns the apiVersion, kind and raw message bytes. */
export function decodeEnvelope(body: Buffer): { apiVersion: string; kind: string; raw: Buffer } {
  if (!body.subarray(0, 4).equals(magic)) throw badRequest("invalid protobuf: missing k8s magic prefix");
  const unknown = decodeMessage(body.subarray(4));
  const typeMeta = decodeMessage(bytes(unknown, 1) ?? Buffer.alloc(0));
  return {
    apiVersion: text(typeMeta, 1) ?? "",
    kind: text(typeMeta, 2) ?? "",
    raw: bytes(unknown, 2) ?? Buffer.alloc(0),
  };
}

/** A protobuf SelfSubjectAccessReview as the JSON object the handler expects. */
export function decodeSelfSubjectAccessReview(body: Buffer): Record<string, unknown> {
  const { apiVersion, kind, raw } = decodeEnvelope(body);
  if (kind !== "SelfSubjectAccessReview") throw badRequest(`expected SelfSubjectAccessReview, got ${kind}`);
  const review = decodeMessage(raw);
  const spec = decodeMessage(bytes(review, 2) ?? Buffer.alloc(0));
  const out: Record<string, unknown> = { apiVersion, kind, metadata: {} };
  const resource = bytes(spec, 1);
  const nonResource = bytes(spec, 2);
  const specJson: Record<string, unknown> = {};
  if (resource !== undefined) {
    specJson.resourceAttributes = strings(decodeMessage(resource), {
      1: "namespace",
      2: "verb",
      3: "group",
      4: "version",
      5: "resource",
      6: "subresource",
      7: "name",
    });
  }
  if (nonResource !== undefined)
    specJson.nonResourceAttributes = strings(decodeMessage(nonResource), { 1: "path", 2: "verb" });
  out.spec = specJson;
  return out;
}
