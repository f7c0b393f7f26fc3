# shellcheck shell=bash
# Shared by make-ca.sh and issue-terminal-cert.sh: keys and certificates signed by the klubkort CA.
# EC P-256 keys: small, fast on a Pi, supported by mosquitto (OpenSSL) and Node.js alike.

CERT_DAYS=${KLUBKORT_CERT_DAYS:-1825}

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# new_key FILE: creates a private key readable by its owner only; an existing key is kept.
new_key() {
  [[ -f $1 ]] && return 0
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1") || die "cannot create key $1"
}

# sign CA_DIR KEY CN OUT EXTENSION...: a certificate for KEY with subject CN, signed by the CA.
sign() {
  local ca=$1 key=$2 cn=$3 out=$4 tmp
  shift 4
  tmp=$(mktemp -d)
  printf '%s\n' "$@" >"$tmp/ext"
  openssl req -new -key "$key" -subj "/CN=$cn" -out "$tmp/csr" &&
    openssl x509 -req -in "$tmp/csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
      -days "$CERT_DAYS" -sha256 -extfile "$tmp/ext" -out "$out" 2>/dev/null
  local rc=$?
  rm -rf "$tmp"
  [[ $rc -eq 0 ]] || die "cannot sign the certificate for $cn"
}
