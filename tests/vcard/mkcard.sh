#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# mkcard.sh DIR PIN - the virtual card's content, made fresh: an NSS database
# DIR/nssdb whose password is PIN (the card's PIN: libcacard hands the VERIFY
# data to NSS), holding three RSA 2048 keys with their certificates, as on a
# CAC: "sign" (non-repudiation, the RGS** signature certificate of a
# delivered token), "auth" (client authentication) and "enc" (key
# encipherment). They are issued by a test CA whose certificate is written
# to DIR/ca.pem (for check --ca-file). Tools: openssl, certutil, pk12util
# (Debian libnss3-tools).
set -eu
dir=$1
pin=$2
openssl=${OPENSSL_BIN:-openssl}
mkdir -p "$dir/nssdb" "$dir/pki"
pki=$dir/pki
umask 077
printf '%s\n' "$pin" >"$pki/pin"
printf 'p12\n' >"$pki/p12pass"

"$openssl" req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$dir/ca.pem" \
  -days 3650 -sha256 -subj "/C=FR/O=RGS test CA/CN=RGS virtual card test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  2>/dev/null

# name subject-suffix key-usage [extended-key-usage]. NSS gives one nickname
# to all the certificates of a subject: each needs its own.
issue() {
  name=$1
  "$openssl" req -new -newkey rsa:2048 -nodes -keyout "$pki/$name.key" -out "$pki/$name.csr" \
    -utf8 -subj "/C=FR/O=BS AUTO/OU=0002 732829320/CN=Frédéric SENEZ$2" 2>/dev/null
  shift
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,$2"
    [ -z "${3:-}" ] || echo "extendedKeyUsage=$3"
    echo "subjectKeyIdentifier=hash"
    echo "authorityKeyIdentifier=keyid"
  } >"$pki/$name.ext"
  "$openssl" x509 -req -in "$pki/$name.csr" -CA "$dir/ca.pem" -CAkey "$pki/ca.key" \
    -CAcreateserial -days 1095 -sha256 -extfile "$pki/$name.ext" -out "$pki/$name.pem" 2>/dev/null
  "$openssl" pkcs12 -export -name "$name" -inkey "$pki/$name.key" -in "$pki/$name.pem" \
    -passout "file:$pki/p12pass" -out "$pki/$name.p12"
  pk12util -i "$pki/$name.p12" -d "sql:$dir/nssdb" -k "$pki/pin" -w "$pki/p12pass" >/dev/null
}

# (certutil asks for /dev/tty first and says so on stderr when there is none)
certutil -N -d "sql:$dir/nssdb" -f "$pki/pin" 2>/dev/null
issue sign "" nonRepudiation,digitalSignature
issue auth "/title=Authentification" digitalSignature clientAuth
issue enc "/title=Chiffrement" keyEncipherment emailProtection
# The private keys now live in the database only.
rm -f "$pki"/*.key
