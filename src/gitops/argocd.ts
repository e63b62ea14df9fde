/**
 * The Argo CD side of a published artifact: the Application `source` that reads it and the repository
 * Secret that tells Argo CD how to reach the registry. Verified against Argo CD v3.5.1 (the version in
 * versions.json):
 * - `repoURL` is `oci://<host>[:port]/<repository>`; the `oci://` prefix alone makes the source an OCI
 *   source (ApplicationSource.IsOCI, pkg/apis/application/v1alpha1/types.go).
 * - `targetRevision` is a tag or a digest. The repo-server resolves a tag to a digest on every manifest
 *   generation (util/oci/client.go resolveRevision; no tag cache unless the revision is a semver range)
 *   and caches extracted content and rendered manifests by digest, so a republished tag is picked up at
 *   the next refresh without a hard refresh.
 * - Plain HTTP is the repository field `insecureOCIForceHttp: "true"` (util/db/repository_secrets.go →
 *   Repository.InsecureOCIForceHttp → oci.Creds.InsecureHTTPOnly → oras `PlainHTTP`). `insecure` is left
 *   out on purpose: it only skips TLS verification, and with Helm 4 (Argo CD 3.5) it overrides the
 *   plain-HTTP flag (docs/operator-manual/upgrading/3.4-3.5.md).
 * - `type: oci` is explicit: Argo CD 3.4.4+ normalizes an untyped repository to `git` in some code paths
 *   (argoproj/argo-cd#28517, #29058).
 */
import { UsageError } from "../core/errors.js";
import { checkRepository, checkTag } from "./registry.js";

/** How pods reach the lab's registry: the container's name on the `kind` network and its own port. */
export const IN_CLUSTER_REGISTRY = "sre-lab-registry:5000";
export const ARGOCD_NAMESPACE = "argocd";
export const MANIFESTS_REPOSITORY_SECRET = "sre-lab-manifests-repo";

export interface ArgoCdApplicationSource {
  repoURL: string;
  targetRevision: string;
  path: string;
}

export interface ArgoCdRepositorySecret {
  apiVersion: "v1";
  kind: "Secret";
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
  };
  type: "Opaque";
  stringData: {
    name: string;
    type: "oci";
    url: string;
    insecureOCIForceHttp: "true";
  };
}

export interface ArgoCdOciSourceOptions {
  /** What publishArtifact returned (its digest and tag). */
  artifact: { digest: string; tag: string };
  /** e.g. DEFAULT_REPOSITORY ("sre-lab/manifests"). */
  repository: string;
  /** host:port as pods reach the registry. Default IN_CLUSTER_REGISTRY. */
  registryHost?: string;
  /** The folder inside the artifact, e.g. "bootstrap". Default "." (the artifact's root). */
  path?: string;
  /**
   * What `targetRevision` names. "digest" (default): exactly this publication; a new publish changes the
   * Application's spec, which Argo CD reconciles at once. "tag": follows whatever the tag points at,
   * seen at the next refresh (timeout.reconciliation, 120 s + up to 60 s jitter by default).
   */
  revision?: "digest" | "tag";
}

export interface ArgoCdOciSource {
  source: ArgoCdApplicationSource;
  repositorySecret: ArgoCdRepositorySecret;
}

/** The Application source and repository Secret for a published manifests artifact. */
export function argoCdOciSource(options: ArgoCdOciSourceOptions): ArgoCdOciSource {
  const registryHost = options.registryHost ?? IN_CLUSTER_REGISTRY;
  if (!/^[A-Za-z0-9.-]+(?::\d{1,5})?$/.test(registryHost)) {
    throw new UsageError(`not a registry host[:port]: ${JSON.stringify(registryHost)}`, {
      hint: `as pods reach the registry, e.g. "${IN_CLUSTER_REGISTRY}"`,
    });
  }
  const repoURL = `oci://${registryHost}/${checkRepository(options.repository)}`;
  const revision = options.revision ?? "digest";
  const targetRevision =
    revision === "digest" ? checkManifestDigest(options.artifact.digest) : checkTag(options.artifact.tag);
  return {
    source: { repoURL, targetRevision, path: checkSourcePath(options.path ?? ".") },
    repositorySecret: {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: MANIFESTS_REPOSITORY_SECRET,
        namespace: ARGOCD_NAMESPACE,
        labels: {
          "argocd.argoproj.io/secret-type": "repository",
          "app.kubernetes.io/part-of": "sre-lab",
        },
      },
      type: "Opaque",
      stringData: { name: "sre-lab-manifests", type: "oci", url: repoURL, insecureOCIForceHttp: "true" },
    },
  };
}

function checkManifestDigest(digest: string): string {
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) {
    throw new UsageError(`not a manifest digest: ${JSON.stringify(digest)}`, {
      hint: "pass the digest publishArtifact returned",
    });
  }
  return digest;
}

/** Argo CD joins `path` to the extracted artifact and refuses absolute paths and escapes (util/app/path). */
function checkSourcePath(path: string): string {
  const parts = path.split("/");
  if (path === "" || path.startsWith("/") || parts.includes("..") || parts.slice(1).includes("")) {
    throw new UsageError(`not a folder inside the artifact: ${JSON.stringify(path)}`, {
      hint: 'a relative path such as "bootstrap", or "." for the artifact\'s root',
    });
  }
  return path;
}
