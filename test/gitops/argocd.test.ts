// The Argo CD objects for a published artifact: what Argo CD v3.5.1 needs to read it (see the module's
// header for the source files each field was checked in).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { UsageError } from "../../src/core/errors.js";
import { argoCdOciSource } from "../../src/gitops/argocd.js";

const artifact = {
  digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  tag: "0.1.0",
};

describe("argoCdOciSource", () => {
  it("pins the Application to the published digest, reading the registry as pods reach it", () => {
    const { source } = argoCdOciSource({ artifact, repository: "sre-lab/manifests", path: "bootstrap" });
    expect(source).toEqual({
      repoURL: "oci://sre-lab-registry:5000/sre-lab/manifests",
      targetRevision: artifact.digest,
      path: "bootstrap",
    });
  });

  it("can follow the tag instead, and defaults the path to the artifact's root", () => {
    const { source } = argoCdOciSource({ artifact, repository: "sre-lab/manifests", revision: "tag" });
    expect(source).toEqual({
      repoURL: "oci://sre-lab-registry:5000/sre-lab/manifests",
      targetRevision: "0.1.0",
      path: ".",
    });
  });

  it("declares the repository as plain-HTTP OCI, without the `insecure` flag that overrides it under Helm 4", () => {
    const { repositorySecret } = argoCdOciSource({ artifact, repository: "sre-lab/manifests" });
    expect(repositorySecret).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "sre-lab-manifests-repo",
        namespace: "argocd",
        labels: { "argocd.argoproj.io/secret-type": "repository", "app.kubernetes.io/part-of": "sre-lab" },
      },
      type: "Opaque",
      stringData: {
        name: "sre-lab-manifests",
        type: "oci",
        url: "oci://sre-lab-registry:5000/sre-lab/manifests",
        insecureOCIForceHttp: "true",
      },
    });
    expect(repositorySecret.stringData).not.toHaveProperty("insecure");
  });

  it("agrees with the repo-creds template Argo CD is installed with", () => {
    // util/db enrichCredsToRepo: a repository without credentials inherits a matching repo-creds
    // template, and CopyCredentialsFrom *overwrites* insecureOCIForceHttp from it, so the two must agree.
    const file = readFileSync(
      new URL("../../manifests/argocd/registry-repo-creds.yaml", import.meta.url),
      "utf8",
    );
    const template = parseAllDocuments(file)
      .map(
        (doc) =>
          doc.toJS() as {
            metadata?: { labels?: Record<string, string> };
            stringData?: Record<string, string>;
          },
      )
      .find((doc) => doc.metadata?.labels?.["argocd.argoproj.io/secret-type"] === "repo-creds");
    const { repositorySecret } = argoCdOciSource({ artifact, repository: "sre-lab/manifests" });
    expect(template?.stringData?.type).toBe("oci");
    expect(repositorySecret.stringData.url.startsWith(template?.stringData?.url ?? "<none>")).toBe(true);
    expect(template?.stringData?.insecureOCIForceHttp).toBe(repositorySecret.stringData.insecureOCIForceHttp);
  });

  it.each([
    [{ path: "/bootstrap" }, "not a folder inside the artifact"],
    [{ path: "../secrets" }, "not a folder inside the artifact"],
    [{ registryHost: "http://sre-lab-registry:5000" }, "not a registry host[:port]"],
    [{ artifact: { digest: "latest", tag: "0.1.0" } }, "not a manifest digest"],
    [
      { artifact: { digest: artifact.digest, tag: "bad tag" }, revision: "tag" as const },
      "not a valid OCI tag",
    ],
  ])("refuses %j", (overrides, message) => {
    expect(() => argoCdOciSource({ artifact, repository: "sre-lab/manifests", ...overrides })).toThrow(
      UsageError,
    );
    expect(() => argoCdOciSource({ artifact, repository: "sre-lab/manifests", ...overrides })).toThrow(
      message,
    );
  });
});
