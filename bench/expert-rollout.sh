#!/usr/bin/env bash
# The rollout an expert writes by hand against the HTTP API, as fast as the
# shell allows: the baseline bench/rollout.ts holds the action to. It
# downloads the release asset, checks it against the release's SHA256SUMS,
# unpacks and hashes the binary straight into the plugin directory,
# registers it, tunes the mounts 8 at a time, reloads them in one call per
# namespace and reads the mount table once per namespace to check that every
# mount runs the new binary.
#
#   VAULT_ADDR=http://… VAULT_TOKEN=… expert-rollout.sh \
#     NAME VERSION ASSET_URL SUMS_URL PLUGIN_DIR MOUNTS_FILE [NAMESPACE…]
#
# MOUNTS_FILE lists the secret mounts, one a line; they are rolled in every
# NAMESPACE given, else in the root namespace. On success it prints how many
# microseconds each phase took, one `phase microseconds` a line.
set -euo pipefail
export LC_ALL=C

name=$1 version=$2 asset_url=$3 sums_url=$4 plugin_dir=$5 mounts_file=$6
shift 6
namespaces=("$@")
[ ${#namespaces[@]} -gt 0 ] || namespaces=('')

last=${EPOCHREALTIME/[.,]/}
mark() {
  local now=${EPOCHREALTIME/[.,]/}
  echo "$1 $((now - last))"
  last=$now
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# In a header file, so the token is on no command line that `ps` shows.
printf 'X-Vault-Token: %s\n' "$VAULT_TOKEN" >"$work/token"
api() { curl -sS --fail-with-body -H @"$work/token" "$@"; }
# Sets `header` to the namespace header for $1, none for the root namespace.
namespace() {
  header=()
  [ -z "$1" ] || header=(-H "X-Vault-Namespace: $1")
}

asset=${asset_url##*/}
curl -sSfL -o "$work/$asset" "$asset_url"
curl -sSfL -o "$work/sums" "$sums_url"
sum=$(openssl dgst -sha256 -r "$work/$asset")
grep -qx "${sum%% *}  $asset" "$work/sums" || {
  echo "$asset does not match $sums_url" >&2
  exit 1
}
mark download

command=$name-$version
# Written beside the target and renamed over it: a process still running an
# older file of that name keeps it, and the server never sees half a binary.
unzip -p "$work/$asset" "$name" >"$plugin_dir/.$command.new"
sha256=$(openssl dgst -sha256 -r "$plugin_dir/.$command.new")
sha256=${sha256%% *}
chmod 755 "$plugin_dir/.$command.new"
mv -f "$plugin_dir/.$command.new" "$plugin_dir/$command"
mark unpack

api -o /dev/null -X PUT \
  -d "{\"sha256\":\"$sha256\",\"command\":\"$command\",\"version\":\"$version\"}" \
  "$VAULT_ADDR/v1/sys/plugins/catalog/secret/$name"
mark register

# Eight curl processes, each tuning its share of the mounts over one connection.
count=$(grep -c . "$mounts_file")
share=$(((count + 7) / 8))
for ns in "${namespaces[@]}"; do
  namespace "$ns"
  grep . "$mounts_file" | sed "s|.*|$VAULT_ADDR/v1/sys/mounts/&/tune|" |
    xargs -P 8 -n "$share" curl -sS --fail --fail-early -H @"$work/token" "${header[@]}" \
      -d "{\"plugin_version\":\"$version\"}"
done
mark tune

mounts=$(jq -Rsc 'split("\n") | map(select(length > 0))' "$mounts_file")
for ns in "${namespaces[@]}"; do
  namespace "$ns"
  api -o /dev/null -X PUT "${header[@]}" -d "{\"mounts\":$mounts,\"scope\":\"global\"}" \
    "$VAULT_ADDR/v1/sys/plugins/reload/backend"
done
mark reload

for ns in "${namespaces[@]}"; do
  namespace "$ns"
  api "${header[@]}" "$VAULT_ADDR/v1/sys/mounts" |
    jq -e --argjson mounts "$mounts" --arg v "$version" --arg s "$sha256" --arg ns "${ns:-root}" '
      .data as $table
      | [$mounts[] | select($table[. + "/"] | .running_plugin_version != $v or .running_sha256 != $s)]
      | if length == 0 then true
        else error("namespace \($ns): \(join(", ")) not running \($v) sha256 \($s)") end' >/dev/null
done
mark verify
