#!/usr/bin/env bash
# `make demo`: a whole nitro-tss cluster on this machine, in local mode, the
# way it runs on AWS, and one signature through it:
#
#   tss-kms-local (AWS KMS JSON protocol; attestation policies enforced)
#   3 nodes, each a tss-host (inbound mTLS, outbound KMS proxy, sealed-blob
#     store on disk) and a tss-enclave (simulated NSM: real Nitro COSE
#     attestation documents from a development CA)
#   tss-coordinator (public API over mTLS, SQLite state)
#
# then, with tssctl as a custody operator would:
#   nodes list -> keys create (2-of-3 DKG, progress) -> two approvers approve
#   a message -> sign -> verify offline (tssctl verify) and with OpenSSL.
#
# Everything runs under one temporary directory (DEMO_DIR to choose it;
# DEMO_KEEP=1 keeps it), on loopback and unix sockets; every process started
# is stopped on exit, also on failure. Exit code 0 only if the signature
# verifies.
set -euo pipefail

BUILD_DIR="${1:-${BUILD_DIR:-build}}"
BIN="$(cd "$BUILD_DIR" && pwd)"
TSSCTL="$BIN/tools/tssctl/tssctl"
DIR="${DEMO_DIR:-$(mktemp -d /tmp/nitro-tss-demo-XXXXXX)}"
mkdir -p "$DIR"
PIDS=()

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

cleanup() {
  local code=$?
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  if [ "$code" -ne 0 ]; then
    echo "demo: FAILED (exit $code); logs in $DIR/*.log" >&2
    for f in "$DIR"/*.log; do
      [ -f "$f" ] || continue
      echo "--- $f (last lines)" >&2
      tail -n 5 "$f" >&2
    done
  elif [ "${DEMO_KEEP:-0}" != 1 ] && [ -z "${DEMO_DIR:-}" ]; then
    rm -rf "$DIR"
  fi
  exit "$code"
}
trap cleanup EXIT INT TERM

for b in tools/kms-local/tss-kms-local node/host/tss-host \
         node/enclave/tss-enclave coordinator/service/tss-coordinator \
         tools/tssctl/tssctl; do
  [ -x "$BIN/$b" ] || die "$BIN/$b is missing: run 'make build' first"
done

# Waits (up to 120 s) for a ready file the process writes once serving.
wait_ready() {
  local file=$1 pid=$2 what=$3
  for _ in $(seq 1 1200); do
    [ -s "$file" ] && return 0
    kill -0 "$pid" 2>/dev/null || die "$what exited; see its log"
    sleep 0.1
  done
  die "$what not ready after 120 s"
}
json_field() {  # json_field FILE KEY
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}
sha384_hex() { printf '%s' "$1" | openssl dgst -sha384 -r | cut -d' ' -f1; }

PCR0=$(sha384_hex "nitro-tss demo enclave image")
PCR1=$(sha384_hex "kernel")
PCR2=$(sha384_hex "application")

say "Development attestation CA (stands in for the AWS Nitro root) and cluster TLS"
"$TSSCTL" attestation dev-ca --out "$DIR/attestation-ca" >/dev/null
"$TSSCTL" dev-certs --dir "$DIR/tls" --server coordinator --server node-1 \
  --server node-2 --server node-3 --client operator >/dev/null
echo "attestation root: $DIR/attestation-ca/root.cert.pem"
echo "cluster CA:       $DIR/tls/ca.pem"

say "tss-kms-local and the share-sealing key (only the demo image may unseal)"
cat > "$DIR/kms-credentials.json" <<EOF
{"credentials":[
 {"access_key_id":"AKIDADMIN","secret_access_key":"admin-secret",
  "principal_arn":"arn:aws:iam::111122223333:role/admin"},
 {"access_key_id":"AKIDPARENT","secret_access_key":"parent-secret",
  "principal_arn":"arn:aws:iam::111122223333:role/parent"}]}
EOF
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$DIR/kms-master.hex"
"$BIN/tools/kms-local/tss-kms-local" --listen 127.0.0.1:0 \
  --db "$DIR/kms.db" --master-key-file "$DIR/kms-master.hex" \
  --credentials "$DIR/kms-credentials.json" \
  --attestation-root "$DIR/attestation-ca/root.cert.pem" \
  --ready-file "$DIR/kms.ready" 2> "$DIR/kms.log" &
PIDS+=($!)
wait_ready "$DIR/kms.ready" $! tss-kms-local
KMS_PORT=$(json_field "$DIR/kms.ready" port)
cat > "$DIR/key-policy.json" <<EOF
{"Version":"2012-10-17","Statement":[
 {"Sid":"Admin","Effect":"Allow",
  "Principal":{"AWS":"arn:aws:iam::111122223333:role/admin"},
  "Action":"kms:*","Resource":"*"},
 {"Sid":"EnclaveUnseal","Effect":"Allow",
  "Principal":{"AWS":"arn:aws:iam::111122223333:role/parent"},
  "Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*",
  "Condition":{"StringEqualsIgnoreCase":
    {"kms:RecipientAttestation:ImageSha384":"$PCR0"}}}]}
EOF
KMS_KEY=$(AWS_ACCESS_KEY_ID=AKIDADMIN AWS_SECRET_ACCESS_KEY=admin-secret \
  AWS_DEFAULT_REGION=us-east-1 aws kms create-key \
  --endpoint-url "http://127.0.0.1:$KMS_PORT" \
  --description "nitro-tss demo share sealing key" \
  --policy "file://$DIR/key-policy.json" \
  --query KeyMetadata.KeyId --output text)
echo "KMS key $KMS_KEY (kms:Decrypt only for ImageSha384 = ${PCR0:0:16}...)"

say "Three nodes: tss-host + tss-enclave each"
NODES_CONF=""
for i in 1 2 3; do
  nd="$DIR/node-$i"
  mkdir -p "$nd"
  cat > "$nd/aws-credentials.json" <<EOF
{"access_key_id":"AKIDPARENT","secret_access_key":"parent-secret"}
EOF
  cat > "$nd/host.conf" <<EOF
enclave_service_listen: "unix://$nd/host.sock"
blob_store { local { dir: "$nd/disk" } }
credentials { file: "$nd/aws-credentials.json" }
inbound {
  listen: "127.0.0.1:0"
  enclave_service: "unix://$nd/enclave.sock"
  server_certificate_file: "$DIR/tls/server-node-$i.pem"
  server_private_key_file: "$DIR/tls/server-node-$i.key"
  client_ca_file: "$DIR/tls/ca.pem"
}
outbound_proxies { name: "kms" listen: "unix://$nd/kms-proxy.sock" destination: "127.0.0.1:$KMS_PORT" }
outbound_allowlist: "127.0.0.1:$KMS_PORT"
EOF
  "$BIN/node/host/tss-host" --config "$nd/host.conf" \
    --ready-file "$nd/host.ready" 2> "$DIR/host-$i.log" &
  PIDS+=($!)
  wait_ready "$nd/host.ready" $! "tss-host $i"
  cat > "$nd/enclave.conf" <<EOF
listen: "unix://$nd/enclave.sock"
host_service: "unix://$nd/host.sock"
nsm { simulated { dev_ca_dir: "$DIR/attestation-ca" pcr0: "$PCR0" pcr1: "$PCR1" pcr2: "$PCR2" instance_id: "i-00000000000000d0$i" } }
attestation { root_pem_file: "$DIR/attestation-ca/root.cert.pem" allowed_images { pcrs { key: 0 value: "$PCR0" } } }
kms { region: "us-east-1" endpoint: "http://127.0.0.1:$KMS_PORT" key_id: "$KMS_KEY" proxy: "unix://$nd/kms-proxy.sock" }
keygen_material { share_ring_pedersen_modulus: true }
EOF
  "$BIN/node/enclave/tss-enclave" --config "$nd/enclave.conf" \
    --ready-file "$nd/enclave.ready" 2> "$DIR/enclave-$i.log" &
  PIDS+=($!)
  wait_ready "$nd/enclave.ready" $! "tss-enclave $i"
  INBOUND=$(json_field "$nd/host.ready" inbound)
  echo "node-$i: enclave ready; host inbound mTLS on $INBOUND"
  NODES_CONF+="nodes { id: \"node-$i\" party_id: $i address: \"$INBOUND\" tls_server_name: \"node-$i\" }"$'\n'
done

say "tss-coordinator (public API over mTLS)"
cat > "$DIR/coordinator.conf" <<EOF
listen: "127.0.0.1:0"
tls { cert_file: "$DIR/tls/server-coordinator.pem" key_file: "$DIR/tls/server-coordinator.key" client_ca_file: "$DIR/tls/ca.pem" }
$NODES_CONF
node_tls { ca_file: "$DIR/tls/ca.pem" cert_file: "$DIR/tls/client-operator.pem" key_file: "$DIR/tls/client-operator.key" }
storage { sqlite { path: "$DIR/coordinator.db" } }
attestation_root_pem_file: "$DIR/attestation-ca/root.cert.pem"
metrics_listen: "127.0.0.1:0"
EOF
"$BIN/coordinator/service/tss-coordinator" --config "$DIR/coordinator.conf" \
  --ready-file "$DIR/coordinator.ready" 2> "$DIR/coordinator.log" &
PIDS+=($!)
wait_ready "$DIR/coordinator.ready" $! tss-coordinator
LISTEN=$(json_field "$DIR/coordinator.ready" listen)
export NITRO_TSS_SERVER="localhost:${LISTEN##*:}"
export NITRO_TSS_TLS_CA="$DIR/tls/ca.pem"
export NITRO_TSS_TLS_CERT="$DIR/tls/client-operator.pem"
export NITRO_TSS_TLS_KEY="$DIR/tls/client-operator.key"
echo "API on $NITRO_TSS_SERVER; metrics on $(json_field "$DIR/coordinator.ready" metrics)"

say "tssctl nodes list"
"$TSSCTL" --output text nodes list

say "A client whose certificate is not from the cluster CA is refused"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$DIR/intruder.key" -out "$DIR/intruder.pem" -days 1 \
  -subj /CN=intruder 2>/dev/null
if NITRO_TSS_TLS_CERT="$DIR/intruder.pem" NITRO_TSS_TLS_KEY="$DIR/intruder.key" \
   "$TSSCTL" nodes list --timeout 5 >/dev/null 2>"$DIR/refused.txt"; then
  die "a certificate from another CA was accepted"
fi
echo "refused: $(head -c 160 "$DIR/refused.txt")"

say "Approvers (Ed25519 keys, as custody officers hold them) and the policy: 2 of 3 sign"
POLICY_APPROVERS=""
for who in alice bob carol; do
  openssl genpkey -algorithm ed25519 -out "$DIR/$who.pem" 2>/dev/null
  chmod 600 "$DIR/$who.pem"
  pub=$(openssl pkey -in "$DIR/$who.pem" -pubout -outform DER | base64 -w0)
  POLICY_APPROVERS+="{\"algorithm\":\"APPROVER_ALGORITHM_ED25519\",\"publicKey\":\"$pub\",\"label\":\"$who\"},"
done
cat > "$DIR/policy.json" <<EOF
{"version":1,"approvers":[${POLICY_APPROVERS%,}],
 "quorum":{"sign":2,"refresh":2,"reshare":2,"exportKey":3}}
EOF
echo "policy: $DIR/policy.json"

say "tssctl keys create: a 2-of-3 DKG among the enclaves"
"$TSSCTL" keys create --node node-1 --node node-2 --node node-3 \
  --threshold 1 --policy "$DIR/policy.json" > "$DIR/key.json"
KEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"]["name"])' "$DIR/key.json")
PUB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"]["public_key"])' "$DIR/key.json")
echo "key $KEY"
echo "public key $PUB"

MESSAGE="demo: pay 1.5 BTC to bc1qdemo at $(date -u +%FT%TZ)"
printf '%s' "$MESSAGE" > "$DIR/message.txt"
DIGEST=$(openssl dgst -sha256 -r "$DIR/message.txt" | cut -d' ' -f1)
say "Alice and Carol approve \"$MESSAGE\""
"$TSSCTL" approve --key-file "$DIR/alice.pem" --key-id "${KEY#keys/}" \
  --digest "$DIGEST" --hash sha256 --expires-in 600 \
  --out "$DIR/approvals.bin" >/dev/null
"$TSSCTL" approve --key-file "$DIR/carol.pem" --key-id "${KEY#keys/}" \
  --digest "$DIGEST" --hash sha256 --bundle-in "$DIR/approvals.bin" \
  --out "$DIR/approvals.bin" >/dev/null
echo "approval bundle: $DIR/approvals.bin"

say "tssctl sign"
"$TSSCTL" sign --key "$KEY" --message-file "$DIR/message.txt" --hash sha256 \
  --approvals "$DIR/approvals.bin" --request-id demo-sign-1 > "$DIR/signature.json"
"$TSSCTL" --output text sign --key "$KEY" --message-file "$DIR/message.txt" \
  --hash sha256 --approvals "$DIR/approvals.bin" --request-id demo-sign-1 \
  | grep -E '^(r|s|recovery_id|signers|first_response)'
SIG_DER=$(json_field "$DIR/signature.json" der)

say "Verify offline: tssctl verify, then OpenSSL"
"$TSSCTL" --output text verify --public-key "$PUB" \
  --message-file "$DIR/message.txt" --hash sha256 --signature "$SIG_DER" \
  | grep -E '^(verdict|ethereum_address)'
unhex() { python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$1"; }
unhex "$SIG_DER" > "$DIR/signature.der"
# SubjectPublicKeyInfo (id-ecPublicKey, secp256k1) around the compressed key.
unhex "3036301006072a8648ce3d020106052b8104000a032200$PUB" \
  | openssl pkey -pubin -inform DER -out "$DIR/public.pem"
openssl dgst -sha256 -verify "$DIR/public.pem" -signature "$DIR/signature.der" \
  "$DIR/message.txt"

say "Done: one key, no machine ever held it; one approved signature, verified."
