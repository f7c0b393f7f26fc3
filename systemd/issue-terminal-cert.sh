#!/usr/bin/env bash
# Issues a terminal's client certificate and gives the terminal its club in the broker's ACLs:
#   issue-terminal-cert.sh [--acl FILE] CA_DIR TERMINAL_ID CLUB_ID OUTDIR
# The certificate's CN is the terminal id: mosquitto takes it as the username and the client id
# (use_identity_as_username, use_username_as_clientid), so the ACL's %u patterns give the terminal
# its own topics, and the `user` block appended here (default ACL /etc/mosquitto/klubkort.acl)
# gives it its club's topics. The check port's ACL beside it (klubkort-check.acl in the same
# directory, created if missing) gets a `user CN=TERMINAL_ID` block: its club's catalog, for
# `klubkort provision` and `selftest`.
# OUTDIR gets TERMINAL_ID.key, TERMINAL_ID.crt and ca.pem: the three files `klubkort provision` asks for.
# Re-running renews the certificate (same key) and adds only a block that is missing.
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
[[ $terminal != ledger && $terminal != release && $terminal != fleet ]] || die "'$terminal' is the identity of the ledger or a fleet tool (make-ca.sh), not a terminal id"
[[ -f $ca/ca.crt && -f $ca/ca.key ]] || die "no CA in $ca (create one with make-ca.sh)"
[[ -f $acl ]] || die "ACL file $acl not found (start from systemd/mosquitto/klubkort.acl)"
check_acl=$(dirname "$acl")/klubkort-check.acl

# known_club FILE USER SUFFIX: the club USER already has in FILE, if any (its `topic read
# klubkort/v1/clubs/CLUB/SUFFIX` line); dies if FILE has a USER block without one.
known_club() {
  local file=$1 user=$2 suffix=$3 club_of
  [[ -f $file ]] || return 0
  club_of=$(awk -v u="$user" -v s="$suffix" '
    $1 == "user" { inblock = ($2 == u); next }
    inblock && $1 == "topic" && $2 == "read" && $3 ~ "^klubkort/v1/clubs/[^/]+/" s "$" { split($3, p, "/"); print p[4]; exit }
  ' "$file")
  if [[ -z $club_of ]] && grep -qxE "user[[:space:]]+${user}[[:space:]]*" "$file"; then
    die "$file already has a user $user that is not a terminal"
  fi
  [[ -z $club_of || $club_of == "$club" ]] || die "terminal $terminal belongs to club $club_of in $file; remove its block first"
  echo "$club_of"
}
known=$(known_club "$acl" "$terminal" '#')
known_check=$(known_club "$check_acl" "CN=$terminal" catalog)

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
if [[ -z $known_check ]]; then
  [[ -f $check_acl ]] || printf '# klubkort check-port ACL (see systemd/mosquitto/klubkort-check.acl)\n' >"$check_acl"
  printf '\n# terminal %s of club %s: its check (issue-terminal-cert.sh)\nuser CN=%s\ntopic read klubkort/v1/clubs/%s/catalog\n' \
    "$terminal" "$club" "$terminal" "$club" >>"$check_acl"
  echo "added CN=$terminal (club $club) to $check_acl: reload mosquitto (systemctl reload mosquitto) to apply"
fi
echo "issued $out/$terminal.crt, $out/$terminal.key and $out/ca.pem for terminal $terminal"
