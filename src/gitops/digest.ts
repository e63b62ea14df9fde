/** Content digests as OCI writes them: "sha256:" and 64 lowercase hex digits. */
import { createHash } from "node:crypto";

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}
