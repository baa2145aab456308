# Unit files as NixOS writes them (nixos/lib/systemd-lib.nix: serviceToUnit, socketToUnit, attrsToSection), and as
# Home-Manager writes user units (lib.generators.toINI, lists as repeated keys). [Install] is written as a plain
# unit file would have it (NixOS links .wants directories instead) so that systemd-analyze verify sees it too.
{ lib }:
let
  toOption = x: if x == true then "true" else if x == false then "false" else toString x;
  attrsToSection = as: lib.concatStrings (lib.concatLists (lib.mapAttrsToList
    (name: value: map (x: "${name}=${toOption x}\n") (if lib.isList value then value else [ value ])) as));
  list = key: values: lib.optionalString (values != [ ]) "${key}=${lib.concatStringsSep " " values}\n";

  unitSection = def: ''
    [Unit]
    ${lib.optionalString (def.description != "") "Description=${def.description}\n"}${list "Requires" def.requires}${list "Wants" def.wants}${list "After" def.after}${list "Before" def.before}${list "BindsTo" def.bindsTo}${list "PartOf" def.partOf}${lib.optionalString (def.restartTriggers != [ ]) "X-Restart-Triggers=${toString def.restartTriggers}\n"}${lib.optionalString (def.reloadTriggers != [ ]) "X-Reload-Triggers=${toString def.reloadTriggers}\n"}${attrsToSection def.unitConfig}'';

  installSection = def: lib.optionalString (def.wantedBy != [ ] || def.requiredBy != [ ]) ''

    [Install]
    ${list "WantedBy" def.wantedBy}${list "RequiredBy" def.requiredBy}'';

  service = def:
    let
      env = def.environment // lib.optionalAttrs (def.path != [ ]) {
        PATH = "${lib.makeBinPath def.path}:${lib.makeSearchPathOutput "bin" "sbin" def.path}";
      };
    in
    unitSection def + ''

      [Service]
      ${lib.concatMapStrings (n: lib.optionalString (env.${n} != null) "Environment=${builtins.toJSON "${n}=${toString env.${n}}"}\n") (lib.attrNames env)}${if def.reloadIfChanged then "X-ReloadIfChanged=true\n" else lib.optionalString (!def.restartIfChanged) "X-RestartIfChanged=false\n"}${lib.optionalString (!def.stopIfChanged) "X-StopIfChanged=false\n"}${attrsToSection def.serviceConfig}'' + installSection def;

  socket = def:
    unitSection def + ''

      [Socket]
      ${lib.concatMapStrings (s: "ListenStream=${s}\n") def.listenStreams}${attrsToSection def.socketConfig}'' + installSection def;

  homeManager = lib.generators.toINI {
    listsAsDuplicateKeys = true;
    mkKeyValue = key: value: "${key}=${toOption value}";
  };
in
{
  nixos = systemd:
    lib.mapAttrs' (name: def: lib.nameValuePair "${name}.service" (service def)) (lib.filterAttrs (_: d: d.enable) systemd.services)
    // lib.mapAttrs' (name: def: lib.nameValuePair "${name}.socket" (socket def)) (lib.filterAttrs (_: d: d.enable) systemd.sockets);

  homeManager = services: lib.mapAttrs' (name: def: lib.nameValuePair "${name}.service" (homeManager def)) services;
}
