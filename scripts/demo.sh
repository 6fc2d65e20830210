#!/bin/sh
# demo.sh - build rgs-enroll and run a whole enrolment on a DEMO token.
#
# The token is SoftHSM2, a software token created here in build-demo/demo/: it is
# NOT a qualified device, and rgs-enroll says so at every step. Everything
# else is what a holder does with a real IDPrime or eToken: check the token,
# generate the key on it, build the SHA-256 request for the CA.
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
  ./build-demo/enroll/rgs-enroll --module "$module" --policy data/policy/demo-softhsm.conf \
    --pin-file "$demo/pin" "$@"
}

echo "== 1. The token plugged in (a DEMO SoftHSM token, not a qualified device)"
rgs tokens
echo
echo "== 2. The RGS** check: a demo device is never qualified, so this says no"
rgs check || true
echo
echo "== 3. The holder's one command: check, key pair on the card, SHA-256 request"
rgs start --cn "Frédéric SENEZ" --o "BS AUTO" --siren 732829320 \
  --email f.senez@example.fr --out "$demo/request.csr"
echo
echo "== 4. The request, verified independently by OpenSSL"
openssl req -in "$demo/request.csr" -noout -verify -subject -nameopt utf8
echo
echo "Demo done. Token: $demo/tokens, request: $demo/request.csr"
