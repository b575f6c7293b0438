#!/usr/bin/env bash
# Brings up a local nitro-tss cluster and signs. Filled in by the node and
# coordinator issues; until then it says so and fails, never pretends.
set -euo pipefail
echo "make demo: the local cluster (node, coordinator, tss-kms-local) is not built yet." >&2
exit 1
