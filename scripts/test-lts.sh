#!/usr/bin/env bash
# Runs the tests on the pinned Node.js LTS (packaging/node), the Node.js a release installs, whatever
# Node.js this machine has (npm test calls it; scripts/test.sh says what runs where).
#
#   scripts/test-lts.sh [vitest arguments]     e.g. test/unit test/integration/cli.test.ts
#
# The tests run in a copy of the checkout (.cache/lts-tree): the sources and the build are copied,
# node_modules is hard-linked, except better-sqlite3, whose native module is built once for the
# LTS's ABI and kept in .cache/node-lts-modules. Expects scripts/setup.sh --test to have run.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
say() { echo "test-lts: $*" >&2; }

lts_node="$(bash scripts/node-lts.sh --into .cache/node-lts)"
lts_bin="$(dirname "$lts_node")"
lts_version="$("$lts_node" --version)"
if [[ $(node --version | cut -d. -f1) == "${lts_version%%.*}" ]]; then
  say "this machine's Node.js $(node --version) is of the LTS line $lts_version: running the tests on it, here"
  exec node node_modules/vitest/vitest.mjs run "$@"
fi

# better-sqlite3 is the one dependency built against Node's own ABI (the others use N-API):
# build it once per (its version, the LTS's version), in a copy.
sqlite_version="$(node -p "require('./node_modules/better-sqlite3/package.json').version")"
sqlite_build=".cache/node-lts-modules/better-sqlite3-$sqlite_version-node-$lts_version"
if [[ ! -f $sqlite_build/build/Release/better_sqlite3.node ]]; then
  say "building better-sqlite3 $sqlite_version for Node.js $lts_version (a minute or two)"
  rm -rf "$sqlite_build" "$sqlite_build.new"
  mkdir -p "$(dirname "$sqlite_build")"
  cp -a node_modules/better-sqlite3 "$sqlite_build.new"
  # The LTS's own npm and headers (the packages carry them): nothing is downloaded.
  globalconfig="$(npm config get globalconfig 2>/dev/null)"
  (cd "$sqlite_build.new" && PATH="$lts_bin:$PATH" npm_config_nodedir="$(dirname "$lts_bin")" \
    npm_config_globalconfig="$globalconfig" npm run --silent build-release >/dev/null 2>"$repo/.cache/node-lts-modules/build.log") ||
    { say "building better-sqlite3 failed; see .cache/node-lts-modules/build.log"; exit 1; }
  mv "$sqlite_build.new" "$sqlite_build"
fi

tree=.cache/lts-tree
rm -rf "$tree"
mkdir -p "$tree/.cache"
for entry in * .npmrc; do
  case "$entry" in
    # node_modules is linked below; a demo's data and coverage reports are no part of a test run.
    node_modules | data | coverage) ;;
    *) cp -a "$entry" "$tree/" ;;
  esac
done
[[ -d .cache/demo ]] && cp -al .cache/demo "$tree/.cache/demo"
cp -al node_modules "$tree/node_modules"
rm -rf "$tree/node_modules/better-sqlite3"
cp -al "$sqlite_build" "$tree/node_modules/better-sqlite3"

say "running the tests on Node.js $lts_version in $tree"
# The LTS's npm comes first on PATH too (the tests run npm pack, npm ci): with this machine's npm
# settings (registry, proxy, CA), which live in the system npm's global npmrc.
export npm_config_globalconfig="${npm_config_globalconfig:-$(npm config get globalconfig 2>/dev/null)}"
cd "$tree"
PATH="$lts_bin:$PATH" exec node node_modules/vitest/vitest.mjs run "$@"
