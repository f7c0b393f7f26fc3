#!/usr/bin/env bash
# Issues a terminal's client certificate and gives the terminal its club in the broker's ACL:
#   issue-terminal-cert.sh [--acl FILE] CA_DIR TERMINAL_ID CLUB_ID OUTDIR
# The certificate's CN is the terminal id: mosquitto takes it as the username
# (use_identity_as_username), so the ACL's %u patterns give the terminal its own topics, and the
# `user` block appended here (default ACL /etc/mosquitto/klubkort.acl) gives it its club's topics.
# OUTDIR gets TERMINAL_ID.key, TERMINAL_ID.crt and ca.pem: the three files `klubkort provision` asks for.
# Re-running renews the certificate (same key) and leaves the ACL as it is.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/pki-common.sh"

# The contract's id formats.
CLUB_RE='^[a-z0-9-]{1,32}$'
TERMINAL_RE='^[a-z0-9-]{1,64}$'

acl=/etc/mosquitto/klubkort.acl
if [[ ${1:-} == --acl ]]; then
  acl=${2:?--acl needs a file}
  shift 2
fi
[[ $# -eq 4 ]] || die "usage: issue-terminal-cert.sh [--acl FILE] CA_DIR TERMINAL_ID CLUB_ID OUTDIR"
ca=$1 terminal=$2 club=$3 out=$4

[[ $terminal =~ $TERMINAL_RE ]] || die "terminal id '$terminal' must match $TERMINAL_RE"
[[ $club =~ $CLUB_RE ]] || die "club id '$club' must match $CLUB_RE"
[[ $terminal != ledger ]] || die "'ledger' is the ledger's identity, not a terminal id"
[[ -f $ca/ca.crt && -f $ca/ca.key ]] || die "no CA in $ca (create one with make-ca.sh)"
[[ -f $acl ]] || die "ACL file $acl not found (start from systemd/mosquitto/klubkort.acl)"

# The club this terminal already has in the ACL, if any: the read line after its `user` line.
known=$(awk -v u="$terminal" '
  $1 == "user" { inblock = ($2 == u); next }
  inblock && $1 == "topic" && $2 == "read" && $3 ~ /^klubkort\/v1\/clubs\/[^\/]+\/#$/ { split($3, p, "/"); print p[4]; exit }
' "$acl")
if [[ -z $known ]] && grep -qE "^user[[:space:]]+${terminal}[[:space:]]*$" "$acl"; then
  die "$acl already has a user $terminal that is not a terminal"
fi
[[ -z $known || $known == "$club" ]] || die "terminal $terminal belongs to club $known in $acl; remove its block first"

mkdir -p "$out"
new_key "$out/$terminal.key"
sign "$ca" "$out/$terminal.key" "$terminal" "$out/$terminal.crt" "basicConstraints=critical,CA:FALSE" \
  "keyUsage=critical,digitalSignature" "extendedKeyUsage=clientAuth"
cp "$ca/ca.crt" "$out/ca.pem"

if [[ -z $known ]]; then
  printf '\n# terminal %s of club %s (issue-terminal-cert.sh)\nuser %s\ntopic read klubkort/v1/clubs/%s/#\n' \
    "$terminal" "$club" "$terminal" "$club" >>"$acl"
  echo "added $terminal (club $club) to $acl: reload mosquitto (systemctl reload mosquitto) to apply"
fi
echo "issued $out/$terminal.crt, $out/$terminal.key and $out/ca.pem for terminal $terminal"
