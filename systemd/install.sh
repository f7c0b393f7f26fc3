#!/usr/bin/env bash
# Installs or upgrades klubkort on a Raspberry Pi OS / Debian terminal:
#   sudo systemd/install.sh --bundle FILE   from a signed release bundle (npm run release): packages,
#                                      user, the release verified and unpacked by `klubkort update`,
#                                      units, then start
#   sudo systemd/install.sh            the same from this checkout (compiles the addons: npm ci)
#   systemd/install.sh --root DIR      only lay the files out under DIR (an image, a test): no
#                                      packages, user, npm or systemctl, which are printed instead
#   --data-label LABEL                 mount the ext4 file system LABEL at /var/lib/klubkort (fstab),
#                                      for a read-only (overlay) root: docs/deploy.md
# The app is laid out as releases (firmware/release/releases.ts): /opt/klubkort/releases/<version>,
# `current` and `previous` links to them, each switched by renaming a new link over the old one;
# the unit runs /opt/klubkort/current. An old checkout installation (/opt/klubkort/bin a directory)
# is moved aside to /opt/klubkort.checkout-old. Re-runnable: never touches /etc/klubkort (config,
# certificates, release keys) or /var/lib/klubkort (the journal of sales).
set -euo pipefail
umask 022

root=''
data_label=''
bundle=''
while [[ $# -gt 0 ]]; do
  case $1 in
    --root) root=${2:?--root needs a directory}; root=$(cd "$root" && pwd); shift 2 ;;
    --data-label) data_label=${2:?--data-label needs a file system label}; shift 2 ;;
    --bundle) bundle=${2:?--bundle needs a release bundle file}; bundle=$(realpath "$bundle"); shift 2 ;;
    *) echo "usage: install.sh [--bundle FILE] [--root DIR] [--data-label LABEL]" >&2; exit 64 ;;
  esac
done
src=$(cd "$(dirname "$0")/.." && pwd)
app=/opt/klubkort
# What the app needs at run time (sim/ too: `klubkort sim` works on a terminal as a demo), and
# the build script that `npm ci` runs (prepare) to make dist/, the bundle the daemon runs.
app_items=(bin lib contract firmware hal sim types docs systemd scripts/build.ts scripts/bundle.ts package.json package-lock.json README.md)
# cage + foot (+ seatd, a font; Debian 12's cage will not start without xwayland): the kiosk the cashier screen runs in, with the photo as sixel pixels.
packages=(pcscd libccid libpcsclite1 libpcsclite-dev pcsc-tools polkitd build-essential python3 cage foot xwayland seatd fonts-dejavu-core gpiod kbd)
# gpio: LEDs and buzzer; video (seatd's group), render, input: the kiosk's display, GPU and keypad.
groups=(gpio video render input)

say() { echo "install: $*"; }
die() { echo "install: $*" >&2; exit 1; }
# Runs a step that changes the machine itself; with --root it is only printed.
machine() {
  if [[ -n $root ]]; then say "skipped (--root): $*"; else "$@"; fi
}
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

install_packages() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  # A Node.js 20+ already there (e.g. from NodeSource) stays; else Debian's own, if it is new enough.
  if (($(node_major) < 20)); then
    local candidate
    candidate=$(apt-cache policy nodejs | awk '/Candidate:/ { print $2 }')
    candidate=${candidate#*:}
    if [[ ! $candidate =~ ^[0-9]+ ]] || ((${candidate%%.*} < 20)); then
      die "klubkort needs Node.js 20 or later; installed: $(node --version 2>/dev/null || echo none), Debian's package: ${candidate:-none}.
Debian 12 (bookworm) ships 18. Install 20 from NodeSource, then run this script again:
  curl -fsSL https://deb.nodesource.com/setup_20.x | sudo bash - && sudo apt-get install -y nodejs"
    fi
    apt-get install -y nodejs npm
  fi
  if [[ -n $bundle ]]; then
    # A bundle brings its addons compiled: no compiler, no headers.
    local p wanted=()
    for p in "${packages[@]}"; do [[ $p == build-essential || $p == libpcsclite-dev ]] || wanted+=("$p"); done
    apt-get install -y "${wanted[@]}"
  else
    apt-get install -y "${packages[@]}"
  fi
}

create_user() {
  local g
  for g in "${groups[@]}"; do getent group "$g" >/dev/null || groupadd --system "$g"; done
  local list
  list=$(IFS=,; echo "${groups[*]}")
  if id klubkort >/dev/null 2>&1; then
    usermod -aG "$list" klubkort
  else
    useradd --system --home-dir /var/lib/klubkort --no-create-home --shell /usr/sbin/nologin --groups "$list" klubkort
  fi
}

# The kernel's NFC driver may hold the reader since boot (the blacklist covers reboots); not loaded is fine.
unload_nfc_drivers() {
  modprobe -r pn533_usb pn533 nfc 2>/dev/null || true
}

# A link renamed over the old one: at every moment `name` is the old link or the new one.
switch_link() {
  local name=$1 target=$2
  ln -sfn "$target" "$name.new-$$"
  mv -T "$name.new-$$" "$name"
}

# An installation from a checkout made before releases (a directory of its own at /opt/klubkort)
# goes aside whole; its daemon keeps running from the moved files until the restart at the end.
move_checkout_aside() {
  local dir=$root$app
  if [[ -e $dir && ! -d $dir/releases ]]; then
    rm -rf "$dir.checkout-old"
    mv "$dir" "$dir.checkout-old"
    say "the old installation from a checkout is now $app.checkout-old (remove it once the new one runs)"
  fi
  mkdir -p "$dir/releases"
}

# bin, systemd, docs → current/…: the paths older units and scripts name.
entry_links() {
  local name
  for name in bin systemd docs; do
    [[ -e $root$app/$name || -L $root$app/$name ]] || switch_link "$root$app/$name" "current/$name"
  done
  mkdir -p "$root/usr/local/bin"
  ln -sfn "$app/current/bin/klubkort.js" "$root/usr/local/bin/klubkort"
}

# The checkout as a release: its version is package.json's with a hash of the files, so a second
# run of the same checkout finds it installed and changes nothing. Unpacked (and npm ci'd) into a
# staging directory renamed into place when complete: a failed upgrade leaves `current` as it was.
install_checkout() {
  local items=() item version hash stage rel was
  for item in "${app_items[@]}"; do [[ -e $src/$item ]] && items+=("$item"); done
  hash=$(cd "$src" && find "${items[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
  version=$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' "$src/package.json")-checkout.$hash
  rel=$root$app/releases/$version
  if [[ ! -d $rel ]]; then
    stage=$root$app/releases/.staging-$version-$$
    rm -rf "$stage"
    mkdir -p "$stage"
    for item in "${items[@]}"; do mkdir -p "$(dirname "$stage/$item")" && cp -R "$src/$item" "$stage/$item"; done
    if [[ -n $root ]]; then
      say "skipped (--root): npm ci --omit=dev in $app/releases/$version"
    else
      (cd "$stage" && npm ci --omit=dev --no-audit --no-fund) || { rm -rf "$stage"; die "npm ci failed; $app is unchanged"; }
    fi
    mv -T "$stage" "$rel"
  fi
  was=$(readlink "$root$app/current" || true)
  if [[ $was != "releases/$version" ]]; then
    [[ -n $was ]] && switch_link "$root$app/previous" "$was"
    switch_link "$root$app/current" "releases/$version"
  fi
  # Only `current` and `previous` are kept.
  local keep_c keep_p d
  keep_c=$(readlink "$root$app/current" || true)
  keep_p=$(readlink "$root$app/previous" || true)
  for d in "$root$app"/releases/* "$root$app"/releases/.staging-*; do
    [[ -e $d ]] || continue
    [[ releases/${d##*/} == "$keep_c" || releases/${d##*/} == "$keep_p" ]] || rm -rf "$d"
  done
  say "release $version is current"
}

# A bundle is verified whole (signature by a key in /etc/klubkort/release-keys, every hash) and
# installed by `klubkort update`: an installed release's own when there is one, else the bundle's,
# unpacked to a temporary directory and checked by verify-unpacked.mjs before any of it runs.
install_bundle() {
  local runner tmp='' code=0
  if [[ -f $root$app/current/manifest.json ]]; then
    runner=$root$app/current/bin/klubkort.js
  else
    tmp=$(mktemp -d)
    tar -xzf "$bundle" -C "$tmp" || { rm -rf "$tmp"; die "$bundle is not a release bundle"; }
    node "$(dirname "$0")/verify-unpacked.mjs" "$tmp" "$root/etc/klubkort/release-keys" || { rm -rf "$tmp"; die "$bundle was not installed: nothing of it ran, $app is unchanged"; }
    runner=$tmp/bin/klubkort.js
  fi
  node "$runner" update --bundle "$bundle" --root "${root:-/}" || code=$?
  [[ -n $tmp ]] && rm -rf "$tmp"
  ((code == 0)) || die "the bundle was not installed (klubkort update: $code); $app is unchanged"
  src=$root$app/current
}

install_app() {
  move_checkout_aside
  if [[ -n $bundle ]]; then install_bundle; else install_checkout; fi
  entry_links
}

# libccid passes SCardControl to the ACR122U (its beeper and LED commands) only with
# ifdDriverOptions 0x0001 (DRIVER_OPTION_CCID_EXCHANGE_AUTHORIZED). Debian keeps the file in /etc.
enable_ccid_escape() {
  local plist=$root/etc/libccid_Info.plist
  [[ -f $plist ]] || plist=$root/usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/Info.plist
  if [[ ! -f $plist ]]; then say "no libccid Info.plist: the reader keeps beeping by itself"; return 0; fi
  sed -i --follow-symlinks '/<key>ifdDriverOptions<\/key>/{n;s#<string>[^<]*</string>#<string>0x0001</string>#}' "$plist"
}

install_system_files() {
  install -D -m 0644 "$src/systemd/blacklist-pn533.conf" "$root/etc/modprobe.d/blacklist-pn533.conf"
  install -D -m 0644 "$src/systemd/50-klubkort-pcscd.rules" "$root/etc/polkit-1/rules.d/50-klubkort-pcscd.rules"
  install -D -m 0644 "$src/systemd/klubkort.service" "$root/etc/systemd/system/klubkort.service"
  install -D -m 0644 "$src/systemd/klubkort-rollback.service" "$root/etc/systemd/system/klubkort-rollback.service"
  # The update agent's hand-over (docs/deploy.md): a bundle installed from a checkout has them too.
  local unit
  for unit in klubkort-update.path klubkort-update.service; do
    [[ -f $src/systemd/$unit ]] && install -D -m 0644 "$src/systemd/$unit" "$root/etc/systemd/system/$unit"
  done
  install -D -m 0644 "$src/systemd/klubkort-commit.service" "$root/etc/systemd/system/klubkort-commit.service"
  install -D -m 0644 "$src/systemd/92-klubkort-acr122u.rules" "$root/etc/udev/rules.d/92-klubkort-acr122u.rules"
  install -D -m 0644 "$src/systemd/60-klubkort-gpio.rules" "$root/etc/udev/rules.d/60-klubkort-gpio.rules"
  install -D -m 0644 "$src/systemd/90-klubkort-console.conf" "$root/etc/sysctl.d/90-klubkort-console.conf"
  install -D -m 0644 "$src/systemd/klubkort-watchdog.conf" "$root/etc/systemd/system.conf.d/klubkort-watchdog.conf"
  # Kept as they are on an upgrade; systemd creates and owns them too (ConfigurationDirectory=, StateDirectory=).
  install -d -m 0755 "$root/etc/klubkort"
  install -d -m 0700 "$root/var/lib/klubkort"
}

# The journal on its own partition, so raspi-config's overlay root (RAM) never holds it. Added once.
add_data_mount() {
  local fstab=$root/etc/fstab line="LABEL=$data_label /var/lib/klubkort ext4 defaults,noatime 0 2"
  mkdir -p "$(dirname "$fstab")"
  touch "$fstab"
  if awk '$2 == "/var/lib/klubkort"' "$fstab" | grep -q .; then
    say "fstab already mounts /var/lib/klubkort: left as it is"
  else
    echo "$line" >>"$fstab"
    say "fstab: $line"
  fi
}

if [[ -z $root && $EUID -ne 0 ]]; then die "run as root (sudo), or with --root DIR"; fi
machine install_packages
machine create_user
install_app
install_system_files
mount_data() { mountpoint -q /var/lib/klubkort || mount /var/lib/klubkort; }
if [[ -n $data_label ]]; then add_data_mount && machine mount_data; fi
machine chown klubkort:klubkort /var/lib/klubkort
machine unload_nfc_drivers
enable_ccid_escape
machine systemctl daemon-reexec
machine sysctl -p /etc/sysctl.d/90-klubkort-console.conf
machine udevadm control --reload
machine udevadm trigger --subsystem-match=usb --attr-match=idVendor=072f
machine udevadm trigger --subsystem-match=gpio
# A desktop image's display manager would cover tty1: boot to the console.
machine systemctl set-default multi-user.target
# tty1 is the cashier's screen, not a login prompt.
machine systemctl mask getty@tty1.service autovt@tty1.service
machine systemctl enable --now pcscd.socket
# seatd gives the kiosk (cage) the display and input devices without a login session.
machine systemctl enable --now seatd.service
machine systemctl enable klubkort.service
[[ -f $root/etc/systemd/system/klubkort-update.path ]] && machine systemctl enable --now klubkort-update.path
if [[ -f $root/etc/klubkort/config.json ]]; then
  machine systemctl restart klubkort.service
  say "done: klubkort (re)started; 'klubkort status' shows how it is"
else
  say "done: now run 'sudo klubkort provision', then 'sudo systemctl start klubkort'"
fi
