#!/usr/bin/env bash
# npm test's test runs, after its type checks:
#
# 1. the whole suite on the Node.js LTS that a release installs (packaging/node, fetched by
#    scripts/node-lts.sh from the npm registry when this machine has another Node.js);
# 2. when this machine's Node.js is of another line that package.json's engines still allow
#    (20, until it is dropped), the runtime check on it: the unit tests, and the integration tests
#    that load each native module (better-sqlite3, onnxruntime-node, sharp, serialport), spawn
#    ffmpeg and Mosquitto, serve the page, and run the whole daemon. The whole suite twice would
#    take CI past ten minutes of tests.
#
#   scripts/test.sh [vitest arguments]     with arguments (files, -t), those run on both
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/test-lts.sh "$@"

lts_version="$(.cache/node-lts/bin/node --version)"
if [[ $(node --version | cut -d. -f1) == "${lts_version%%.*}" ]]; then
  exit 0
fi
runtime_check=(
  test/unit
  test/integration/backup-restore.test.ts
  test/integration/barrier-modbus.test.ts
  test/integration/camera-clip.test.ts
  test/integration/cli-engine.test.ts
  test/integration/cli-verify.test.ts
  test/integration/daemon-crash.test.ts
  test/integration/demo-broker.test.ts
  test/integration/uplink-tls.test.ts
  test/integration/vision-demo-plates.test.ts
  test/integration/web-limits.test.ts
)
echo "test: and on this machine's Node.js $(node --version)" >&2
if (($#)); then
  exec node node_modules/vitest/vitest.mjs run "$@"
fi
exec node node_modules/vitest/vitest.mjs run "${runtime_check[@]}"
