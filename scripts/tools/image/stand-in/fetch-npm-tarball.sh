#!/bin/sh
# fetch-npm-tarball NAME VERSION SRI OUT: downloads NAME@VERSION's tarball from $NPM_REGISTRY and checks its
# sha512 integrity. The optional build secret /run/secrets/ca is added to Debian's CA bundle for this call only.
set -eu
name="$1"; version="$2"; integrity="$3"; out="$4"
registry="${NPM_REGISTRY:-https://registry.npmjs.org/}"
cacert=/etc/ssl/certs/ca-certificates.crt
if [ -f /run/secrets/ca ]; then
  cat /etc/ssl/certs/ca-certificates.crt /run/secrets/ca > /tmp/ca-bundle.pem
  cacert=/tmp/ca-bundle.pem
fi
curl --fail --silent --show-error --location --retry 3 --cacert "$cacert" \
  --output "$out" "${registry%/}/${name}/-/${name}-${version}.tgz"
rm -f /tmp/ca-bundle.pem
expected="${integrity#sha512-}"
actual="$(openssl dgst -sha512 -binary "$out" | openssl base64 -A)"
if [ "$actual" != "$expected" ]; then
  echo "fetch-npm-tarball: ${name}@${version} integrity mismatch (expected ${expected}, got ${actual})" >&2
  exit 1
fi
