/**
 * Publishes the repo's manifests/ directory as an OCI artifact in the lab's registry, in the layout Argo
 * CD's repo-server reads for an `oci://` source (util/oci/client.go, v3.5.1):
 * - an OCI image manifest with exactly one *content* layer, a gzipped tar of media type
 *   `application/vnd.oci.image.layer.v1.tar+gzip` (one of the repo-server's allowed layer types), whose
 *   root is the directory's content; the Application's `path` selects a folder inside it;
 * - a config that is not Helm's (`application/vnd.cncf.helm.config.v1+json` would make Argo CD treat the
 *   artifact as a chart): the OCI empty descriptor `{}` with an `artifactType`, as image-spec v1.1 and
 *   `oras push` do. The empty config blob is pushed too: the registry refuses a manifest whose blobs it
 *   lacks, and Argo CD copies every blob of the artifact.
 *
 * Idempotent: when the tag already holds this content, nothing is written (`unchanged: true`), so a
 * second `sre-lab up` makes only GET/HEAD requests. Content is compared by the digest of the uncompressed
 * tar, recorded as a layer annotation, so even a zlib that compresses differently (another Node version)
 * does not cause a needless push.
 */
import { throwIfAborted, UsageError } from "../core/errors.js";
import { sha256Digest } from "./digest.js";
import { NotARegistryError } from "./errors.js";
import { type PackedDirectory, type PackOptions, packDirectory } from "./pack.js";
import {
  checkRepository,
  checkTag,
  createRegistryClient,
  OCI_MANIFEST_MEDIA_TYPE,
  type RegistryClient,
  type StoredManifest,
} from "./registry.js";

export { OCI_MANIFEST_MEDIA_TYPE } from "./registry.js";

/** Where the CLI publishes, as the host sees the registry container (kind's local-registry pattern). */
export const DEFAULT_REGISTRY = "http://127.0.0.1:5001";
export const DEFAULT_REPOSITORY = "sre-lab/manifests";

/** Accepted by Argo CD's repo-server by default (`--oci-layer-media-types`), and by every version since 3.1. */
export const MANIFESTS_LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";
/** image-spec v1.1: an artifact with the empty config says what it is in `artifactType`. */
export const MANIFESTS_ARTIFACT_TYPE = "application/vnd.sre-lab.manifests.v1";
/** The OCI empty descriptor (image-spec v1.1 "Guidance for an Empty Descriptor"): the two bytes `{}`. */
export const OCI_EMPTY_CONFIG = {
  mediaType: "application/vnd.oci.empty.v1+json",
  digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
  size: 2,
} as const;
const OCI_EMPTY_CONFIG_BYTES = Buffer.from("{}");
/** Layer annotation: sha256 of the uncompressed tar. */
export const CONTENT_DIGEST_ANNOTATION = "dev.sre-lab.content.digest";
/** The file name `oras pull` gives the layer (it skips layers without a title). */
const LAYER_TITLE = "manifests.tar.gz";

export interface PublishOptions {
  /**
   * The registry: its base URL as the host sees it (e.g. DEFAULT_REGISTRY; fetch, signal and timeoutMs
   * then apply), or a client already made for it (the context's, in flows).
   */
  registry: string | RegistryClient;
  /** e.g. DEFAULT_REPOSITORY. */
  repository: string;
  tag: string;
  /** The directory to publish; its content becomes the artifact's root. */
  dir: string;
  exclude?: PackOptions["exclude"];
  /**
   * Manifest annotations; Argo CD shows org.opencontainers.image.{title,description,version,revision,
   * source,url,authors,created} in its UI (docs/user-guide/oci.md). Part of the digest: keep them stable
   * (no timestamps) or every publish is a change.
   */
  annotations?: Readonly<Record<string, string>>;
  /** Default globalThis.fetch; for tests. */
  fetch?: typeof fetch;
  /** Fires on Ctrl-C: the request in flight is aborted and InterruptedError thrown. */
  signal?: AbortSignal;
  /** Deadline of each registry request. Default 30 s. */
  timeoutMs?: number;
}

export interface PublishResult {
  /** Digest of the manifest the tag points at after publishing: the immutable revision for Argo CD. */
  digest: string;
  tag: string;
  /** e.g. "127.0.0.1:5001/sre-lab/manifests:0.1.0@sha256:…", as the host reaches it. */
  reference: string;
  /** True when the tag already held this content and nothing was written. */
  unchanged: boolean;
  /** Blobs uploaded by this call (0 when unchanged or when the registry had them). */
  uploadedBlobs: number;
  /** Files in the artifact, in archive order. */
  files: string[];
}

/** Packs `dir` and pushes it to `registry/repository:tag`, writing nothing if the tag already has it. */
export async function publishArtifact(options: PublishOptions): Promise<PublishResult> {
  const repository = checkRepository(options.repository);
  const tag = checkTag(options.tag);
  const annotations = checkAnnotations(options.annotations ?? {});
  const client =
    typeof options.registry === "string"
      ? createRegistryClient({
          registry: options.registry,
          ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        })
      : options.registry;
  throwIfAborted(options.signal);
  // Pack first: a directory that cannot be published is the user's to fix, registry up or not.
  const packed = await packDirectory(
    options.dir,
    options.exclude === undefined ? {} : { exclude: options.exclude },
  );
  throwIfAborted(options.signal);
  const manifest = buildManifest(
    { digest: packed.digest, size: packed.bytes.length, contentDigest: packed.contentDigest },
    annotations,
  );
  const digest = sha256Digest(manifest);
  const result = (finalDigest: string, unchanged: boolean, uploadedBlobs: number): PublishResult => ({
    digest: finalDigest,
    tag,
    reference: `${client.host}/${repository}:${tag}@${finalDigest}`,
    unchanged,
    uploadedBlobs,
    files: packed.files,
  });

  await client.ping();
  const current = await client.getManifest(repository, tag);
  if (
    current !== undefined &&
    (current.digest === digest || holdsSameContent(current, packed, annotations))
  ) {
    return result(current.digest, true, 0);
  }

  let uploadedBlobs = 0;
  for (const blob of [
    { digest: OCI_EMPTY_CONFIG.digest, bytes: OCI_EMPTY_CONFIG_BYTES },
    { digest: packed.digest, bytes: packed.bytes },
  ]) {
    if (await client.blobExists(repository, blob.digest)) continue;
    await client.uploadBlob(repository, blob.digest, blob.bytes);
    uploadedBlobs++;
  }
  const stored = await client.putManifest(repository, tag, OCI_MANIFEST_MEDIA_TYPE, manifest);
  if (stored !== digest) {
    // A registry that rewrites manifests would make the digest we hand Argo CD point at nothing.
    throw new NotARegistryError(client.registry, `it stored the manifest as ${stored}, not ${digest}`, {
      hint: "the lab needs a registry that keeps manifests byte for byte, as the `registry` image does",
    });
  }
  return result(digest, false, uploadedBlobs);
}

export interface ManifestsLayer {
  /** Digest and size of the gzipped tar. */
  digest: string;
  size: number;
  /** Digest of the uncompressed tar. */
  contentDigest: string;
}

/** The artifact's manifest, serialized the same way every time (fixed key order, no whitespace). */
export function buildManifest(
  layer: ManifestsLayer,
  annotations: Readonly<Record<string, string>> = {},
): Buffer {
  const sorted = Object.fromEntries(
    Object.entries(annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_MEDIA_TYPE,
    artifactType: MANIFESTS_ARTIFACT_TYPE,
    config: OCI_EMPTY_CONFIG,
    layers: [
      {
        mediaType: MANIFESTS_LAYER_MEDIA_TYPE,
        digest: layer.digest,
        size: layer.size,
        annotations: {
          [CONTENT_DIGEST_ANNOTATION]: layer.contentDigest,
          "org.opencontainers.image.title": LAYER_TITLE,
        },
      },
    ],
    ...(Object.keys(sorted).length === 0 ? {} : { annotations: sorted }),
  };
  return Buffer.from(JSON.stringify(manifest), "utf8");
}

/**
 * True when `current` is what we would write except for the compressed bytes: same content digest, and
 * rebuilding our manifest around its layer reproduces it exactly (so annotations and layout match too).
 */
function holdsSameContent(
  current: StoredManifest,
  packed: PackedDirectory,
  annotations: Readonly<Record<string, string>>,
): boolean {
  if (current.mediaType !== OCI_MANIFEST_MEDIA_TYPE) return false;
  let layer: unknown;
  try {
    layer = (JSON.parse(current.bytes.toString("utf8")) as { layers?: unknown[] }).layers?.[0];
  } catch {
    return false;
  }
  const { digest, size, annotations: layerAnnotations } = (layer ?? {}) as Record<string, unknown>;
  if (typeof digest !== "string" || typeof size !== "number") return false;
  if (
    (layerAnnotations as Record<string, unknown> | undefined)?.[CONTENT_DIGEST_ANNOTATION] !==
    packed.contentDigest
  ) {
    return false;
  }
  const rebuilt = buildManifest({ digest, size, contentDigest: packed.contentDigest }, annotations);
  return sha256Digest(rebuilt) === current.digest;
}

function checkAnnotations(annotations: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  for (const [key, value] of Object.entries(annotations)) {
    if (key === "" || typeof value !== "string") {
      throw new UsageError(`an annotation needs a non-empty key and a string value: ${JSON.stringify(key)}`);
    }
  }
  return annotations;
}
