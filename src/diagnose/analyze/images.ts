/**
 * ImagePullFailed: ErrImagePull, ImagePullBackOff, InvalidImageName (and ErrImageNeverPull). The
 * kubelet's "Failed to pull image" event holds the registry's answer, which decides the fix:
 * a tag that does not exist, missing credentials, an unreachable registry, a bad reference.
 */
import { type Candidate, candidate, withContainer } from "./candidate.js";
import { describeEvent, type PodEvent } from "./events.js";
import { type ContainerFacts, containerPath, type PodFacts, statusPath } from "./facts.js";
import { kubectl, workloadRef } from "./kubectl.js";

const PULL_REASONS = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
  "RegistryUnavailable",
]);

type PullCause =
  | "denied-or-missing"
  | "not-found"
  | "unauthorized"
  | "network"
  | "invalid"
  | "rate-limit"
  | "platform"
  | "never-pull"
  | "unknown";

export function classifyPullError(message: string): PullCause {
  if (
    /invalid reference format|couldn't parse image|InvalidImageName|Failed to apply default image tag/i.test(
      message,
    )
  )
    return "invalid";
  if (/ErrImageNeverPull|pull policy (?:is )?Never/i.test(message)) return "never-pull";
  if (/toomanyrequests|rate limit/i.test(message)) return "rate-limit";
  if (/no match for platform|platform .* not found|does not match the specified platform/i.test(message))
    return "platform";
  // containerd and Docker say the same for a repository that does not exist and for one that needs
  // credentials: "pull access denied, repository does not exist or may require authorization".
  if (/repository does not exist or may require/i.test(message)) return "denied-or-missing";
  if (
    /unauthorized|authentication required|access denied|pull access denied|insufficient_scope|denied:|403 Forbidden|\b401\b/i.test(
      message,
    )
  )
    return "unauthorized";
  if (/not found|manifest unknown|NotFound|does not exist/i.test(message)) return "not-found";
  if (
    /no such host|i\/o timeout|connection refused|TLS handshake|dial tcp|context deadline exceeded|network is unreachable|x509/i.test(
      message,
    )
  )
    return "network";
  return "unknown";
}

export function imagesAnalyzer(pod: PodFacts): Candidate[] {
  const out: Candidate[] = [];
  for (const container of pod.containers) {
    const waiting = container.status?.state.waiting;
    const pullEvents = eventsFor(pod, container).filter(
      (e) =>
        (e.reason === "Failed" || e.reason === "InspectFailed" || e.reason === "ErrImageNeverPull") &&
        /image|ErrImage|ImagePull/i.test(e.message),
    );
    const waitingOnPull = waiting?.reason !== undefined && PULL_REASONS.has(waiting.reason);
    const notRunning = !container.status?.state.running && !container.status?.state.terminated;
    if (
      !waitingOnPull &&
      !(
        notRunning &&
        pullEvents.some((e) => /Failed to pull image|ErrImagePull|InvalidImageName/.test(e.message))
      )
    )
      continue;

    const detail = pullEvents.find((e) =>
      /^Failed to pull image|Failed to apply default image tag|couldn't parse/i.test(e.message),
    );
    const cause = classifyPullError(
      `${detail?.message ?? ""} ${waiting?.message ?? ""} ${waiting?.reason ?? ""}`,
    );
    const evidence: string[] = [];
    if (waiting?.reason) {
      evidence.push(
        `${statusPath(container)}.state.waiting.reason: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ""}`,
      );
    }
    for (const event of sortDetailFirst(pullEvents).slice(0, 3)) evidence.push(describeEvent(event));
    const backOff = eventsFor(pod, container).find(
      (e) => e.reason === "BackOff" && /pulling image/i.test(e.message),
    );
    if (backOff) evidence.push(describeEvent(backOff));
    if (container.image) evidence.push(`${containerPath(container)}.image: ${container.image}`);

    const image = container.image ?? "<image>";
    const init = container.kind === "init" ? "init container " : "";
    // The registry's own words, kept in the summary so they survive any shortening of evidence.
    const said =
      cause === "platform"
        ? ` ("no match for platform in manifest"${pod.node?.labels["kubernetes.io/arch"] ? `; node ${pod.node.name ?? pod.nodeName ?? ""} is ${pod.node.labels["kubernetes.io/arch"]}` : ""})`
        : cause === "denied-or-missing"
          ? ' ("pull access denied, repository does not exist or may require authorization")'
          : "";
    out.push(
      candidate(
        withContainer(
          {
            code: "ImagePullFailed",
            severity: "critical",
            summary: `The kubelet cannot pull image ${image} for ${init}${container.name}: ${CAUSE_TEXT[cause]}${said}.`,
            evidence,
            remediation: pullRemedy(pod, container, image, cause),
            commands: pullCommands(pod, image, cause),
          },
          container.name,
        ),
      ),
    );
  }
  return out;
}

const CAUSE_TEXT: Record<PullCause, string> = {
  "denied-or-missing":
    "the registry answers the same for a repository that does not exist and one that needs credentials",
  "not-found": "the registry says the image or tag does not exist",
  unauthorized: "the registry refused access (missing or wrong pull credentials)",
  network: "the registry cannot be reached from the node",
  invalid: "the image reference is not valid",
  "rate-limit": "the registry rate-limits pulls",
  platform: "the image has no variant for the node's architecture",
  "never-pull": "imagePullPolicy is Never and the image is not on the node",
  unknown: "the pull keeps failing",
};

function pullRemedy(pod: PodFacts, container: ContainerFacts, image: string, cause: PullCause): string {
  const setImage = `${kubectl(pod)} set image ${workloadRef(pod)} ${container.name}=${repository(image)}:<existing-tag>`;
  const registry = registryOf(image);
  switch (cause) {
    case "denied-or-missing":
      return `Tell the two apart in this order: (1) list what exists — docker manifest inspect ${image} from a machine logged in to ${registry}, or the registry's UI for ${repository(image)}; (2) check the name (a typo, a missing organisation, a short name that means docker.io/library/${repository(image).split("/").pop() ?? ""}); (3) only then credentials: a private repository needs imagePullSecrets on ${workloadRef(pod)} or its service account (kubectl create secret docker-registry, then reference it).`;
    case "not-found":
      return `Check which tags exist (docker manifest inspect ${image}, or the registry UI for ${repository(image)}) and point the container at one that does: ${setImage}; or push the missing tag.`;
    case "unauthorized":
      return `Give the pod pull credentials for ${registry}: ${kubectl(pod)} create secret docker-registry regcred --docker-server=${registry} --docker-username=<user> --docker-password=<token>, then add imagePullSecrets: [{name: regcred}] to ${workloadRef(pod)} (or to its service account).`;
    case "network":
      return `Make ${registry} reachable from node ${pod.nodeName ?? "<node>"} (DNS, proxy, firewall, registry certificate), or use a registry mirror the cluster can reach.`;
    case "invalid":
      return `Fix ${containerPath(container)}.image (${image}): a lowercase repository and at most one :tag or @digest, e.g. ${setImage}.`;
    case "rate-limit":
      return `Authenticate pulls from ${registry} (imagePullSecrets) or mirror ${image} into your own registry.`;
    case "platform":
      return `Publish ${image} for the node's architecture (docker buildx build --platform linux/amd64,linux/arm64 …) or pin the pod to matching nodes with nodeSelector kubernetes.io/arch.`;
    case "never-pull":
      return `Load the image onto the node (kind load docker-image ${image}) or set imagePullPolicy: IfNotPresent.`;
    default:
      return `${kubectl(pod)} describe pod ${pod.name} shows the registry's answer; verify the image exists and is pullable: docker pull ${image}.`;
  }
}

/** Checks that tell the causes apart, with the real image and node names. */
function pullCommands(pod: PodFacts, image: string, cause: PullCause): string[] {
  const inspectImage = `docker manifest inspect ${image}`;
  const secrets = `kubectl -n ${pod.namespace} get pod ${pod.name} -o jsonpath='{.spec.imagePullSecrets}'`;
  switch (cause) {
    case "denied-or-missing":
    case "unauthorized":
      return [inspectImage, secrets];
    case "not-found":
      return [inspectImage];
    case "platform":
      return [
        inspectImage,
        ...(pod.nodeName
          ? [`kubectl get node ${pod.nodeName} -o jsonpath='{.status.nodeInfo.architecture}'`]
          : []),
      ];
    case "never-pull": {
      const kind = pod.cluster?.startsWith("kind-") ? pod.cluster.slice(5) : undefined;
      return kind ? [`kind load docker-image ${image} --name ${kind}`] : [];
    }
    default:
      return [`${kubectl(pod)} describe pod ${pod.name}`];
  }
}

function eventsFor(pod: PodFacts, container: ContainerFacts): PodEvent[] {
  if (container.events.length > 0) return container.events;
  // Events without a fieldPath: attribute them when they name the image or the container.
  return pod.events.filter(
    (e) =>
      e.container === undefined &&
      ((container.image !== undefined && e.message.includes(container.image)) || pod.containers.length === 1),
  );
}

function sortDetailFirst(events: PodEvent[]): PodEvent[] {
  return [...events].sort((a, b) => detailRank(a) - detailRank(b));
}

function detailRank(event: PodEvent): number {
  return /^Failed to pull image|Failed to apply default image tag/.test(event.message) ? 0 : 1;
}

/** `ghcr.io/acme/storefront:v2.14.0` → `ghcr.io/acme/storefront` (digests and tags removed). */
export function repository(image: string): string {
  const at = image.indexOf("@");
  const withoutDigest = at === -1 ? image : image.slice(0, at);
  const slash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  return colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** The registry host of an image reference (docker.io when none is given). */
export function registryOf(image: string): string {
  const first = image.split("/")[0] ?? "";
  return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")
    ? first
    : "docker.io";
}
