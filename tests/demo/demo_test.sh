#!/usr/bin/env bash
# scripts/demo end to end with the binaries Bazel built (--no-build --bin-dir): the guide's allow
# and deny lines exactly, exit status 0, the guide's cleanup, every server stopped and its folder
# removed; --keep leaves servers that kubectl can use and a stop script that ends them; a failure
# injected mid-way (--break-at 6 kills the registry) names the step, exits non-zero and stops
# everything too.
set -uo pipefail

runfiles=${TEST_SRCDIR:?}/${TEST_WORKSPACE:?}
tmp=${TEST_TMPDIR:?}
# A checkout's shape, with real files: kubectl's kustomize does not follow the runfiles' symlinks.
mkdir -p "$tmp/checkout"
cp -rL "$runfiles/scripts" "$runfiles/deploy" "$tmp/checkout/"
demo=$tmp/checkout/scripts/demo
bin=$tmp/bin
mkdir -p "$bin"
ln -sf "$runfiles/cmd/hallmark" "$bin/hallmark"
ln -sf "$runfiles/tests/apiserver/hallmark-apiserver" "$bin/hallmark-apiserver"

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
expect_line() {  # FILE LINE: LINE is one whole line of FILE
  grep -qxF -- "$2" "$1" || fail "no line '$2' in $(basename "$1")"
}

# leftovers DIR: processes whose command line mentions DIR (read with builtins only, so the
# scan itself never matches).
leftovers() {
  local found="" p cmd
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" != "$$" ] || continue
    cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
    [[ "$cmd" == *"$1"* ]] && found+="${p#/proc/}: $cmd"$'\n'
  done
  printf '%s' "$found"
}

# run_demo NAME ARGS...: the demo with its state under $tmp/NAME; output in $tmp/NAME.out.
run_demo() {
  local name=$1
  shift
  mkdir -p "$tmp/$name"
  TMPDIR=$tmp/$name NO_COLOR=1 "$demo" --no-build --bin-dir "$bin" "$@" >"$tmp/$name.out" 2>&1
}

# ---- --help and bad arguments -----------------------------------------------------------------
"$demo" --help >"$tmp/help.out" 2>&1 || fail "--help exited $?"
grep -q -- "--keep" "$tmp/help.out" || fail "--help does not document --keep"
grep -q -- "--no-build" "$tmp/help.out" || fail "--help does not document --no-build"
"$demo" --bogus >"$tmp/bogus.out" 2>&1
rc=$?
[ "$rc" = 2 ] || fail "an unknown argument exited $rc, want 2"
grep -q "unknown argument '--bogus'" "$tmp/bogus.out" || fail "no message for an unknown argument"

# ---- the whole story ---------------------------------------------------------------------------
run_demo full
rc=$?
out=$tmp/full.out
if [ "$rc" != 0 ]; then
  fail "scripts/demo exited $rc"
  cat "$out"
fi
registry=$(sed -n 's|^registry:   http://\([0-9.:]*\) .*|\1|p' "$out" | head -n 1)
[ -n "$registry" ] || fail "the demo did not print its registry address"
for n in 1 2 3 4 5 6 7 8 9 10; do
  grep -q "^\[$n/10\] " "$out" || fail "step $n was not shown"
done
# What a user types on a real cluster is shown beside what the demo runs.
expect_line "$out" "    kubectl apply -k deploy/agent"
expect_line "$out" "    kubectl apply -k deploy/webhook && deploy/webhook/gen-certs.sh"
expect_line "$out" "true"  # chains.tekton.dev/signed
grep -q "^  verified signature: cosign container image signature for $registry/test/chains/demo-1@sha256:" "$out" ||
  fail "hallmark verify's result was not shown"
expect_line "$out" "    predicateType: https://slsa.dev/provenance/v0.2"
# The guide's allow and deny, as kubectl prints them (our webhook's name).
expect_line "$out" "pod/signed created"
/usr/bin/python3 - "$out" "$registry" <<'PY' || fail "the denial is not the guide's text"
import sys
out, registry = open(sys.argv[1]).read(), sys.argv[2]
want = (
    'Error from server: admission webhook "mutate.hallmark.dev" denied the request: \n'
    "\n"
    "resource Pod/policy/unsigned was blocked due to the following policies \n"
    "\n"
    "only-cosign-image-deploy:\n"
    f"  check-image: 'failed to verify image {registry}/test/chains/unsigned:latest:\n"
    "    .attestors[0].entries[0].keys: no signatures found'\n"
)
if want not in out:
    sys.exit("missing:\n" + want)
PY
# The guide's cleanup, then every server stopped by SIGTERM, and the state folder removed.
expect_line "$out" 'pod "signed" deleted'
expect_line "$out" 'clusterpolicy.kyverno.io "only-cosign-image-deploy" deleted'
for server in webhook agent apiserver registry; do
  grep -qE "^stopped $server +\(pid [0-9]+\) in [0-9.]+s$" "$out" ||
    fail "the $server was not stopped cleanly"
done
grep -q "^Done in " "$out" || fail "no final line"
left=$(leftovers "$tmp/full/")
[ -z "$left" ] || fail "processes left running after the demo: $left"
[ -z "$(ls -A "$tmp/full")" ] || fail "the demo left files: $(ls -A "$tmp/full")"
if ((failures)); then cat "$out"; fi

# ---- --keep: the servers stay, kubectl works against them, the stop script ends them ----------
run_demo keep --keep
rc=$?
out=$tmp/keep.out
[ "$rc" = 0 ] || { fail "scripts/demo --keep exited $rc"; cat "$out"; }
grep -q "^stopped " "$out" && fail "--keep stopped servers"
export_line=$(sed -n 's/^  export \(KUBECONFIG=.*\)$/\1/p' "$out")
stop_script=$(grep -A1 '^Stop them and remove' "$out" | tail -n 1 | tr -d ' ')
[ -n "$export_line" ] || fail "--keep did not print the KUBECONFIG to use"
[ -x "$stop_script" ] || fail "--keep did not leave a stop script ($stop_script)"
if [ -n "$export_line" ]; then
  kubeconfig=${export_line#KUBECONFIG=}
  kubeconfig=${kubeconfig%% *}
  kubectl=/usr/lib/google-cloud-sdk/bin/kubectl.1.32
  [ -x "$kubectl" ] || kubectl=$(command -v kubectl)
  runs=$(KUBECONFIG=$kubeconfig KUBECACHEDIR=$tmp/kc "$kubectl" get taskruns -A \
    -o 'jsonpath={.items[0].metadata.annotations.chains\.tekton\.dev/signed}' 2>&1)
  [ "$runs" = true ] || fail "kubectl against the kept API server: '$runs'"
  # The webhook still enforces the policy (the guide's cleanup was skipped).
  denied=$(KUBECONFIG=$kubeconfig KUBECACHEDIR=$tmp/kc "$kubectl" run -n policy again \
    "--image=$(sed -n 's|^registry:   http://\([0-9.:]*\) .*|\1|p' "$out")/test/chains/unsigned:latest" 2>&1)
  [[ "$denied" == *"no signatures found"* ]] || fail "the kept webhook did not deny: $denied"
  # Upgrading with `kubectl apply -k deploy/...` keeps what the documented commands put into the
  # Secret and the ConfigMap that deploy/ ships empty (they use `kubectl replace`: data added
  # with `kubectl apply` would be deleted by this re-apply).
  kc() { KUBECONFIG=$kubeconfig KUBECACHEDIR=$tmp/kc "$kubectl" "$@"; }
  kc create configmap hallmark-policies -n hallmark-system \
    --from-file="$tmp/checkout/deploy/policies/only-cosign-image-deploy.yaml" \
    --dry-run=client -o yaml | kc replace -f - >/dev/null 2>&1 ||
    fail "the documented hallmark-policies command failed"
  kc apply -k "$tmp/checkout/deploy/agent" >/dev/null 2>&1 || fail "re-applying deploy/agent failed"
  kc apply -k "$tmp/checkout/deploy/webhook" >/dev/null 2>&1 || fail "re-applying deploy/webhook failed"
  key=$(kc get secret signing-secrets -n tekton-chains -o 'jsonpath={.data.cosign\.key}' | base64 -d)
  if [ -z "$key" ] || [ "$key" != "$(cat "$(dirname "$kubeconfig")/keys/cosign.key")" ]; then
    fail "re-applying deploy/agent lost the signing key"
  fi
  policies=$(kc get configmap hallmark-policies -n hallmark-system -o 'jsonpath={.data}')
  [[ "$policies" == *only-cosign-image-deploy.yaml* ]] ||
    fail "re-applying deploy/webhook lost the policy files: '$policies'"
  # The signing key's password is never printed or logged.
  work=$(dirname "$kubeconfig")
  password=$(cat "$work/keys/cosign.password")
  [ ${#password} -ge 20 ] || fail "the demo's password is too short: ${#password} characters"
  for f in "$out" "$work"/*.log; do
    grep -qF -- "$password" "$f" && fail "the signing key's password is in $f"
  done
fi
[ -n "$(leftovers "$tmp/keep/")" ] || fail "--keep left no server running"
if [ -x "$stop_script" ]; then
  "$stop_script" >/dev/null 2>&1 || fail "the stop script exited $?"
fi
left=$(leftovers "$tmp/keep/")
[ -z "$left" ] || fail "processes left running after the stop script: $left"
[ -z "$(ls -A "$tmp/keep")" ] || fail "the stop script left files: $(ls -A "$tmp/keep")"

# ---- a failure in the middle --------------------------------------------------------------------
run_demo broken --break-at 6
rc=$?
out=$tmp/broken.out
[ "$rc" != 0 ] || fail "the demo exited 0 although its registry was killed"
grep -q "^scripts/demo: FAILED in step 6 (The agent signs the run): the registry (pid [0-9]*) exited unexpectedly" "$out" ||
  fail "the failure does not name the step and the cause"
grep -q "^--- apiserver (pid [0-9]*, running): last lines of " "$out" ||
  fail "the failure does not show the servers' logs"
grep -q "^\[7/10\]" "$out" && fail "the demo went on after the failure"
left=$(leftovers "$tmp/broken/")
[ -z "$left" ] || fail "processes left running after the failure: $left"
grep -q "^scripts/demo: logs and state kept in $tmp/broken/hallmark-demo\." "$out" ||
  fail "the failure does not say where the logs are"
if ((failures)); then cat "$out"; fi

if ((failures)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "PASS"
