#!/usr/bin/env bash
# gen-certs.sh: makes the admission webhook's TLS set-up with the openssl CLI, without cert-manager.
#
#  1. a private CA (ECDSA P-256 key, self-signed certificate, CA:TRUE);
#  2. a serving certificate signed by it for the webhook Service's DNS names
#     (<service>, <service>.<ns>, <service>.<ns>.svc, <service>.<ns>.svc.cluster.local);
#  3. the Secret <secret> (type kubernetes.io/tls: tls.crt, tls.key, ca.crt) in <ns>;
#  4. the CA certificate as clientConfig.caBundle of every webhook in the Mutating- and
#     ValidatingWebhookConfiguration <config>.
#
# Run it after `kubectl apply -k deploy/webhook`. Run it again to rotate (a new CA and
# certificate): the webhook re-reads its certificate files when the kubelet updates the mounted
# Secret (within about a minute); no restart needed.
# The CA private key is not kept unless --out is given: nothing else ever needs it.
#
# Usage: gen-certs.sh [--namespace NS] [--service NAME] [--secret NAME] [--config NAME]
#                     [--ip ADDR]... [--days N] [--out DIR] [--no-apply]
#   --ip ADDR   also an IP address SAN (e.g. 127.0.0.1 for a webhook run on this machine)
# Environment: KUBECTL (default "kubectl"): the kubectl command, e.g. "kubectl --context prod".
set -euo pipefail

namespace=hallmark-system
service=hallmark-webhook
secret=hallmark-webhook-tls
config=hallmark-verify-images
days=365
out=""
apply=1
ips=()

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
die() { echo "gen-certs.sh: $*" >&2; exit 1; }

while (($#)); do
  case "$1" in
    --namespace) namespace=${2:?}; shift 2 ;;
    --service) service=${2:?}; shift 2 ;;
    --secret) secret=${2:?}; shift 2 ;;
    --config) config=${2:?}; shift 2 ;;
    --days) days=${2:?}; shift 2 ;;
    --ip) ips+=("${2:?}"); shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --no-apply) apply=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ "$days" =~ ^[0-9]+$ ]] || die "--days must be a number, got '$days'"
((apply)) || [ -n "$out" ] || die "--no-apply needs --out DIR (otherwise nothing would be kept)"
command -v openssl >/dev/null || die "openssl is not installed"
read -r -a kubectl <<< "${KUBECTL:-kubectl}"

if [ -n "$out" ]; then
  mkdir -p "$out"
  dir=$(cd "$out" && pwd)
else
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
fi
umask 077

dns=("$service" "$service.$namespace" "$service.$namespace.svc" "$service.$namespace.svc.cluster.local")
san=$(printf 'DNS:%s,' "${dns[@]}")
((${#ips[@]} == 0)) || san+=$(printf 'IP:%s,' "${ips[@]}")
san=${san%,}

echo "gen-certs.sh: CA and serving certificate for ${dns[2]} (valid ${days} days) in $dir"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key" 2>/dev/null
openssl req -x509 -new -key "$dir/ca.key" -sha256 -days "$days" -subj "/CN=${service}-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$dir/ca.crt"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/tls.key" 2>/dev/null
openssl req -new -key "$dir/tls.key" -subj "/CN=${dns[2]}" -out "$dir/tls.csr"
cat > "$dir/ext.cnf" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$san
EXT
openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
  -sha256 -days "$days" -extfile "$dir/ext.cnf" -out "$dir/tls.crt" 2>/dev/null
openssl verify -CAfile "$dir/ca.crt" "$dir/tls.crt" >/dev/null || die "the new certificate does not verify"
rm -f "$dir/tls.csr" "$dir/ext.cnf" "$dir/ca.srl"
chmod 0644 "$dir/ca.crt" "$dir/tls.crt"

((apply)) || { echo "gen-certs.sh: files written to $dir (--no-apply: cluster not changed)"; exit 0; }

echo "gen-certs.sh: Secret $namespace/$secret"
"${kubectl[@]}" create secret generic "$secret" --namespace "$namespace" --type=kubernetes.io/tls \
  --from-file=tls.crt="$dir/tls.crt" --from-file=tls.key="$dir/tls.key" \
  --from-file=ca.crt="$dir/ca.crt" --dry-run=client -o yaml | "${kubectl[@]}" apply -f -

ca_bundle=$(base64 < "$dir/ca.crt" | tr -d '\n')
for kind in mutatingwebhookconfiguration validatingwebhookconfiguration; do
  names=$("${kubectl[@]}" get "$kind" "$config" -o 'jsonpath={range .webhooks[*]}{.name}{"\n"}{end}') ||
    die "$kind/$config not found: run 'kubectl apply -k deploy/webhook' first"
  patch="" i=0
  while IFS= read -r name; do
    [ -n "$name" ] || continue
    patch+="{\"op\":\"add\",\"path\":\"/webhooks/$i/clientConfig/caBundle\",\"value\":\"$ca_bundle\"},"
    i=$((i + 1))
  done <<< "$names"
  ((i)) || die "$kind/$config has no webhooks"
  echo "gen-certs.sh: caBundle of $i webhook(s) in $kind/$config"
  "${kubectl[@]}" patch "$kind" "$config" --type=json -p "[${patch%,}]" >/dev/null
done
echo "gen-certs.sh: done. The webhook loads the new certificate when the kubelet updates the"
echo "  mounted Secret (about a minute)."
