#!/bin/sh
# Write the files compose.yaml mounts as Docker secrets into ./secrets.
# An existing file is kept: re-running never replaces a key that data depends on.
#
#   sh deploy/make-secrets.sh              # TLS certificate for "localhost"
#   TLS_CN=api.example.com sh deploy/make-secrets.sh
#
# The TLS pair is self-signed, for trying the stack; put the real certificate
# and key in secrets/tls.crt and secrets/tls.key for production.
# Needs python3 and openssl on the host.
set -eu

cd "$(dirname "$0")/.."
mkdir -p secrets
chmod 700 secrets  # the folder guards the files on the host ...

write() {  # write NAME COMMAND... : the command's output becomes secrets/NAME
    name=$1
    shift
    if [ -e "secrets/$name" ]; then
        echo "kept    secrets/$name"
        return
    fi
    "$@" > "secrets/$name"
    chmod 644 "secrets/$name"  # ... and the app (uid 10001 in the container) can read them
    echo "wrote   secrets/$name"
}

write secret_key python3 -c 'import secrets; print(secrets.token_urlsafe(50))'
write jwt_secret python3 -c 'import secrets; print(secrets.token_urlsafe(48))'
write field_encryption_keys python3 -c 'import base64, os; print("k1:" + base64.b64encode(os.urandom(32)).decode())'
write blind_index_key python3 -c 'import secrets; print(secrets.token_urlsafe(32))'
write db_password python3 -c 'import secrets; print(secrets.token_urlsafe(24))'

if [ -e secrets/tls.crt ] || [ -e secrets/tls.key ]; then
    echo "kept    secrets/tls.crt, secrets/tls.key"
else
    cn=${TLS_CN:-localhost}
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=$cn" \
        -addext "subjectAltName=DNS:$cn" \
        -keyout secrets/tls.key -out secrets/tls.crt 2> /dev/null
    chmod 644 secrets/tls.crt secrets/tls.key
    echo "wrote   secrets/tls.crt, secrets/tls.key (self-signed for $cn)"
fi
