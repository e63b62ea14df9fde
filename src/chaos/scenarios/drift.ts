/**
 * drift: a field of the Argo CD-managed Deployment sre-lab-app/target-app is changed by hand, as a
 * `kubectl edit` would, and the time until Argo CD's self-heal puts the Git value back is measured.
 *
 * This is the one scenario that writes to something Argo CD manages, and it does so to be reverted.
 * The field is spec.revisionHistoryLimit: it is in Git (so Argo CD's diff sees the change; a field
 * that is not in Git, such as an extra annotation, is ignored by the diff and never healed) and
 * changing it restarts no pod. The original value rides along in an annotation, which Argo CD leaves
 * alone for the same reason, so `--revert` and `chaos reset` can restore it from another process.
 */

import { formatDuration } from "../../core/duration.js";
import { DeadlineError, SreLabError } from "../../core/errors.js";
import type { Application, Deployment } from "../../kube/objects.js";
import { NAMESPACES } from "../../lab/config.js";
import { FIELD_MANAGER, notSeen, TARGET } from "../lab.js";
import type { ChaosRun, Injection, Scenario } from "../types.js";

export const DRIFT_ANNOTATION = "sre-lab.dev/chaos-drift";
export const SKIP_RECONCILE = "argocd.argoproj.io/skip-reconcile";
const FIELD = "spec.revisionHistoryLimit";
/** Kubernetes' default when the field is not set. */
const DEFAULT_HISTORY = 10;

interface DriftRecord {
  field: typeof FIELD;
  original: number;
  drifted: number;
}

const deploymentRef = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  name: TARGET.deployment,
  namespace: TARGET.namespace,
} as const;

export const driftScenario: Scenario = {
  name: "drift",
  breaks: `the Argo CD-managed Deployment target-app: ${FIELD} is changed by hand; Argo CD's self-heal should undo it`,
  expectedFinding: undefined,
  goodDiagnosis:
    "No pod breaks. Argo CD reports target-app OutOfSync, then self-heals it back to the Git value; the drill reports how long that took.",
  verifyTimeoutMs: 180_000,
  usesDocker: false,
  plan: () => [
    `change ${FIELD} of Deployment ${TARGET.namespace}/${TARGET.deployment} by hand (field manager ${FIELD_MANAGER}), as kubectl edit would`,
  ],

  async inject(run) {
    const application = await run.kube.find<Application>({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      name: TARGET.application,
      namespace: NAMESPACES.argocd,
    });
    if (!application) {
      throw new SreLabError(`no Argo CD Application ${NAMESPACES.argocd}/${TARGET.application}`, {
        hint: "the drift drill measures Argo CD's self-heal; is the lab up? (sre-lab status)",
      });
    }
    if (application.metadata?.annotations?.[SKIP_RECONCILE] === "true") {
      throw new SreLabError(
        `Argo CD is told to skip Application ${TARGET.application} (${SKIP_RECONCILE}: "true")`,
        {
          hint: `nothing would heal the drift; remove the annotation (kubectl -n ${NAMESPACES.argocd} annotate application ${TARGET.application} ${SKIP_RECONCILE}-)`,
        },
      );
    }
    if (application.spec?.syncPolicy?.automated?.selfHeal !== true) {
      throw new SreLabError(
        `self-heal is off for Application ${TARGET.application}, so nothing would undo the drift`,
        {
          hint: "the lab's Applications set syncPolicy.automated.selfHeal: true; sre-lab sync restores them",
        },
      );
    }
    const deployment = await run.kube.get<Deployment>(deploymentRef);
    if (deployment.metadata?.annotations?.[DRIFT_ANNOTATION]) {
      throw new SreLabError("an earlier drift drill is still recorded on Deployment target-app", {
        hint: "revert it first: sre-lab chaos drift --revert",
      });
    }
    const original = deployment.spec?.revisionHistoryLimit ?? DEFAULT_HISTORY;
    const record: DriftRecord = { field: FIELD, original, drifted: original + 5 };
    await run.kube.apply(
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: {
          name: TARGET.deployment,
          namespace: TARGET.namespace,
          annotations: { [DRIFT_ANNOTATION]: JSON.stringify(record) },
        },
        spec: { revisionHistoryLimit: record.drifted },
      },
      { fieldManager: FIELD_MANAGER, force: true },
    );
    const changedAt = run.now();
    const injection: Injection = {
      actions: [
        `changed ${FIELD} of Deployment ${TARGET.namespace}/${TARGET.deployment} from ${original} to ${record.drifted} by hand (field manager ${FIELD_MANAGER}), as kubectl edit would`,
      ],
      async verify(run, deadlineAt) {
        const what = `Argo CD to put ${FIELD} back to ${original}`;
        let last: Deployment | undefined;
        try {
          await run.kube.waitFor<Deployment, true>(
            "apps/v1",
            "Deployment",
            { namespace: TARGET.namespace, fieldSelector: `metadata.name=${TARGET.deployment}` },
            (items) => {
              last = items[0];
              return last && (last.spec?.revisionHistoryLimit ?? DEFAULT_HISTORY) === original
                ? true
                : undefined;
            },
            { timeoutMs: Math.max(1, deadlineAt - run.now()), what },
          );
        } catch (error) {
          if (error instanceof DeadlineError) {
            throw notSeen(what, [
              `${FIELD} is still ${last?.spec?.revisionHistoryLimit ?? "?"} after ${formatDuration(run.now() - changedAt)}`,
              await describeApplication(run),
            ]);
          }
          throw error;
        }
        const healedMs = run.now() - changedAt;
        return {
          evidence: [
            `Argo CD self-healed ${FIELD} from ${record.drifted} back to ${original} ${formatSeconds(healedMs)} after the edit`,
            await describeApplication(run),
          ],
          measurements: { selfHealMs: healedMs },
        };
      },
      revert: (run) => restoreDrift(run),
    };
    return injection;
  },

  revert: (run) => restoreDrift(run),
};

/** Restores the recorded value when Argo CD has not, and removes the drill's annotation. */
async function restoreDrift(run: ChaosRun): Promise<string[]> {
  const deployment = await run.kube.find<Deployment>(deploymentRef);
  const text = deployment?.metadata?.annotations?.[DRIFT_ANNOTATION];
  if (!deployment || !text) return [];
  let record: DriftRecord | undefined;
  try {
    record = JSON.parse(text) as DriftRecord;
  } catch {
    record = undefined;
  }
  const current = deployment.spec?.revisionHistoryLimit ?? DEFAULT_HISTORY;
  const healed = !record || current === record.original;
  // Applying without the annotation drops it (this manager owned it alone). When Argo CD has not
  // healed the field, this manager still owns it, so it must be applied with the Git value.
  const after = await run.kube.apply<Deployment>(
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: TARGET.deployment, namespace: TARGET.namespace },
      ...(healed || !record ? {} : { spec: { revisionHistoryLimit: record.original } }),
    },
    { fieldManager: FIELD_MANAGER, force: true },
  );
  if (after.metadata?.annotations?.[DRIFT_ANNOTATION] !== undefined) {
    // Someone else also claims the annotation (server-side apply keeps co-owned fields).
    throw new SreLabError(
      `the drift drill's annotation on Deployment ${TARGET.namespace}/${TARGET.deployment} is also owned by another field manager`,
      {
        hint: `remove it by hand: kubectl -n ${TARGET.namespace} annotate deployment ${TARGET.deployment} ${DRIFT_ANNOTATION}-`,
      },
    );
  }
  return healed
    ? [
        `removed the drill's annotation ${DRIFT_ANNOTATION} from Deployment ${TARGET.namespace}/${TARGET.deployment}`,
      ]
    : [
        `set ${FIELD} of Deployment ${TARGET.namespace}/${TARGET.deployment} back to ${record?.original} (Argo CD had not) and removed the drill's annotation`,
      ];
}

async function describeApplication(run: ChaosRun): Promise<string> {
  const app = await run.kube
    .find<Application>({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      name: TARGET.application,
      namespace: NAMESPACES.argocd,
    })
    .catch(() => undefined);
  if (!app) return `Application ${TARGET.application}: not found`;
  const operation = app.status?.operationState;
  return `Application ${TARGET.application}: sync ${app.status?.sync?.status ?? "Unknown"}, health ${
    app.status?.health?.status ?? "Unknown"
  }${operation?.phase ? `, last operation ${operation.phase}${operation.message ? ` (${operation.message})` : ""}` : ""}`;
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
