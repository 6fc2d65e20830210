#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# demo.sh - build rgs-enroll and run a whole enrolment on a DEMO token.
#
# The token is SoftHSM2, a software token created here in build-demo/demo/: it is
# NOT a qualified device, and rgs-enroll says so at every step; the CA is a
# DEMO CA made here, not Certigna. Everything else is what a holder does with
# a real IDPrime or eToken: record the order, book the AED, check the token,
# generate the key on it, build the SHA-256 request bound to the order, hand
# it to the CA, install the issued certificate and prove the token signs.
# Usage: ./scripts/demo.sh   (run it again: it starts from a fresh token)
set -eu
cd "$(dirname "$0")/.."
. scripts/deps.sh
rgs_install_deps

cmake -S . -B build-demo -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
ninja -C build-demo rgs-enroll >/dev/null

demo="$PWD/build-demo/demo"
rm -rf "$demo"
mkdir -p "$demo/tokens"
chmod 700 "$demo"
cat > "$demo/softhsm2.conf" <<CONF
directories.tokendir = $demo/tokens
objectstore.backend = file
log.level = ERROR
CONF
export SOFTHSM2_CONF="$demo/softhsm2.conf"
# A random demo PIN, kept in a private file: never on a command line.
umask 077
pin=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ' | cut -c1-6)
printf '%s\n' "$pin" > "$demo/pin"
softhsm2-util --init-token --free --label "DEMO rgs-enroll" --pin "$pin" \
  --so-pin "$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')" >/dev/null
unset pin

module=$(find /usr/lib -name libsofthsm2.so -path '*softhsm*' | head -n 1)
rgs() {
  ./build-demo/cli/rgs-enroll --module "$module" --policy data/policy/demo-softhsm.conf \
    --db "$demo/orders.db" --pin-file "$demo/pin" "$@"
}

echo "== 1. The order placed on the Certigna portal (partner code CMA), recorded"
rgs order new --partner cma --validity 3 --holder-first-name "Frédéric" \
  --holder-last-name Senez --email f.senez@example.fr --phone 0491000000 \
  --company "BS AUTO" --siren 732829320 --payment virement --accept-cgu --dept 13
echo
echo "== 2. The AED offices of the Bouches-du-Rhône, the fee, the appointment"
rgs aed list --dept 13
rgs aed quote --mode holder-travels
rgs aed book 1 --aed synergie-marseille --date "$(date -d '+9 days' +%Y-%m-%d)T10:00" \
  --mode holder-travels
echo
echo "== 3. The token plugged in (a DEMO SoftHSM token, not a qualified device)"
rgs tokens
echo
echo "== 4. The RGS** check: a demo device is never qualified, so this says no"
rgs check || true
echo
echo "== 5. The holder's one command: check, key pair on the card, SHA-256 request,"
echo "      subject taken from the order, request bound to the order"
rgs start --order 1 --out "$demo/request.csr"
echo
echo "== 6. The request, verified independently by OpenSSL"
openssl req -in "$demo/request.csr" -noout -verify -subject -nameopt utf8
echo
echo "== 7. The request handed to the CA: a file to upload on the portal"
rgs submit 1 --out "$demo/to-upload.csr"
echo
echo "== 8. A DEMO CA stands in for Certigna and issues the certificate"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$demo/demo-ca.key" -out "$demo/demo-ca.pem" -days 30 \
  -subj "/C=FR/O=DEMO CA, not Certigna/CN=rgs-enroll DEMO CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  2>/dev/null
printf '%s\n' 'keyUsage=critical,digitalSignature,nonRepudiation' \
  'extendedKeyUsage=clientAuth,emailProtection' 'basicConstraints=CA:FALSE' \
  'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid' > "$demo/demo-ca.ext"
openssl x509 -req -in "$demo/to-upload.csr" -CA "$demo/demo-ca.pem" -CAkey "$demo/demo-ca.key" \
  -days 1095 -sha256 -extfile "$demo/demo-ca.ext" -out "$demo/certificate.pem" 2>/dev/null
echo "issued: $demo/certificate.pem"
echo
echo "== 9. The certificate checked, installed next to its key, and proved on the token"
rgs install 1 --cert "$demo/certificate.pem" --ca-file "$demo/demo-ca.pem"
echo
echo "== 10. Where the order stands"
rgs status 1
echo
echo "Demo done: order $demo/orders.db, token $demo/tokens (DEMO, not qualified),"
echo "request $demo/request.csr, certificate $demo/certificate.pem (DEMO CA)."
echo "The face-to-face (rgs-enroll f2f) needs the AED's own token: see README and tests/f2f."
