#!/usr/bin/env bash
# The whole product on this machine, in one command (as root): a server on SQLite, the root activator behind socket
# activation, a garden as an unprivileged user, two NixOS-shaped systems in a signed file:// cache, the first one
# submitted and deployed while you watch. Then it prints what to try next and runs until Ctrl-C, when it stops
# everything it started and removes everything it created (processes, the demo user and group, the demo directory).
# Nothing touches the machine's real system profile: the activator and the garden use profiles under the demo directory.
#
#   ./demo.sh            run until Ctrl-C
#   ./demo.sh --once     exit (and clean up) after the first deployment; what the end-to-end test runs
#   ./demo.sh --no-build use the binaries already built in Release (the test's build made them)
#
# Environment: SOWER_DEMO_DIR (default /tmp/sower-demo), SOWER_DEMO_PORT (default 7150),
# SOWER_DEMO_USER / SOWER_DEMO_GROUP (default sower-demo-garden / sower-demo).
set -euo pipefail
cd "$(dirname "$0")"
REPO=$PWD

ONCE=0 BUILD=1
for arg in "$@"; do
  case $arg in
    --once) ONCE=1 ;;
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done

D=${SOWER_DEMO_DIR:-/tmp/sower-demo}
PORT=${SOWER_DEMO_PORT:-7150}
DEMO_USER=${SOWER_DEMO_USER:-sower-demo-garden}
DEMO_GROUP=${SOWER_DEMO_GROUP:-sower-demo}
URL=http://127.0.0.1:$PORT

if [ -t 1 ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD='' PLAIN=''; fi
say() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$PLAIN"; }
die() { echo "demo.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run it as root: it creates a user and a group and starts the root activator (everything is removed at the end)"
[[ $D == /* ]] || die "SOWER_DEMO_DIR must be an absolute path (the unprivileged garden user must reach it)"
if [ -e "$D" ]; then
  [ -f "$D/.sower-demo" ] || die "$D exists and was not made by demo.sh: choose another SOWER_DEMO_DIR"
  if [ -f "$D/pids" ]; then
    while read -r pid; do
      kill -0 "$pid" 2>/dev/null && die "a demo is still running from $D (stop it with Ctrl-C, or kill the processes in $D/pids)"
    done < "$D/pids"
  fi
fi

source scripts/install-deps.sh
ensure_packages demo.sh nix-build:nix-bin systemd-socket-activate:systemd setpriv:util-linux useradd:passwd curl:curl jq:jq
ensure_dotnet demo.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# ── Cleanup: everything below registers what it creates here, and Ctrl-C, errors and --once all end in cleanup ──
PIDS=()
CREATED_USER=0 CREATED_GROUP=0
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  say "Stopping the demo and removing what it created"
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [ "$CREATED_USER" = 1 ]; then userdel "$DEMO_USER" 2>/dev/null && echo "removed user $DEMO_USER"; fi
  if [ "$CREATED_GROUP" = 1 ]; then groupdel "$DEMO_GROUP" 2>/dev/null && echo "removed group $DEMO_GROUP"; fi
  if [ "$status" != 0 ] && [ -d "$D/logs" ]; then
    # A failed demo keeps its logs (only them) for diagnosis.
    local kept
    kept=$(mktemp -d /tmp/sower-demo-failed-XXXXXX) && cp -r "$D/logs/." "$kept/" && echo "demo.sh failed (exit $status): its logs are in $kept" >&2
  fi
  if [ -f "$D/.sower-demo" ]; then rm -rf "$D" && echo "removed $D"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
started() { PIDS+=("$1"); echo "$1" >> "$D/pids"; }

rm -rf "$D"
mkdir -p "$D/logs" "$D/bin" "$D/run" "$D/profiles" && touch "$D/.sower-demo" && chmod 755 "$D"

# ── 1. Build the four programs once (Release) ──
BIN=$REPO/src
SERVER=$BIN/Hosts/Server/bin/Release/net10.0/sower-server
ACTIVATOR=$BIN/Hosts/Activator/bin/Release/net10.0/sower-activator
CLI=$BIN/Cli/bin/Release/net10.0/sower
if [ "$BUILD" = 1 ]; then
  say "Building sower-server, sower-garden, sower-activator and sower (Release)"
  for project in src/Hosts/Server src/Hosts/Garden src/Hosts/Activator src/Cli; do
    dotnet build "$project" -c Release -nologo -v q -clp:ErrorsOnly
  done
fi
for exe in "$SERVER" "$ACTIVATOR" "$CLI" "$BIN/Hosts/Garden/bin/Release/net10.0/sower-garden"; do
  [ -x "$exe" ] || die "$exe is missing: run without --no-build"
done
# The garden runs as an unprivileged user who may not be able to read the checkout (e.g. under /root): its own copy.
cp -r "$BIN/Hosts/Garden/bin/Release/net10.0" "$D/bin/garden" && chmod -R a+rX "$D/bin/garden"
GARDEN=$D/bin/garden/sower-garden
sower() { "$CLI" "$@"; }

# ── 2. The server: SQLite in $D/server, the admin token in $D/server/admin-token (0600) ──
say "Starting sower-server on $URL (SQLite in $D/server)"
"$SERVER" --data-dir "$D/server" --urls "$URL" > "$D/logs/server.log" 2>&1 &
started $!
# Ready means this server answers /healthz/ready and has written the admin token (another process on the port does not count).
server_ready() { kill -0 "${PIDS[0]}" 2>/dev/null && [ -s "$D/server/admin-token" ] && curl -sf "$URL/healthz/ready" >/dev/null; }
for _ in $(seq 1 600); do
  server_ready && break
  kill -0 "${PIDS[0]}" 2>/dev/null || { tail -n 30 "$D/logs/server.log" >&2; die "sower-server exited (is port $PORT taken? set SOWER_DEMO_PORT)"; }
  sleep 0.5
done
server_ready || { tail -n 30 "$D/logs/server.log" >&2; die "sower-server did not become ready within 5 minutes"; }
export SOWER_ENDPOINT=$URL SOWER_ACCESS_TOKEN_FILE=$D/server/admin-token
echo "ready; admin token in $SOWER_ACCESS_TOKEN_FILE"

# ── 3. The garden's account: unprivileged, in the group the activator lets in ──
say "Creating the group $DEMO_GROUP and the user $DEMO_USER"
if ! getent group "$DEMO_GROUP" >/dev/null; then groupadd --system "$DEMO_GROUP"; CREATED_GROUP=1; fi
if ! getent passwd "$DEMO_USER" >/dev/null; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --gid "$DEMO_GROUP" "$DEMO_USER"; CREATED_USER=1
fi
usermod -a -G "$DEMO_GROUP" "$DEMO_USER"

# ── 4. Two NixOS-shaped systems (offline: /bin/sh builders) in a signed file:// cache ──
# switch-to-configuration records how it was called and, like NixOS, points run/current-system at itself on switch/test.
say "Building two small NixOS-shaped systems and signing them into file://$D/cache"
mkdir -p "$D/records" && chmod 1777 "$D/records"
cat > "$D/systems.nix" <<'NIX'
{ demo }:
let
  system = version: derivation {
    name = "nixos-system-demo-${version}"; system = builtins.currentSystem; builder = "/bin/sh";
    stc = "#!/bin/sh\nexport PATH=/usr/bin:/bin\nself=$(cd \"$(dirname \"$0\")/..\" && pwd -P)\ncase \"$1\" in switch|test) ln -sfn \"$self\" ${demo}/run/current-system ;; esac\necho \"$1 uid=$(id -u) $self\" >> ${demo}/records/activations\necho \"switch-to-configuration $1: ok\"\n";
    args = [ "-c" "/bin/mkdir -p $out/bin $out/kernel-modules && echo ${version} > $out/nixos-version && echo linux-${version} > $out/kernel && echo initrd-${version} > $out/initrd && printf '%s' \"$stc\" > $out/bin/switch-to-configuration && /bin/chmod 755 $out/bin/switch-to-configuration" ];
  };
# system0 stands for what the "machine" booted before Sower: never deployed, only linked.
in { system0 = system "0"; system1 = system "1"; system2 = system "2"; }
NIX
mapfile -t SYSTEMS < <(nix-build "$D/systems.nix" --argstr demo "$D" -A system0 -A system1 -A system2 --no-out-link \
  --option sandbox false --option substituters "" 2>>"$D/logs/nix.log")
[ ${#SYSTEMS[@]} = 3 ] || die "nix-build failed (see $D/logs/nix.log)"
pick() { printf '%s\n' "${SYSTEMS[@]}" | grep -- "-nixos-system-demo-$1\$"; }
SYSTEM0=$(pick 0) SYSTEM1=$(pick 1) SYSTEM2=$(pick 2)
nix-store --generate-binary-cache-key "sower-demo-1" "$D/cache.sk" "$D/cache.pk"
nix --extra-experimental-features nix-command store sign --key-file "$D/cache.sk" "$SYSTEM1" "$SYSTEM2"
nix --extra-experimental-features nix-command copy --to "file://$D/cache" "$SYSTEM1" "$SYSTEM2"
ln -sfn "$SYSTEM0" "$D/run/booted-system" && ln -sfn "$SYSTEM0" "$D/run/current-system"
echo "system 1: $SYSTEM1"
echo "system 2: $SYSTEM2"

# ── 5. The activator (root) behind socket activation, one process per connection like systemd's Accept=yes ──
# It trusts only the demo cache's key and uses its own system profile; "rebooting" moves run/booted-system.
say "Starting sower-activator behind systemd-socket-activate ($D/activator.sock)"
jq -n --arg d "$D" --arg group "$DEMO_GROUP" --arg pk "$(cat "$D/cache.pk")" '{
  allowed_groups: [$group],
  extra_substituters: ["file://\($d)/cache"], extra_trusted_public_keys: [$pk],
  system_profile: "\($d)/profiles/system", profiles_dir: "\($d)/profiles/sower",
  gcroots_dir: "\($d)/gcroots", user_gcroots_dir: "\($d)/gcroots-per-user", services_state_dir: "\($d)/services",
  reboot_command: ["/bin/sh", "-c", "echo \"reboot $(date -u +%FT%TZ)\" >> \($d)/records/reboots; ln -sfn \"$(readlink -f \($d)/profiles/system)\" \($d)/run/booted-system; ln -sfn \"$(readlink -f \($d)/profiles/system)\" \($d)/run/current-system"],
  reboot_delay_seconds: 0 }' > "$D/activator.json"
# NIX_CONFIG switches off Nix's default cache.nixos.org, which an offline machine cannot reach.
systemd-socket-activate --accept -E "NIX_CONFIG=substituters =" -l "$D/activator.sock" \
  "$ACTIVATOR" --config "$D/activator.json" > "$D/logs/activator.log" 2>&1 &
started $!
for _ in $(seq 1 100); do [ -S "$D/activator.sock" ] && break; sleep 0.1; done
[ -S "$D/activator.sock" ] || die "the activator socket did not appear (see $D/logs/activator.log)"
chgrp "$DEMO_GROUP" "$D/activator.sock" && chmod 660 "$D/activator.sock"

# ── 6. The garden as $DEMO_USER, following seeds named demo on branch main ──
# Policy: switch as soon as a seed arrives (realtime) or is deployed by hand; a nightly window for scheduled runs;
# a restart (boot + reboot) only when deployed by hand and approved.
say "Starting sower-garden as $DEMO_USER (name demo-host)"
sower token create --description "demo garden enrollment" --role garden:register --json | jq -r .token > "$D/enroll-token"
chgrp "$DEMO_GROUP" "$D/enroll-token" && chmod 640 "$D/enroll-token"
mkdir -p "$D/garden"
jq -n --arg d "$D" --arg url "$URL" '{
  endpoint: $url, access_token_file: "\($d)/enroll-token", name: "demo-host",
  state_directory: "\($d)/garden/state", admin_socket: "\($d)/garden/admin.sock", activator_socket: "\($d)/activator.sock",
  profiles: { system_profile: "\($d)/profiles/system", current_system: "\($d)/run/current-system", booted_system: "\($d)/run/booted-system" },
  subscriptions: { system: {
    seed_name: "demo", seed_type: "nixos", rules: ["branch=main"], schedule: "0 4 * * *", timezone: "Etc/UTC",
    policy: {
      live:    { actions: ["stage", "activate"], triggers: ["realtime", "manual"] },
      nightly: { actions: ["activate"], triggers: ["scheduled"], window: { time_start: "03:30", time_end: "05:00" } },
      reboot:  { actions: ["restart"], triggers: ["manual"], confirm: true } } } } }' > "$D/garden/client.json"
chown -R "$DEMO_USER:$DEMO_GROUP" "$D/garden" && chmod 700 "$D/garden"
# setpriv drops to the user and execs the garden itself, so $! (and $D/garden.pid) is the garden: kill -HUP reloads it.
# The CLI's SOWER_ENDPOINT / SOWER_ACCESS_TOKEN_FILE would override the garden's file: keep them out.
env -u SOWER_ENDPOINT -u SOWER_ACCESS_TOKEN_FILE HOME="$D/garden" \
  setpriv --reuid="$DEMO_USER" --regid="$DEMO_GROUP" --init-groups -- "$GARDEN" --config "$D/garden/client.json" > "$D/logs/garden.log" 2>&1 &
started $!
echo $! > "$D/garden.pid"
# Wait for the state, not for time: online on the server with its subscription synced.
for _ in $(seq 1 360); do
  sower garden show demo-host --json 2>/dev/null | jq -e '.online == true and (.subscriptions | length) == 1' >/dev/null && break
  kill -0 "$(cat "$D/garden.pid")" 2>/dev/null || { tail -n 30 "$D/logs/garden.log" >&2; die "sower-garden exited"; }
  sleep 0.5
done
sower garden show demo-host --json | jq -e '.online == true and (.subscriptions | length) == 1' >/dev/null \
  || { tail -n 30 "$D/logs/garden.log" >&2; die "the garden did not come online with its subscription"; }
sower garden status --socket "$D/garden/admin.sock"

# ── 7. Submit system 1 and watch it deploy ──
say "Submitting system 1 (seed demo, tag branch=main) and following its rollout"
sower seed submit "$SYSTEM1" --name demo --type nixos --tag branch=main --no-git --wait --timeout 5m
echo
echo "profile:      $(readlink "$D/profiles/system") -> $(readlink -f "$D/profiles/system")"
echo "activations:  $(cat "$D/records/activations")"

# Everything the next steps need, for a second shell: source it.
SEED1=$(sower seed list --name demo --type nixos --json | jq -r --arg a "$SYSTEM1" '.seeds | map(select(.artifact == $a)) | .[0].sid')
cat > "$D/env" <<EOF
export SOWER_ENDPOINT=$URL SOWER_ACCESS_TOKEN_FILE=$D/server/admin-token SOWER_ADMIN_SOCKET=$D/garden/admin.sock
export PATH=$(dirname "$CLI"):\$PATH
D=$D SYSTEM1=$SYSTEM1 SYSTEM2=$SYSTEM2 SEED1=$SEED1
EOF

if [ "$ONCE" = 1 ]; then
  say "Deployed (--once): cleaning up"
  exit 0
fi

cat <<EOF

${BOLD}The demo is running.${PLAIN} Console: $URL  (sign in with the token: $(cat "$D/server/admin-token"))

In another shell:   source $D/env

  sower garden status                                  # connection, subscription, next fire, next window change
  sower seed submit \$SYSTEM2 --name demo --type nixos --tag branch=main --no-git --wait   # realtime: switches at once
  sower deploy demo-host system --wait                 # by hand: the "reboot" rule needs an approval
  sower deployment approve \$(sower deployment list --state awaiting_approval --json | jq -r '.deployments[0].sid')
  cat \$D/records/reboots; readlink \$D/run/booted-system   # the approved restart "rebooted" into system 2
  sower seed promote \$SEED1 --wait                     # roll back to system 1
  sower deployment list; sower policy eval --config \$D/garden/client.json --subscription system --trigger realtime --explain
  kill -HUP \$(cat \$D/garden.pid)                      # after editing \$D/garden/client.json (or: sower garden reload)

Logs: $D/logs/{server,activator,garden}.log.  Ctrl-C stops everything and removes the user, the group and $D.
EOF
while true; do sleep 1 & wait $! || true; done
