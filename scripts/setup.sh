#!/usr/bin/env bash
# Installs what smartgate needs on Debian 12 + Node.js, then builds it. Idempotent and quiet
# when everything is in place, so `npm run demo` and `npm test` can call it every time.
#
#   scripts/setup.sh          what the daemon and the demo need
#   scripts/setup.sh --test   and what the tests need (GStreamer's RTSP server, Chromium, socat)
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: ffmpeg decodes the cameras; the fonts render the demo clip's plates (Latin, CJK);
# g++, make and python3 build better-sqlite3 during npm ci when no prebuilt binary can be fetched;
# Mosquitto is the demo's stand-in for central's broker (and the tests' private brokers);
# jemalloc is the daemon's malloc (src/core/allocator.ts).
packages=(ffmpeg fonts-dejavu-core fonts-wqy-microhei g++ make python3 mosquitto libjemalloc2)
if [[ "${1:-}" == "--test" ]]; then
  # A real RTSP server on loopback for the camera tests, run by Debian's /usr/bin/python3.
  packages+=(gir1.2-gst-rtsp-server-1.0 python3-gi python3-gst-1.0 gstreamer1.0-plugins-base
    gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav)
  # Headless Chromium for the status page's browser tests (driven by playwright-core, which
  # never downloads a browser of its own); socat makes the PTY pairs of the barrier tests.
  packages+=(chromium socat)
  # systemd-analyze verifies the installed unit, systemd-notify sends the watchdog's pings, and
  # systemd-nspawn boots a systemd that starts it (test/integration/install.test.ts,
  # service-notify.test.ts); PID 1 need not be systemd.
  packages+=(systemd systemd-container)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "setup: missing Debian packages. Install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# npm dependencies: reinstall when the lock file changed since the last install.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi

# Build when any source is newer than the last build.
if [[ ! -f dist/cli/main.js ]] || [[ -n "$(find src -newer dist/cli/main.js -print -quit)" ]]; then
  echo "setup: building" >&2
  npm run --silent build >&2
fi

# The demo clips (lane-1 at the border gate, lane-2 at the yard's exit) are rendered by the
# project's own script (synthetic plates): once, and again when the script or its plate drawing
# changed since (a pull that added a vehicle).
for scene in entry:lane-1 exit:lane-2; do
  clip=".cache/demo/${scene#*:}.mp4"
  if [[ ! -f $clip ]] || [[ scripts/render-demo-clip.mjs -nt $clip ]] || [[ scripts/lib/plate-art.mjs -nt $clip ]]; then
    echo "setup: rendering the demo clip $clip" >&2
    node scripts/render-demo-clip.mjs --scene "${scene%%:*}" --out "$clip" >&2
  fi
done
