#!/usr/bin/env bash
# Regenerates nix/deps.json, the NuGet lock the Nix build (buildDotnetModule's nugetDeps) restores from, offline:
# the packages are those of the restore graph of every project under src/ (their committed packages.lock.json),
# and each hash is the one NuGet recorded when it downloaded the .nupkg (<cache>/<id>/<version>/<id>.<version>.nupkg.sha512,
# base64 SHA-512 of the file, i.e. SRI sha512-…). Run it after any package change, once `dotnet restore Sower.sln`
# (or a build) has updated the lock files; tests/Sower.Nix.Tests fails while the two disagree.
#
# Usage: nix/update-deps.sh [OUTPUT]   (default nix/deps.json; NUGET_PACKAGES overrides the cache, as for dotnet)
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/nix/deps.json}
cache=${NUGET_PACKAGES:-$HOME/.nuget/packages}
cache=${cache%/}

die() { echo "update-deps.sh: $*" >&2; exit 1; }
command -v jq >/dev/null 2>&1 || die "jq is required (apt-get install jq)"

mapfile -t locks < <(cd "$root" && find src -name packages.lock.json -not -path '*/bin/*' -not -path '*/obj/*' | sort)
[ ${#locks[@]} -gt 0 ] || die "no packages.lock.json under src/: run 'dotnet restore Sower.sln' first"

# The packs of the SDK itself (runtime, apphost, crossgen, ILCompiler/ILLink, the ASP.NET Core web assets) are
# versioned with the SDK that builds, not with this repository: nixpkgs' dotnet-sdk supplies them, so they are not
# pinned here (the lock files record the local SDK's own patch of them).
sdk_packs='^(microsoft\.aspnetcore\.app\.(ref|internal\.assets|runtime\..+)|microsoft\.netcore\.app\.(ref|host\..+|runtime\..+|crossgen2\..+)|microsoft\.netcore\.dotnetapphost|microsoft\.dotnet\.ilcompiler|microsoft\.net\.illink\.tasks|runtime\..+\.microsoft\.(dotnet\.ilcompiler|netcore\.dotnetapphost))$'

# id<TAB>version of every package (not project) in every framework/runtime section of every lock file.
graph=$(cd "$root" && jq -r '
  .dependencies | to_entries[] | .value | to_entries[]
  | select(.value.type != "Project") | [.key, .value.resolved] | @tsv' "${locks[@]}" |
  awk -F'\t' -v packs="$sdk_packs" '{ key = tolower($1) "\t" tolower($2) } !(key in seen) && tolower($1) !~ packs { seen[key] = 1; print }' |
  sort -f -t$'\t' -k1,1 -k2,2)

missing=()
while IFS=$'\t' read -r id version; do
  [ -n "$id" ] || continue
  lid=${id,,}; lversion=${version,,}
  [ -f "$cache/$lid/$lversion/$lid.$lversion.nupkg.sha512" ] || missing+=("$id $version")
done <<< "$graph"
[ ${#missing[@]} -eq 0 ] || die "not in the NuGet cache ($cache): ${missing[*]}; run 'dotnet restore Sower.sln' first"

# deps.json entries are fetched from nuget.org (fetchNupkg's default URL): a package from any other feed would need
# its own url, so say so rather than write a lock that cannot be fetched. (One jq for all the metadata files.)
metadata=()
while IFS=$'\t' read -r id version; do
  [ -n "$id" ] || continue
  file=$cache/${id,,}/${version,,}/.nupkg.metadata
  [ ! -f "$file" ] || metadata+=("$file")
done <<< "$graph"
if [ ${#metadata[@]} -gt 0 ]; then
  foreign=$(jq -r 'select((.source // "") as $s | $s != "" and $s != "https://api.nuget.org/v3/index.json")
    | "\(input_filename | split("/") | .[-3:-1] | join(" ")) from \(.source)"' "${metadata[@]}")
  [ -z "$foreign" ] || die "restored from another feed than nuget.org, which nix/deps.json cannot describe: $foreign"
fi

tmp=$(mktemp "${out}.XXXXXX")
trap 'rm -f "$tmp"' EXIT
while IFS=$'\t' read -r id version; do
  [ -n "$id" ] || continue
  lid=${id,,}; lversion=${version,,}
  read -r hash < "$cache/$lid/$lversion/$lid.$lversion.nupkg.sha512" || true
  printf '%s\t%s\tsha512-%s\n' "$id" "$version" "${hash%$'\r'}"
done <<< "$graph" | jq -R -s 'split("\n") | map(select(length > 0) | split("\t") | { pname: .[0], version: .[1], hash: .[2] })' > "$tmp"

chmod 644 "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "update-deps.sh: $(jq length "$out") packages from ${#locks[@]} lock files -> ${out#"$root"/}" >&2
