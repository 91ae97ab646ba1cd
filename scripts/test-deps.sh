#!/usr/bin/env bash
# System packages the test suite drives, installed from Debian when missing (root or passwordless
# sudo): Chromium for the dashboard's browser test (playwright-core cannot download a browser
# here) and Prometheus for the scrape test (which is skipped with a message when it cannot be had).
set -uo pipefail
[ -x /usr/bin/apt-get ] || exit 0
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v prometheus >/dev/null || missing+=(prometheus)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "[test] installing ${missing[*]} (Debian packages)"
$SUDO apt-get update -qq || true
# No recommends: no node exporter grabbing 9100. The package's own Prometheus service, where an
# init system started one, is stopped so nothing stray scrapes or binds.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" \
  || echo "[test] could not install ${missing[*]}: the browser test needs chromium; the scrape test will be skipped"
$SUDO service prometheus stop >/dev/null 2>&1 || true
exit 0
