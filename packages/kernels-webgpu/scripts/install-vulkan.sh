#!/usr/bin/env bash
# Installs a Vulkan driver (Mesa's lavapipe) so that Dawn, inside the `webgpu`
# npm package, finds an adapter on a machine with no GPU. Bookworm's own Mesa
# (22.3) is too old for Dawn, so it comes from bookworm-backports.
# Idempotent: safe to run on every CI run. Needs root (or sudo).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ -f /usr/share/vulkan/icd.d/lvp_icd.json ] \
  && dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q bpo12 \
  && dpkg-query -W -f='${Status}' libvulkan1 2>/dev/null | grep -q 'install ok installed'; then
  echo "install-vulkan: lavapipe from bookworm-backports is already installed"
  exit 0
fi

SOURCES=/etc/apt/sources.list.d/bookworm-backports.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  $SUDO tee "$SOURCES" >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

export DEBIAN_FRONTEND=noninteractive
# Another apt run (CI setup, a sibling job) may hold the dpkg lock: wait for it.
APT_WAIT=(-o DPkg::Lock::Timeout=900)
$SUDO apt-get "${APT_WAIT[@]}" update
$SUDO apt-get "${APT_WAIT[@]}" install -y -t bookworm-backports mesa-vulkan-drivers libvulkan1
echo "install-vulkan: done ($(dpkg-query -W -f='${Version}' mesa-vulkan-drivers))"
