#!/usr/bin/env bash
# The real thing, end to end, on a machine with Docker: doctor → up → status → open →
# sync --context kind-sre-lab → chaos oom → diagnose --no-ai → down → nothing left behind → down
# again. Each step asserts its exit code and the output a user relies on. Without a Docker daemon
# it prints one "skipped" line and exits 0, unless E2E_REQUIRE_DOCKER=1 (CI), where that is a
# failure (see test/e2e/README.md).
#
#   test/e2e/run.sh              # builds dist/ and runs bin/sre-lab.js
#   SRE_LAB=sre-lab test/e2e/run.sh   # runs an installed sre-lab instead
#   E2E_KEEP=1 test/e2e/run.sh   # leave the lab running when a step fails (to look at it)
#   E2E_MODEL_CACHE=DIR test/e2e/run.sh   # model cache for up/down (default: up's default)
#   E2E_MODEL=smollm2:135m test/e2e/run.sh   # the model Ollama pulls (default phi3:mini); up never waits for it
#   E2E_ARTIFACTS=DIR test/e2e/run.sh   # keep status.json and diagnose.json there (CI uploads them)
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

# GNU timeout (gtimeout on macOS with coreutils); without either, steps run without a deadline.
deadline_tool=""
if command -v timeout >/dev/null 2>&1; then deadline_tool=timeout
elif command -v gtimeout >/dev/null 2>&1; then deadline_tool=gtimeout
fi
# with_deadline DURATION COMMAND...: exit 124 when COMMAND runs past DURATION.
with_deadline() {
  local duration="$1"
  shift
  if [ -n "$deadline_tool" ]; then "$deadline_tool" --foreground "$duration" "$@"; else "$@"; fi
}

# --- Is there a Docker daemon at all? -----------------------------------------------------------
# skip REASON: without Docker there is nothing to run (exit 0), unless the caller requires Docker.
skip() {
  if [ "${E2E_REQUIRE_DOCKER:-0}" = 1 ]; then
    echo "e2e: FAIL: no Docker daemon answers ($1) and E2E_REQUIRE_DOCKER=1" >&2
    exit 1
  fi
  echo "e2e: skipped: no Docker daemon answers ($1)"
  exit 0
}
if ! command -v docker >/dev/null 2>&1; then
  skip "docker is not installed"
fi
docker_out="$(with_deadline 20s docker info --format '{{.ServerVersion}}' 2>&1)"
docker_code=$?
if [ "$docker_code" != 0 ] || ! printf '%s\n' "$docker_out" | grep -qE '^[0-9]+\.[0-9]+'; then
  reason="$(printf '%s\n' "$docker_out" | grep -vE '^[[:space:]]*$|^[0-9]+\.[0-9]+' | head -n 1)"
  [ "$docker_code" = 124 ] && reason="docker info did not answer within 20s"
  skip "${reason:-docker info exited with code $docker_code}"
fi

# --- Set-up ---------------------------------------------------------------------------------------
for tool in kind kubectl node; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "e2e: FAIL: $tool is not on PATH (test/e2e/README.md lists what the run needs)" >&2
    exit 1
  }
done
if kind get clusters 2>/dev/null | grep -qx sre-lab; then
  echo "e2e: FAIL: a kind cluster named sre-lab already exists; the run would replace it." >&2
  echo "e2e: delete it first (sre-lab down), then run again" >&2
  exit 1
fi

if [ -n "${SRE_LAB:-}" ]; then
  read -r -a cli <<<"$SRE_LAB"
else
  echo "e2e: building dist/"
  node scripts/build.mjs || { echo "e2e: FAIL: the build failed" >&2; exit 1; }
  cli=(node "$root/bin/sre-lab.js")
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/sre-lab-e2e.XXXXXX")"
# A kubeconfig of its own, so the run never edits the user's ~/.kube/config.
export KUBECONFIG="$work/kubeconfig"
export NO_COLOR=1
model_cache="${E2E_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sre-lab/ollama}"
model="${E2E_MODEL:-phi3:mini}"
artifacts="${E2E_ARTIFACTS:-}"
[ -z "$artifacts" ] || mkdir -p "$artifacts"
started_at=$(date +%s)
step_name=""
lab_created=0

log() { echo "e2e: $*"; }

fail() {
  echo "e2e: FAIL [$step_name]: $*" >&2
  for f in "$work/stdout" "$work/stderr"; do
    if [ -s "$f" ]; then
      echo "---- $(basename "$f") (last 40 lines) ----" >&2
      tail -n 40 "$f" >&2
    fi
  done
  exit 1
}

cleanup() {
  local code=$?
  if [ "$lab_created" = 1 ] && [ "$code" != 0 ]; then
    if [ "${E2E_KEEP:-0}" = 1 ]; then
      log "E2E_KEEP=1: the lab is left running (KUBECONFIG=$KUBECONFIG); remove it with: sre-lab down"
    else
      log "removing the lab after the failure (E2E_KEEP=1 keeps it)"
      "${cli[@]}" down --model-cache "$model_cache" >/dev/null 2>&1 || log "cleanup: sre-lab down failed; run it yourself"
    fi
  fi
  [ "${E2E_KEEP:-0}" = 1 ] || rm -rf "$work"
  exit "$code"
}
trap cleanup EXIT

# run NAME EXPECTED_EXIT -- ARGS...: runs sre-lab with a deadline, captures stdout/stderr.
run() {
  step_name="$1"
  local expected="$2" deadline="$3"
  shift 4
  log "step: sre-lab $*"
  local code=0
  with_deadline "$deadline" "${cli[@]}" "$@" >"$work/stdout" 2>"$work/stderr" || code=$?
  [ "$code" = 124 ] && fail "did not finish within $deadline"
  [ "$code" = "$expected" ] || fail "exit code $code, expected $expected"
}

expect_stdout() {
  grep -qE -- "$1" "$work/stdout" || fail "stdout does not match /$1/"
}

has_command() {
  "${cli[@]}" --help | sed -n '/^Commands:/,$p' | grep -qE "^  $1( |\$)"
}

# keep NAME: copies the last stdout to $E2E_ARTIFACTS/NAME (when set).
keep() {
  [ -z "$artifacts" ] || cp "$work/stdout" "$artifacts/$1"
}

# json EXPRESSION: evaluates a JavaScript expression over the last stdout parsed as `j`; fails when falsy.
json_assert() {
  node -e '
    const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const ok = (0, eval)("(j) => (" + process.argv[2] + ")")(j);
    if (!ok) { console.error("not true: " + process.argv[2]); process.exit(1); }
  ' "$work/stdout" "$1" || fail "stdout JSON: $1"
}

# --- 1. doctor ------------------------------------------------------------------------------------
run doctor 0 2m -- doctor
expect_stdout '✓ Docker daemon'

# --- 2. up ----------------------------------------------------------------------------------------
lab_created=1
# --skip-model: up does not wait for the model (Ollama still pulls $model in the cluster).
run up 0 45m -- up --yes --skip-model --model "$model" --model-cache "$model_cache"
expect_stdout '^The lab is up\.'
expect_stdout 'kube context: kind-sre-lab'
kubectl config get-contexts kind-sre-lab >/dev/null 2>&1 || fail "context kind-sre-lab is not in $KUBECONFIG"

# --- 3. status ------------------------------------------------------------------------------------
run status 0 2m -- status -o json
keep status.json
json_assert 'j.context === "kind-sre-lab"'
json_assert 'j.nodes.length === 3 && j.nodes.every((n) => n.ready)'
json_assert 'j.nodes.map((n) => n.role).sort().join(",") === "ai,apps,control-plane"'
json_assert 'j.applications.length >= 5 && j.applications.every((a) => a.sync === "Synced" && a.health === "Healthy")'
json_assert 'j.urls.some((u) => u.url === "http://127.0.0.1:3000")'
run status-text 0 2m -- status
expect_stdout '^nodes$'

# --- 4. open --------------------------------------------------------------------------------------
run open-grafana 0 1m -- open grafana
expect_stdout '^grafana +http://127\.0\.0\.1:3000$'
expect_stdout '^password +[^ ]+$'
if command -v curl >/dev/null 2>&1; then
  curl -fsS --max-time 10 http://127.0.0.1:3000/api/health >/dev/null || fail "Grafana does not answer on 127.0.0.1:3000"
fi
run open-argocd 0 1m -- open argocd
expect_stdout '^argocd +https://127\.0\.0\.1:8443$'

# --- 4b. sync through the lab's own context (read from its nodes: the kind provider, local registry) --
run sync-context 0 10m -- --context kind-sre-lab sync
# Right after up nothing has changed: it says so (an edit under manifests/ would be published).
expect_stdout '^Nothing changed: the lab already runs these manifests\.$'

# --- 5. chaos oom ---------------------------------------------------------------------------------
pod=""
if has_command chaos; then
  run chaos-oom 0 10m -- chaos oom
  pod="$(kubectl --context kind-sre-lab -n sre-lab-app get pods \
    -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.containerStatuses[*].lastState.terminated.reason}{"\n"}{end}' |
    awk '/OOMKilled/ { print $1; exit }')"
  [ -n "$pod" ] || fail "no pod in sre-lab-app was OOMKilled after sre-lab chaos oom"
  log "OOMKilled pod: $pod"
else
  log "skipped: sre-lab chaos oom (the chaos command is not built yet)"
fi

# --- 6. diagnose ----------------------------------------------------------------------------------
if ! has_command diagnose; then
  log "skipped: sre-lab diagnose (the diagnose command is not built yet)"
elif [ -z "$pod" ]; then
  log "skipped: sre-lab diagnose (no OOMKilled pod to diagnose without sre-lab chaos)"
else
  run diagnose 0 10m -- diagnose "$pod" -n sre-lab-app --no-ai -o json
  keep diagnose.json
  expect_stdout 'OOMKilled'
  json_assert 'JSON.stringify(j).includes("OOMKilled")'
fi

# --- 7. down, twice -------------------------------------------------------------------------------
run down 0 5m -- down --model-cache "$model_cache"
expect_stdout '^deleted +kind cluster sre-lab'
expect_stdout '^deleted +registry container sre-lab-registry$'
expect_stdout '^kept +model cache '
lab_created=0
if kind get clusters 2>/dev/null | grep -qx sre-lab; then fail "kind still lists the cluster sre-lab"; fi
if docker container inspect sre-lab-registry >/dev/null 2>&1; then fail "the registry container is still there"; fi
[ -d "$model_cache" ] || fail "the model cache $model_cache was deleted without --purge"

# --- 8. nothing left behind -----------------------------------------------------------------------
step_name="nothing-left"
left="$(docker ps --all --filter label=io.x-k8s.kind.cluster=sre-lab --format '{{.Names}}')"
[ -z "$left" ] || fail "containers of the lab are still there: $left"
if kubectl config get-contexts -o name 2>/dev/null | grep -qx kind-sre-lab; then
  fail "context kind-sre-lab is still in $KUBECONFIG"
fi

run down-again 0 2m -- down --model-cache "$model_cache"
expect_stdout '^nothing to delete'

log "passed in $(( $(date +%s) - started_at ))s"
