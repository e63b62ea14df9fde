/**
 * Where chaos may act: the write guard (src/lab/write-guard.ts) with chaos's words. The lab passes
 * (context kind-sre-lab, or a cluster whose sre-lab-app namespace is labelled as the lab's); a
 * production-looking context or API server needs --force even when labelled; any other context
 * needs --yes, --force or its name typed on a terminal.
 */

import type { KubeClient } from "../kube/client.js";
import { NAMESPACES } from "../lab/config.js";
import { type GuardVerdict, guardClusterWrite, kubeWriteTarget } from "../lab/write-guard.js";
import type { Context } from "../runtime/context.js";

export { LAB_NAMESPACE_LABEL, productionWord } from "../lab/write-guard.js";

export type SafetyVerdict = GuardVerdict;

export interface ChaosConsent {
  force: boolean;
  yes?: boolean;
}

/** Throws unless chaos may act on this cluster; warnings are printed through ctx.out. */
export async function checkChaosTarget(
  ctx: Pick<Context, "out" | "ask">,
  kube: KubeClient,
  consent: ChaosConsent,
  command = "sre-lab chaos",
  extraWrites: string[] = [],
): Promise<SafetyVerdict> {
  return guardClusterWrite(
    ctx,
    kubeWriteTarget(kube),
    {
      command,
      verb: "break",
      writes: [
        `drill Deployments, ConfigMaps and Pods in namespace ${NAMESPACES.app}; edits to the lab's own Deployment there`,
        "node-failure: stops a kind node container (docker stop) of the lab",
        ...extraWrites,
      ],
    },
    { yes: consent.yes === true, force: consent.force },
  );
}
