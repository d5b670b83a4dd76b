# scripts/demo.d/lib.bash: output, process and registry helpers of scripts/demo (sourced by it).
# Globals it reads (set by scripts/demo): work, keep, break_at, registry, kubectl_bin,
# hallmark_bin, api_url, agent_port, webhook_port, signed_image; it sets pushed_digest.
# shellcheck shell=bash disable=SC2154,SC2034

# ---- output ---------------------------------------------------------------------------------

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-dumb}" != dumb ]; then
  c_step=$'\e[1;34m' c_cmd=$'\e[1m' c_cluster=$'\e[36m' c_ok=$'\e[32m' c_err=$'\e[1;31m'
  c_off=$'\e[0m' tty=1
else
  c_step="" c_cmd="" c_cluster="" c_ok="" c_err="" c_off="" tty=0
fi
steps_total=10
current_step=0
current_title="getting ready"
demo_done=0
demo_start=${EPOCHREALTIME/./}

# now_us: microseconds since the epoch (bash 5).
now_us() { echo "${EPOCHREALTIME/./}"; }
# seconds_since START_US: elapsed seconds with one decimal.
seconds_since() {
  local d=$(($(now_us) - $1))
  printf '%d.%d' $((d / 1000000)) $((d / 100000 % 10))
}

# wrap: the text indented by $1 spaces, folded at 100 columns.
wrap() {
  local indent=$1
  shift
  printf '%s\n' "$*" | fold -s -w $((100 - indent)) | sed -e 's/ *$//' -e "s/^/$(printf '%*s' "$indent" '')/"
}

# quote_args: the arguments as a shell would need them typed.
quote_args() {
  local out="" a
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./:=@,+%^-]+$ ]]; then
      out+="$a "
    else
      out+="'${a//\'/\'\\\'\'}' "
    fi
  done
  printf '%s' "${out% }"
}

banner() {  # N TITLE WHAT
  printf '\n%s[%s/%s] %s%s\n' "$c_step" "$1" "$steps_total" "$2" "$c_off"
  wrap 2 "$3"
}

# step N TITLE WHAT CLUSTER_COMMAND...: a step's header, what happens, and what a user would
# type on a real cluster.
step() {
  local n=$1 title=$2 what=$3
  shift 3
  current_step=$n current_title=$title
  banner "$n" "$title" "$what"
  if (($#)); then
    printf '%s  On a real cluster:%s\n' "$c_cluster" "$c_off"
    local c
    for c in "$@"; do printf '%s    %s%s\n' "$c_cluster" "$c" "$c_off"; done
  fi
  if ((break_at == n)); then
    printf '%s(--break-at %s: killing the registry now)%s\n' "$c_err" "$n" "$c_off"
    kill -KILL "${pid_of[registry]}" 2>/dev/null || true
  fi
}

note() { wrap 2 "$*"; }

# show CMD...: prints the command as a user would type it (`hallmark`, `kubectl`).
show() { printf '%s$ %s%s\n' "$c_cmd" "$(quote_args "$@")" "$c_off"; }

# run CMD...: shows the command, runs it, prints its output as it is (also kept in
# $work/last.out); a failure ends the demo with that output.
run() {
  show "$@"
  local rc=0
  "$@" >"$work/last.out" 2>&1 || rc=$?
  cat "$work/last.out"
  ((rc == 0)) || die "'$(quote_args "$@")' failed (exit $rc)"
}

# run_pipe CMD1... '|' CMD2...: as run, for a two-command pipeline.
run_pipe() {
  local left=() right=() seen=0 a
  for a in "$@"; do
    if ((seen == 0)) && [ "$a" = "|" ]; then seen=1; continue; fi
    if ((seen)); then right+=("$a"); else left+=("$a"); fi
  done
  printf '%s$ %s | %s%s\n' "$c_cmd" "$(quote_args "${left[@]}")" "$(quote_args "${right[@]}")" "$c_off"
  local rc=0
  { "${left[@]}" | "${right[@]}"; } >"$work/last.out" 2>&1 || rc=$?
  cat "$work/last.out"
  ((rc == 0)) || die "the pipeline failed (exit $rc)"
}

# run_capture NAME CMD...: as run, with stdout kept in $work/NAME.out (not printed: the caller
# summarises it) and stderr printed.
run_capture() {
  local name=$1
  shift
  show "$@"
  local rc=0
  "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  cat "$work/$name.err"
  ((rc == 0)) || { cat "$work/$name.out"; die "'${1##*/} ${2:-}' failed (exit $rc)"; }
}

# run_expect_fail CMD...: shows and runs a command that must fail, printing its output as it is.
run_expect_fail() {
  show "$@"
  local rc=0
  "$@" >"$work/last.out" 2>&1 || rc=$?
  cat "$work/last.out"
  ((rc != 0)) || die "'$(quote_args "$@")' succeeded, but it must be refused"
}

# ---- failure --------------------------------------------------------------------------------

failed_line="" failed_command=""
on_err() { failed_line=$1 failed_command=$2; }

# die MESSAGE: ends the demo (on_exit stops the servers). Written to the demo's own stderr (fd 8),
# since die may run where stderr is redirected (a condition polled by wait_for).
die() {
  trap - ERR
  printf '\n%sscripts/demo: FAILED in step %s (%s): %s%s\n' "$c_err" "$current_step" \
    "$current_title" "$*" "$c_off" >&8
  exit 1
}

# fail_early: a failure before any server was started.
fail_early() {
  printf '%sscripts/demo: %s%s\n' "$c_err" "$*" "$c_off" >&8
  exit 1
}

on_exit() {
  local rc=$?
  trap - ERR
  # A second Ctrl-C must not cut the cleanup short.
  trap '' INT TERM HUP
  # A signal's trap can run inside a command's redirection (run's capture): back to the demo's
  # own output.
  exec 1>&7 2>&8
  local interrupted=0
  ((rc != 129 && rc != 130 && rc != 143)) || interrupted=1
  if ((rc != 0)) && ((demo_done == 0)); then
    if ((interrupted)); then
      printf '\n%sscripts/demo: interrupted in step %s (%s); stopping what it started%s\n' \
        "$c_err" "$current_step" "$current_title" "$c_off" >&2
    else
      if [ -n "$failed_command" ]; then
        printf '%sscripts/demo: FAILED in step %s (%s): line %s: %s (exit %s)%s\n' "$c_err" \
          "$current_step" "$current_title" "$failed_line" "$failed_command" "$rc" "$c_off" >&2
      fi
      show_log_tails >&2
    fi
  fi
  if ((rc != 0)) || ((keep == 0)); then
    stop_all
  fi
  if ((rc != 0)) && ((interrupted == 0)); then
    printf 'scripts/demo: logs and state kept in %s\n' "$work" >&2
  elif ((rc != 0)) || ((keep == 0)); then
    rm -rf "$work"
  fi
  exit "$rc"
}

show_log_tails() {
  local name
  for name in "${started[@]}"; do
    local log=${log_of[$name]}
    [ -s "$log" ] || continue
    local state="running"
    kill -0 "${pid_of[$name]}" 2>/dev/null || state="NOT RUNNING"
    printf '\n--- %s (pid %s, %s): last lines of %s\n' "$name" "${pid_of[$name]}" "$state" "$log"
    tail -n 8 "$log" | cut -c1-300
  done
}

# ---- processes ------------------------------------------------------------------------------

declare -A pid_of=() log_of=()
started=()

# start_bg NAME LOG CMD...: starts a server in the background, its output in LOG. With --keep it
# gets its own session, so it outlives the terminal the demo ran in.
start_bg() {
  local name=$1 log=$2
  shift 2
  # 7 and 8 are the demo's own output (on_exit): a server must not hold them open, or a pipe
  # reading the demo (scripts/demo --keep | tee) would never end.
  if ((keep)); then
    setsid "$@" </dev/null >"$log" 2>&1 7>&- 8>&- &
  else
    "$@" </dev/null >"$log" 2>&1 7>&- 8>&- &
  fi
  pid_of[$name]=$!
  log_of[$name]=$log
  # Not a job: bash would report "Killed" when it reaps one; stop_one polls instead of `wait`.
  disown "$!"
  local s
  for s in "${started[@]}"; do [ "$s" != "$name" ] || return 0; done
  started+=("$name")
  printf '%s %s\n' "$name" "$!" >>"$work/pids"
}

# check_servers: dies if a server the demo started has exited.
check_servers() {
  local name
  for name in "${started[@]}"; do
    [ -n "${pid_of[$name]}" ] || continue
    kill -0 "${pid_of[$name]}" 2>/dev/null ||
      die "the $name (pid ${pid_of[$name]}) exited unexpectedly (log: ${log_of[$name]})"
  done
}

# stop_one NAME: SIGTERM, up to 5 s for a clean exit, then SIGKILL.
stop_one() {
  local name=$1 pid=${pid_of[$1]:-}
  [ -n "$pid" ] || return 0
  pid_of[$name]=""
  kill -0 "$pid" 2>/dev/null || return 0
  local t0
  t0=$(now_us)
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    printf 'stopped %-9s (pid %s): did not exit 5 s after SIGTERM, killed\n' "$name" "$pid"
  else
    printf 'stopped %-9s (pid %s) in %ss\n' "$name" "$pid" "$(seconds_since "$t0")"
  fi
}

# stop_all: stops every server, newest first (clients before the servers they use).
stop_all() {
  local i
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do stop_one "${started[$i]}"; done
}

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- progress -------------------------------------------------------------------------------

spin_frames="|/-\\"

# wait_for DESC TIMEOUT_S CMD...: runs CMD (quietly) until it succeeds, showing a spinner (or
# dots without a terminal) with the elapsed time; dies on timeout or if a server exited.
wait_for() {
  local desc=$1 timeout=$2
  shift 2
  local t0 i=0 last_dot=0
  t0=$(now_us)
  ((tty)) || printf '  waiting for %s' "$desc"
  while ! "$@" >/dev/null 2>&1; do
    check_servers
    local el=$((($(now_us) - t0) / 1000000))
    if ((el >= timeout)); then
      ((tty)) && printf '\r\e[K' || printf '\n'
      die "timed out after ${timeout}s waiting for $desc"
    fi
    if ((tty)); then
      printf '\r  %s waiting for %s  %ss' "${spin_frames:i++%4:1}" "$desc" "$(seconds_since "$t0")"
    elif ((el > last_dot)); then
      printf '.'
      last_dot=$el
    fi
    sleep 0.1
  done
  if ((tty)); then
    printf '\r\e[K  %sok%s waited %ss for %s\n' "$c_ok" "$c_off" "$(seconds_since "$t0")" "$desc"
  else
    printf ' ok (%ss)\n' "$(seconds_since "$t0")"
  fi
}

# wait_pid_spinning PID DESC: waits for a background command with a spinner; its exit status.
wait_pid_spinning() {
  local pid=$1 desc=$2 t0 i=0 last_dot=0
  t0=$(now_us)
  ((tty)) || printf '  %s' "$desc"
  while kill -0 "$pid" 2>/dev/null; do
    local el=$((($(now_us) - t0) / 1000000))
    if ((tty)); then
      printf '\r  %s %s  %ss' "${spin_frames:i++%4:1}" "$desc" "$(seconds_since "$t0")"
    elif ((el >= last_dot + 10)); then
      printf '.'
      last_dot=$el
    fi
    sleep 0.2
  done
  local rc=0
  wait "$pid" || rc=$?
  if ((tty)); then
    printf '\r\e[K'
    ((rc != 0)) || printf '  %sok%s %s (%ss)\n' "$c_ok" "$c_off" "$desc" "$(seconds_since "$t0")"
  elif ((rc == 0)); then
    printf ' ok (%ss)\n' "$(seconds_since "$t0")"
  else
    printf ' failed\n'
  fi
  return "$rc"
}

# ---- registry -------------------------------------------------------------------------------

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# upload_blob REPO FILE: a monolithic blob upload (POST, then PUT with the digest).
upload_blob() {
  local repo=$1 file=$2 digest location
  digest=sha256:$(sha256_of "$file")
  location=$(curl -fsS -X POST -o /dev/null -D - "http://$registry/v2/$repo/blobs/uploads/" |
    tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  [ -n "$location" ] || die "the registry gave no upload location for $repo"
  case "$location" in http*) ;; *) location=http://$registry$location ;; esac
  case "$location" in *\?*) location+="&digest=$digest" ;; *) location+="?digest=$digest" ;; esac
  curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$file" \
    -o /dev/null "$location" || die "uploading $file to $repo failed"
}

# push_image REPO TAG TEXT: an OCI image whose one layer holds /hello.txt with TEXT; sets
# pushed_digest to the manifest's digest (the one the registry reports).
push_image() {
  local repo=$1 tag=$2 text=$3 dir
  dir=$(mktemp -d "$work/image.XXXX")
  mkdir "$dir/rootfs"
  printf '%s\n' "$text" >"$dir/rootfs/hello.txt"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir/rootfs" \
    -cf "$dir/layer.tar" hello.txt
  gzip -n -9 -c "$dir/layer.tar" >"$dir/layer.tar.gz"
  local diff_id layer_digest layer_size config_digest config_size
  diff_id=sha256:$(sha256_of "$dir/layer.tar")
  layer_digest=sha256:$(sha256_of "$dir/layer.tar.gz")
  layer_size=$(stat -c %s "$dir/layer.tar.gz")
  printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["cat","/hello.txt"],"Labels":{"org.opencontainers.image.title":"%s"}},"rootfs":{"type":"layers","diff_ids":["%s"]},"history":[{"created_by":"scripts/demo"}]}' \
    "$repo" "$diff_id" >"$dir/config.json"
  config_digest=sha256:$(sha256_of "$dir/config.json")
  config_size=$(stat -c %s "$dir/config.json")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
    "$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$dir/manifest.json"
  upload_blob "$repo" "$dir/layer.tar.gz"
  upload_blob "$repo" "$dir/config.json"
  local reported want
  want=sha256:$(sha256_of "$dir/manifest.json")
  reported=$(curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary "@$dir/manifest.json" -o /dev/null -D - "http://$registry/v2/$repo/manifests/$tag" |
    tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p') ||
    die "pushing the manifest of $repo:$tag failed"
  [ "$reported" = "$want" ] || die "the registry stored $repo:$tag as '$reported', expected $want"
  pushed_digest=$want
}

# ---- summaries ------------------------------------------------------------------------------

# summarize_verify FILE DIGEST: the key facts of `hallmark verify`'s JSON output.
summarize_verify() {
  /usr/bin/python3 - "$1" "$2" <<'PY' || die "hallmark verify's output does not say what was verified"
import json, sys
payloads = json.load(open(sys.argv[1]))
for p in payloads:
    c = p["critical"]
    assert c["image"]["docker-manifest-digest"] == sys.argv[2], c
    print(f"  verified signature: {c['type']} for {c['identity']['docker-reference']}@{c['image']['docker-manifest-digest']}")
print(f"  {len(payloads)} signature(s) by this key")
PY
}

# summarize_attestation FILE DIGEST: the key facts of the verified in-toto statement(s).
summarize_attestation() {
  /usr/bin/python3 - "$1" "$2" <<'PY' || die "hallmark verify-attestation's output does not say what was verified"
import base64, json, sys
text = open(sys.argv[1]).read()
envelopes, decoder, i = [], json.JSONDecoder(), 0
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    obj, i = decoder.raw_decode(text, i)
    envelopes.append(obj)
assert envelopes, "no envelope"
for env in envelopes:
    st = json.loads(base64.b64decode(env["payload"]))
    subjects = [f"{s['name']}@sha256:{s['digest']['sha256']}" for s in st["subject"]]
    assert any(s.endswith(sys.argv[2]) for s in subjects), subjects
    pred = st["predicate"]
    print(f"  verified DSSE envelope ({env['payloadType']}), {len(env['signatures'])} signature(s)")
    print(f"    predicateType: {st['predicateType']}")
    print(f"    subject:       {', '.join(subjects)}")
    print(f"    builder.id:    {pred.get('builder', {}).get('id')}")
    print(f"    buildType:     {pred.get('buildType')}")
    md = pred.get("metadata", {})
    print(f"    build:         {md.get('buildStartedOn')} .. {md.get('buildFinishedOn')}")
PY
}

# policy_with_key POLICY PUB: the policy with the public key block replaced by PUB's lines.
policy_with_key() {
  /usr/bin/python3 - "$1" "$2" <<'PY' || die "could not put cosign.pub into $1"
import sys
lines = open(sys.argv[1]).read().split("\n")
pem = [l for l in open(sys.argv[2]).read().split("\n") if l]
out, i, done = [], 0, False
while i < len(lines):
    at = lines[i].find("-----BEGIN PUBLIC KEY-----")
    if at < 0:
        out.append(lines[i]); i += 1; continue
    indent = lines[i][:at]
    while "-----END PUBLIC KEY-----" not in lines[i]:
        i += 1
    out.extend(indent + l for l in pem)
    i += 1
    done = True
assert done, "no public key in the policy"
sys.stdout.write("\n".join(out))
PY
}

# ---- the end --------------------------------------------------------------------------------

print_keep_instructions() {
  local pids=""
  local name
  for name in "${started[@]}"; do pids+="${pid_of[$name]} "; done
  cat >"$work/stop" <<EOF
#!/usr/bin/env bash
# Stops the servers scripts/demo --keep left running and removes their folder.
for pid in ${pids% }; do kill -TERM "\$pid" 2>/dev/null; done
for i in \$(seq 50); do
  alive=0
  for pid in ${pids% }; do kill -0 "\$pid" 2>/dev/null && alive=1; done
  [ "\$alive" = 0 ] && break
  sleep 0.1
done
for pid in ${pids% }; do kill -KILL "\$pid" 2>/dev/null; done
rm -rf "$work"
echo "hallmark demo stopped"
EOF
  chmod +x "$work/stop"
  cat <<EOF

The servers keep running (pids: ${pids% }):
  registry     http://$registry
  API server   $api_url
  agent        metrics http://127.0.0.1:$agent_port/metrics   log $work/agent.log
  webhook      https://127.0.0.1:$webhook_port   log $work/webhook.log
Use them from this shell or another one:
  export KUBECONFIG=$KUBECONFIG KUBECACHEDIR=$KUBECACHEDIR
  alias kubectl=$kubectl_bin hallmark=$hallmark_bin
  kubectl get taskruns -A
  kubectl run -n policy unsigned --image=$registry/test/chains/unsigned:latest -- sleep 3600
  hallmark verify --key $work/keys/cosign.pub --insecure-ignore-tlog $signed_image
Stop them and remove $work:
  $work/stop
EOF
}

finish_line() {
  printf '\n%sDone in %ss:%s the agent signed the build, hallmark verified it, and the webhook admitted the signed image and denied the unsigned one.\n' \
    "$c_ok" "$(seconds_since "$demo_start")" "$c_off"
}
