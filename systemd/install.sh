#!/usr/bin/env bash
# Installs or upgrades klubkort on a Raspberry Pi OS / Debian terminal, from this checkout:
#   sudo systemd/install.sh            packages, user, app in /opt/klubkort, units, then start
#   systemd/install.sh --root DIR      only lay the files out under DIR (an image, a test): no
#                                      packages, user, npm or systemctl, which are printed instead
#   --data-label LABEL                 mount the ext4 file system LABEL at /var/lib/klubkort (fstab),
#                                      for a read-only (overlay) root: docs/deploy.md
# Re-runnable: an upgrade replaces /opt/klubkort and the units, and never touches /etc/klubkort
# (config, certificates) or /var/lib/klubkort (the journal of sales).
set -euo pipefail
umask 022

root=''
data_label=''
while [[ $# -gt 0 ]]; do
  case $1 in
    --root) root=${2:?--root needs a directory}; root=$(cd "$root" && pwd); shift 2 ;;
    --data-label) data_label=${2:?--data-label needs a file system label}; shift 2 ;;
    *) echo "usage: install.sh [--root DIR] [--data-label LABEL]" >&2; exit 64 ;;
  esac
done
src=$(cd "$(dirname "$0")/.." && pwd)
app=/opt/klubkort
# What the app needs at run time (sim/ too: `klubkort sim` works on a terminal as a demo), and
# the build script that `npm ci` runs (prepare) to make dist/, the bundle the daemon runs.
app_items=(bin contract firmware hal sim types docs systemd scripts/build.ts package.json package-lock.json README.md)
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
  apt-get install -y "${packages[@]}"
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

# The app goes to a staging directory first, with its node_modules, and replaces the old one only
# when complete: a failed upgrade leaves the running version in place.
install_app() {
  local stage=$root$app.new
  rm -rf "$stage"
  mkdir -p "$stage"
  for item in "${app_items[@]}"; do
    [[ -e $src/$item ]] && mkdir -p "$(dirname "$stage/$item")" && cp -R "$src/$item" "$stage/$item"
  done
  if [[ -n $root ]]; then
    say "skipped (--root): npm ci --omit=dev in $app"
  else
    (cd "$stage" && npm ci --omit=dev --no-audit --no-fund) || { rm -rf "$stage"; die "npm ci failed; $app is unchanged"; }
  fi
  rm -rf "$root$app.old"
  if [[ -d $root$app ]]; then mv "$root$app" "$root$app.old"; fi
  mv "$stage" "$root$app"
  rm -rf "$root$app.old"
  mkdir -p "$root/usr/local/bin"
  ln -sfn "$app/bin/klubkort.js" "$root/usr/local/bin/klubkort"
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
if [[ -f $root/etc/klubkort/config.json ]]; then
  machine systemctl restart klubkort.service
  say "done: klubkort (re)started; 'klubkort status' shows how it is"
else
  say "done: now run 'sudo klubkort provision', then 'sudo systemctl start klubkort'"
fi
