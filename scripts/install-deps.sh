# Sourced by test.sh and demo.sh: makes sure the Debian packages a script needs are there.
#   ensure_packages NAME CHECK:PACKAGE...
# CHECK is a command looked up on PATH, or an absolute path that must be executable. As root the missing packages are
# installed with apt-get; otherwise the script stops and names them. ensure_dotnet NAME stops without the .NET SDK.

ensure_packages() {
  local name=$1; shift
  local need=() pair check pkg
  for pair in "$@"; do
    check=${pair%%:*}; pkg=${pair#*:}
    if [[ $check == /* ]]; then [ -x "$check" ] && continue
    else command -v "$check" >/dev/null 2>&1 && continue
    fi
    [[ " ${need[*]} " == *" $pkg "* ]] || need+=("$pkg")
  done
  [ ${#need[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ]; then
    echo "$name: installing ${need[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "$name: missing packages: ${need[*]}" >&2
    echo "install them with: sudo apt-get install -y ${need[*]}  (or run this script as root)" >&2
    exit 1
  fi
}

ensure_dotnet() {
  command -v dotnet >/dev/null 2>&1 || { echo "$1: the .NET 10 SDK (dotnet) is required: https://dot.net" >&2; exit 1; }
}
