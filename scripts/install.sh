#!/usr/bin/env bash
# Installs a smartgate release tarball (made by `npm pack`) as a systemd service:
#
#   scripts/install.sh --tarball smartgate-X.Y.Z.tgz [--root DIR] [--node lts|system]
#
#   /opt/smartgate                        the package and its production dependencies
#   /opt/smartgate/node                   the Node.js LTS it runs on (--node lts, the default)
#   /opt/smartgate/bin/smartgate          the command: the release's code on that Node.js
#   /usr/local/bin/smartgate              a link to it
#   /etc/smartgate/gate.yaml              from config/gate.example.yaml, only when there is none
#   /etc/systemd/system/smartgate.service packaging/smartgate.service (replaced on upgrade)
#   the smartgate system user             only when DIR is / and run as root
#   /var/lib/smartgate                    made by systemd at the first start (StateDirectory=)
#
# --root DIR installs under DIR instead of / (a scratch root: tests, images). Dependencies come
# from the release's npm-shrinkwrap.json, from npm's cache when they are there (--prefer-offline).
# --node lts (the default) installs the Node.js LTS the release was tested on (packaging/node, from
# the npm registry: Debian 12's own Node.js is 18, too old); --node system runs on the `node` on
# PATH instead, which must satisfy package.json's engines.
# An upgrade replaces /opt/smartgate whole and keeps /etc/smartgate and /var/lib/smartgate.
set -euo pipefail

usage() {
  echo "usage: $0 --tarball FILE [--root DIR] [--node lts|system]" >&2
  exit 2
}

tarball=''
root='/'
node_choice='lts'
while (($#)); do
  case "$1" in
    --tarball) tarball="${2:-}" && shift 2 || usage ;;
    --root) root="${2:-}" && shift 2 || usage ;;
    --node) node_choice="${2:-}" && shift 2 || usage ;;
    -h | --help) usage ;;
    *) usage ;;
  esac
done
[[ -n $tarball && -n $root ]] || usage
[[ $node_choice == lts || $node_choice == system ]] ||
  { echo "install: --node is lts or system, not '$node_choice'" >&2; exit 2; }
[[ -f $tarball ]] || { echo "install: no such tarball: $tarball" >&2; exit 2; }
# npm fetches the dependencies (and the LTS); it runs on whatever Node.js the OS has (Debian's
# nodejs and npm packages will do for that).
command -v node >/dev/null && command -v npm >/dev/null ||
  { echo "install: needs npm (Debian: apt-get install npm)" >&2; exit 1; }
tarball="$(cd "$(dirname "$tarball")" && pwd)/$(basename "$tarball")"
root="$(mkdir -p "$root" && cd "$root" && pwd)"
r="${root%/}" # prefix of every installed path: empty for /

say() { echo "install: $*" >&2; }

# 1. The package, into a new directory first: a failed install leaves the old one in place.
app="$r/opt/smartgate"
new="$app.new.$$"
trap 'rm -rf "$new"' EXIT
mkdir -p "$new"
tar -xzf "$tarball" -C "$new" --strip-components=1 --no-same-owner
[[ -f $new/npm-shrinkwrap.json && -f $new/dist/cli/main.js ]] ||
  { echo "install: $tarball is not a smartgate release (no npm-shrinkwrap.json or dist/)" >&2; exit 2; }
# onnxruntime-node's install step would download optional GPU libraries; the gate runs on CPU.
printf 'onnxruntime-node-install=skip\n' >"$new/.npmrc"
# The Node.js the service runs on, and that the native modules are built for.
if [[ $node_choice == lts ]]; then
  if [[ -x $app/node/bin/node ]] && cmp -s "$app/node/package-lock.json" "$new/packaging/node/package-lock.json"; then
    cp -a "$app/node" "$new/node"
  else
    bash "$new/scripts/node-lts.sh" --into "$new/node" >/dev/null
  fi
  node_bin="$new/node/bin/node"
  node_dir="$new/node" # its headers, for node-gyp
else
  node_bin="$(command -v node)"
  node_dir=''
  "$node_bin" -e '
    const [maj, min] = process.versions.node.split(".").map(Number);
    process.exit(maj === 20 ? (min >= 12 ? 0 : 1) : maj >= 22 ? 0 : 1);' ||
    { echo "install: --node system: $node_bin is Node.js $("$node_bin" --version); smartgate needs ^20.12.0 or >=22 (or use --node lts)" >&2; exit 1; }
fi
# With --node lts, npm too is the pinned one (in $node_dir/bin), reading the system npm's settings
# (registry, proxy, CA) from the same global npmrc.
node_env=(env "PATH=$(dirname "$node_bin"):$PATH")
if [[ -n $node_dir ]]; then
  node_env+=("npm_config_nodedir=$node_dir" "npm_config_globalconfig=$(npm config get globalconfig 2>/dev/null)")
fi
# The native modules are built for this Node.js ABI, by this npm's node-gyp: a reinstall with the
# same dependencies, Node.js and npm keeps the ones in place (better-sqlite3 compiles for a minute
# or more when offline).
abi="$("$node_bin" -p 'process.platform + "-" + process.arch + "-node-abi-" + process.versions.modules') npm-$("${node_env[@]}" npm --version 2>/dev/null)"
if [[ -d $app/node_modules && $(cat "$app/node_modules/.smartgate-abi" 2>/dev/null) == "$abi" ]] &&
  cmp -s "$app/npm-shrinkwrap.json" "$new/npm-shrinkwrap.json"; then
  say "same dependencies and Node.js as installed: keeping them"
  cp -a "$app/node_modules" "$new/node_modules"
else
  say "installing the production dependencies in $app"
  # --ignore-scripts keeps npm from running the package's own `prepare` (a build from sources the
  # release does not ship); `npm rebuild` then runs the dependencies' install steps (native modules).
  (cd "$new" && "${node_env[@]}" npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >&2)
  (cd "$new" && "${node_env[@]}" npm rebuild --loglevel=error >&2)
  echo "$abi" >"$new/node_modules/.smartgate-abi"
fi
# 2. The command the unit and the technician run: the release's code on the chosen Node.js. That
# Node.js goes first on PATH and dist/cli/main.js starts through its own #! line, which sets the
# daemon's memory options (jemalloc, glibc's malloc settings, V8's semi-spaces). The launcher finds the release from
# its own path, so it works under a scratch root as under /.
mkdir -p "$new/bin"
if [[ $node_choice == lts ]]; then
  node_path='$app/node/bin'
else
  node_path="$(dirname "$node_bin")"
fi
cat >"$new/bin/smartgate" <<LAUNCHER
#!/bin/sh
# smartgate on the Node.js it was installed with (scripts/install.sh --node $node_choice).
app="\$(dirname "\$(dirname "\$(readlink -f "\$0")")")"
PATH="$node_path:\$PATH" exec "\$app/dist/cli/main.js" "\$@"
LAUNCHER
chmod 0755 "$new/bin/smartgate"

rm -rf "$app.old"
[[ -d $app ]] && mv "$app" "$app.old"
mv "$new" "$app"
rm -rf "$app.old"
trap - EXIT

mkdir -p "$r/usr/local/bin"
ln -sfn ../../../opt/smartgate/bin/smartgate "$r/usr/local/bin/smartgate"

# 3. The configuration: never overwritten; the example's dataDir becomes the service's state directory.
mkdir -p "$r/etc/smartgate"
if [[ -e $r/etc/smartgate/gate.yaml ]]; then
  say "keeping $r/etc/smartgate/gate.yaml"
else
  sed -E 's|^dataDir: \./data +# .*$|dataDir: /var/lib/smartgate            # event store and plate images (systemd: StateDirectory=smartgate)|' \
    "$app/config/gate.example.yaml" >"$r/etc/smartgate/gate.yaml"
  grep -q '^dataDir: /var/lib/smartgate ' "$r/etc/smartgate/gate.yaml" ||
    { echo "install: could not set dataDir in gate.yaml" >&2; exit 1; }
  chmod 0640 "$r/etc/smartgate/gate.yaml"
  say "wrote $r/etc/smartgate/gate.yaml from the example: edit it before starting the service"
fi

# 4. The unit.
mkdir -p "$r/etc/systemd/system"
install -m 0644 "$app/packaging/smartgate.service" "$r/etc/systemd/system/smartgate.service"

# 5. The user and systemd: only on the real system.
if [[ -n $r || $(id -u) -ne 0 ]]; then
  say "not creating the smartgate user (root is $root, or not run as root)"
else
  if ! getent passwd smartgate >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/smartgate --no-create-home \
      --shell /usr/sbin/nologin --comment 'smartgate border gate agent' smartgate
    say "created the smartgate system user"
  fi
  # The daemon reads its config (it may hold the broker's password); only root writes it.
  chgrp smartgate /etc/smartgate/gate.yaml
  if [[ -d /run/systemd/system ]]; then
    systemctl daemon-reload
    if systemctl is-active --quiet smartgate; then
      say "next: systemctl restart smartgate, to run this version"
    else
      say "next: edit /etc/smartgate/gate.yaml, then: systemctl enable --now smartgate"
    fi
  fi
fi
# The daemon's malloc is jemalloc (src/core/allocator.ts); without it the daemon still runs.
if ! PATH="$PATH:/usr/sbin:/sbin" ldconfig -p 2>/dev/null | grep -q 'libjemalloc\.so\.2 '; then
  say "warning: libjemalloc2 is not installed: the daemon runs on glibc's malloc and its memory grows by 20-30 MB over its first hour (apt-get install libjemalloc2)"
fi
say "installed smartgate $("$app/bin/smartgate" --version) in $app, on Node.js $("${node_bin/#$new/$app}" --version)"
