# mkSeedService: a `service` seed from NixOS-style `systemd.services` / `sockets` / `timers` definitions,
# rendered into exactly the layout the activator's `services` action reads (src/Hosts/Activator/ServicesAction.cs):
#
#   $out/.sower/systemd/system/<unit>                      the unit files
#   $out/.sower/systemd/system/<target>.wants/<unit>       -> ../<unit>, for wantedBy (".requires" for requiredBy)
#
# The activator merges the `.sower/systemd/` trees of every service seed of a garden and hands the result to
# `sd-switch --system`, which starts what the targets want. Unknown attributes are errors, as in NixOS.
{ lib, seeds }:
let
  inherit (lib) mapAttrsToList filterAttrs concatStringsSep concatMapStrings concatLists attrNames toList
    optionalAttrs optional isString isList elem subtractLists;

  fail = msg: throw "sower: mkSeedService: ${msg}";

  value = v: if v == true then "true" else if v == false then "false" else toString v;

  # A section: one `Key=value` line per value (lists repeat the key), nulls and empty lists left out.
  section = title: attrs:
    let
      set = filterAttrs (_: v: v != null && v != [ ]) attrs;
      lines = concatLists (mapAttrsToList (k: v: map (x: "${k}=${value x}") (toList v)) set);
    in
    if lines == [ ] then "" else "[${title}]\n" + concatMapStrings (l: l + "\n") lines + "\n";

  # Dependency lists are written space-separated on one line, as NixOS does.
  joined = l: if l == [ ] then null else concatStringsSep " " l;

  commonKeys = [
    "enable" "description" "documentation" "wantedBy" "requiredBy" "wants" "requires" "after" "before" "bindsTo"
    "partOf" "conflicts" "requisite" "upholds" "onFailure" "onSuccess" "unitConfig"
  ];
  serviceKeys = commonKeys ++ [
    "serviceConfig" "environment" "path" "script" "preStart" "postStart" "preStop" "postStop" "reload" "startAt"
    "restartIfChanged" "reloadIfChanged" "stopIfChanged" "restartTriggers" "reloadTriggers"
  ];
  socketKeys = commonKeys ++ [ "socketConfig" "listenStreams" "listenDatagrams" ];
  timerKeys = commonKeys ++ [ "timerConfig" ];

  checkKeys = kind: allowed: name: def:
    let unknown = subtractLists allowed (attrNames def);
    in if unknown != [ ] then fail "${kind}.${name} has unknown attribute(s) ${concatStringsSep ", " unknown} (supported: ${concatStringsSep ", " allowed})" else def;

  checkName = name:
    if builtins.match "[A-Za-z0-9:_.@\\-]+" name == null || lib.hasPrefix "." name
    then fail "${builtins.toJSON name} is not a valid unit name"
    else name;

  unitSection = def: section "Unit" ({
    Description = def.description or null;
    Documentation = joined (def.documentation or [ ]);
    Wants = joined (def.wants or [ ]);
    Requires = joined (def.requires or [ ]);
    Requisite = joined (def.requisite or [ ]);
    After = joined (def.after or [ ]);
    Before = joined (def.before or [ ]);
    BindsTo = joined (def.bindsTo or [ ]);
    PartOf = joined (def.partOf or [ ]);
    Conflicts = joined (def.conflicts or [ ]);
    Upholds = joined (def.upholds or [ ]);
    OnFailure = joined (def.onFailure or [ ]);
    OnSuccess = joined (def.onSuccess or [ ]);
    X-RestartIfChanged = if def.restartIfChanged or true then null else false;
    X-ReloadIfChanged = if def.reloadIfChanged or false then true else null;
    X-StopIfChanged = if def.stopIfChanged or true then null else false;
    X-Restart-Triggers = joined (map toString (def.restartTriggers or [ ]));
    X-Reload-Triggers = joined (map toString (def.reloadTriggers or [ ]));
  } // def.unitConfig or { });

  script = pkgs: name: kind: text: "${pkgs.writeShellScript "unit-${name}-${kind}" text}";

  serviceUnit = pkgs: name: def:
    let
      path = def.path or [ ];
      environment = (def.environment or { })
        // optionalAttrs (path != [ ]) { PATH = "${lib.makeBinPath path}:${lib.makeSearchPathOutput "bin" "sbin" path}"; };
      envLines = concatMapStrings
        (n: if environment.${n} == null then "" else "Environment=${builtins.toJSON "${n}=${toString environment.${n}}"}\n")
        (attrNames environment);
      execs = filterAttrs (_: v: v != null) {
        ExecStart = if (def.script or "") != "" then script pkgs name "start" def.script else null;
        ExecStartPre = if (def.preStart or "") != "" then script pkgs name "pre-start" def.preStart else null;
        ExecStartPost = if (def.postStart or "") != "" then script pkgs name "post-start" def.postStart else null;
        ExecReload = if (def.reload or "") != "" then script pkgs name "reload" def.reload else null;
        ExecStop = if (def.preStop or "") != "" then script pkgs name "pre-stop" def.preStop else null;
        ExecStopPost = if (def.postStop or "") != "" then script pkgs name "post-stop" def.postStop else null;
      };
      body = section "Service" (execs // def.serviceConfig or { });
    in
    unitSection def + (if envLines == "" then body else
      (if body == "" then "[Service]\n" + envLines + "\n" else builtins.replaceStrings [ "[Service]\n" ] [ "[Service]\n${envLines}" ] body));

  socketUnit = name: def: unitSection def + section "Socket" ({
    ListenStream = def.listenStreams or [ ];
    ListenDatagram = def.listenDatagrams or [ ];
  } // def.socketConfig or { });

  timerUnit = name: def: unitSection def + section "Timer" (def.timerConfig or { });

  # `startAt` on a service makes a timer of the same name, as NixOS does.
  startAtTimers = services: lib.mapAttrs'
    (name: def: lib.nameValuePair name { wantedBy = [ "timers.target" ]; timerConfig.OnCalendar = def.startAt; })
    (filterAttrs (_: def: (def.startAt or [ ]) != [ ]) services);

  # All units as { "<name>.<kind>" = { text; wantedBy; requiredBy; }; }, disabled ones left out.
  renderUnits =
    { pkgs ? null, services ? { }, sockets ? { }, timers ? { } }:
    let
      enabled = filterAttrs (_: def: def.enable or true);
      units = kind: keys: render: defs: lib.mapAttrs'
        (name: def:
          let d = checkKeys "${kind}s" keys name def;
          in lib.nameValuePair "${checkName name}.${kind}" {
            text = render name d;
            wantedBy = d.wantedBy or [ ];
            requiredBy = d.requiredBy or [ ];
          })
        (enabled defs);
      needsPkgs = name: def:
        if pkgs == null then fail "services.${name} has scripts or a path; pass pkgs" else serviceUnit pkgs name def;
    in
    units "service" serviceKeys needsPkgs services
    // units "timer" timerKeys timerUnit (startAtTimers (enabled services) // timers)
    // units "socket" socketKeys socketUnit sockets;

  # The builder script: only mkdir, cp and ln, so it runs under nixpkgs' runCommand and any stand-in for it.
  # Unit texts are passed as files (passAsFile), never interpolated into the script; unit and target names are
  # checked (checkName) before they appear in it.
  mkSeedService =
    { pkgs, name, services ? { }, sockets ? { }, timers ? { }, tags ? { } }:
    let
      units = renderUnits { inherit pkgs services sockets timers; };
      unitNames = attrNames units;
      keyOf = i: "unit${toString i}";
      indexed = lib.imap0 (i: n: { inherit i n; u = units.${n}; }) unitNames;
      dir = "$out/.sower/systemd/system";
      links = e: concatMapStrings
        (target: "mkdir -p \"${dir}/${checkName target}.wants\"\nln -s \"../${e.n}\" \"${dir}/${target}.wants/${e.n}\"\n")
        e.u.wantedBy
        + concatMapStrings
          (target: "mkdir -p \"${dir}/${checkName target}.requires\"\nln -s \"../${e.n}\" \"${dir}/${target}.requires/${e.n}\"\n")
          e.u.requiredBy;
      drv = pkgs.runCommand "sower-service-${name}"
        ({ passAsFile = map (e: keyOf e.i) indexed; }
          // lib.listToAttrs (map (e: lib.nameValuePair (keyOf e.i) e.u.text) indexed))
        (''
          set -e
          mkdir -p "${dir}"
        '' + concatMapStrings (e: ''
          cp "''$${keyOf e.i}Path" "${dir}/${e.n}"
          ${links e}
        '') indexed);
    in
    if unitNames == [ ] then fail "service seed ${builtins.toJSON name} defines no enabled unit"
    # Rendered eagerly, so a typo in a definition fails the seed itself, not only its build.
    else builtins.deepSeq (lib.mapAttrs (_: u: u.text) units) (seeds.mkSeed {
      inherit name drv;
      type = "service";
      tags = { system = drv.system; } // tags;
    });
in
{
  inherit mkSeedService renderUnits;
}
