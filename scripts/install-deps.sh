#!/usr/bin/env bash
# Installs the Debian 12 packages nitro-tss builds and tests with. Idempotent:
# skips packages that are already installed, runs `apt-get update` at most once.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git ca-certificates
  # gRPC + Protobuf: coordinator/node APIs and all wire formats.
  libgrpc++-dev libgrpc-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  # Crypto and math.
  libsodium-dev libgmp-dev libsecp256k1-dev libssl-dev openssl
  # Crypto++: Keccak-256 with Ethereum's padding (common/keccak.h); OpenSSL
  # 3.0 has only SHA3 and KECCAK-KMAC.
  libcrypto++-dev
  # Abseil (Status/StatusOr, strings, flags).
  libabsl-dev
  # CLI11: command lines of tssctl and tss-kms-local (common/cli.h).
  libcli11-dev
  # Parsing and transport (nlohmann-json: the parser behind common/json.h).
  nlohmann-json3-dev libcbor-dev libcurl4-openssl-dev libsqlite3-dev
  # Coordinator storage: libpq for the PostgreSQL backend; the PostgreSQL 15
  # server binaries for its tests, which initdb and run their own throwaway
  # server on a unix socket (the package's system cluster is never used).
  libpq-dev postgresql-15
  # Prometheus metrics of tss-host (prometheus-cpp: registry + /metrics).
  prometheus-cpp-dev
  # Tests, benchmarks, fuzzing.
  libgtest-dev libgmock-dev libbenchmark-dev clang-14 libclang-rt-14-dev
  # Interop tests: python3 for boto3-driven tests, Debian's AWS CLI;
  # python3-cryptography signs approvals independently (tests/node/approval).
  python3 awscli python3-cryptography
  # promtool (from the prometheus package) lints tss-host's /metrics output
  # in tests/node/host; the server it also ships is not used.
  prometheus
  # callgrind counts the instructions of one presignature's exponentiations
  # for bench/gg20/presign_profile.py (docs/BENCHMARKS.md, issue 16).
  valgrind
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
