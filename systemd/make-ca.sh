#!/usr/bin/env bash
# Creates the klubkort CA with the broker's server certificate and the ledger's client certificate:
#   make-ca.sh CA_DIR BROKER_HOST...
# CA_DIR/ca.key, ca.crt        the CA (keep ca.key offline; it signs every terminal)
# CA_DIR/broker.key, .crt      the broker's TLS certificate, valid for each BROKER_HOST (name or IP)
# CA_DIR/ledger.key, .crt      the ledger's client certificate (CN "ledger", the ACL's ledger user)
# CA_DIR/release.key, .crt     the release tool's (CN "release": `klubkort fleet update` announces updates)
# CA_DIR/fleet.key, .crt       the fleet view's (CN "fleet": `klubkort fleet` reads the terminals' statuses)
# Re-running keeps an existing CA and keys and issues the certificates again.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/pki-common.sh"

[[ $# -ge 2 ]] || die "usage: make-ca.sh CA_DIR BROKER_HOST..."
ca=$1
shift
mkdir -p "$ca"
chmod 700 "$ca"

if [[ ! -f $ca/ca.crt ]]; then
  new_key "$ca/ca.key"
  openssl req -x509 -new -key "$ca/ca.key" -subj "/CN=klubkort CA" -days 3650 -sha256 -out "$ca/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" ||
    die "cannot create the CA"
fi

san=()
for host in "$@"; do
  if [[ $host =~ ^[0-9.]+$ || $host == *:* ]]; then san+=("IP:$host"); else san+=("DNS:$host"); fi
done
new_key "$ca/broker.key"
sign "$ca" "$ca/broker.key" "$1" "$ca/broker.crt" "basicConstraints=critical,CA:FALSE" \
  "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" "subjectAltName=$(IFS=,; echo "${san[*]}")"
for client in ledger release fleet; do
  new_key "$ca/$client.key"
  sign "$ca" "$ca/$client.key" "$client" "$ca/$client.crt" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=clientAuth"
done
echo "CA in $ca: ca.crt, broker.crt/.key for $*, ledger.crt/.key, release.crt/.key, fleet.crt/.key"
