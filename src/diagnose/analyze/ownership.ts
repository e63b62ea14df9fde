/**
 * Who owns the object decides how a fix is applied. A live `kubectl set/patch/edit` of a workload
 * that Argo CD manages is reverted by self-heal (and lost at the next sync without it); one that a
 * Helm release owns is overwritten by the next `helm upgrade`. So for those the finding says where
 * the change belongs — the manifest in Git (in the lab: the files under manifests/<app>/, then
 * `sre-lab sync`), the release's values — and keeps only the commands that do not change the
 * workload (checks, logs, objects the manifest does not hold).
 */
import type { Finding } from "../types.js";
import type { PodFacts } from "./facts.js";
import { workloadRef } from "./kubectl.js";

/** The lab's Argo CD applications, each deployed from manifests/<name>/. */
const LAB_APPS = new Set(["target-app", "ollama", "monitoring", "metrics-server"]);

/** A command that changes the workload's live spec (which its owner would undo). */
function changesWorkload(command: string, pod: PodFacts): boolean {
  const ref = workloadRef(pod);
  return (
    /^kubectl (?:-n \S+ )?(?:set (?:resources|env|image)|patch|edit|scale|label|annotate|apply)\b/.test(
      command,
    ) &&
    command.includes(ref) &&
    !command.endsWith(" --list")
  );
}

export function applyOwnership(finding: Finding, pod: PodFacts): Finding {
  const management = pod.management;
  const commands = finding.commands ?? [];
  if (management.tool === "kubectl" || finding.code === "Healthy") return { ...finding, commands };
  const live = commands.filter((c) => changesWorkload(c, pod));
  const evidence = finding.evidence.includes(management.evidence)
    ? finding.evidence
    : [...finding.evidence, management.evidence];
  const kept = commands.filter((c) => !live.includes(c));
  const object = `${pod.workload.kind} ${pod.workload.name}`;

  if (management.tool === "argocd") {
    const lab =
      LAB_APPS.has(management.app) && (pod.cluster === undefined || pod.cluster.includes("sre-lab"));
    const where = lab
      ? `the manifests under manifests/${management.app}/ in this repository, then publish them with sre-lab sync`
      : `the Git source of Argo CD application ${management.app}, then let it sync (argocd app sync ${management.app})`;
    const note = `${object} is managed by Argo CD application ${management.app}: a kubectl set/patch/edit would be reverted by self-heal, so make the change in ${where}.${
      live.length > 0 ? ` The change, as the live command would make it: ${live.join("; ")}.` : ""
    }`;
    return {
      ...finding,
      evidence,
      remediation: `${note} ${finding.remediation}`,
      commands:
        live.length > 0 ? [...kept, lab ? "sre-lab sync" : `argocd app sync ${management.app}`] : kept,
    };
  }

  const note = `${object} belongs to Helm release ${management.release} (namespace ${management.releaseNamespace}${
    management.chart ? `, chart ${management.chart}` : ""
  }): the next helm upgrade overwrites a kubectl change, so set the chart's value for it (see helm get values) and upgrade the release with --reuse-values.${
    live.length > 0 ? ` The change, as the live command would make it: ${live.join("; ")}.` : ""
  }`;
  return {
    ...finding,
    evidence,
    remediation: `${note} ${finding.remediation}`,
    commands:
      live.length > 0
        ? [...kept, `helm -n ${management.releaseNamespace} get values ${management.release} --all`]
        : kept,
  };
}
