# The `labels` option of both garden modules (README "Labels and selectors"): Kubernetes-style keys and values, checked
# at evaluation with the garden's own rules (src/Messages/Gardens/GardenLabels.cs), so a label the garden would refuse
# fails `nixos-rebuild`/`home-manager switch` with the offending key, not the running host.
{ lib }:
let
  name = "[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?";
  dnsPart = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  matches = re: s: builtins.match re s != null;
  keyProblem = key:
    let parts = lib.splitString "/" key;
    in
    if key == "" then "a key must not be empty"
    else if builtins.length parts > 2 then "a key has at most one '/'"
    else if builtins.length parts == 2 then
      let prefix = builtins.head parts; rest = builtins.elemAt parts 1;
      in
      if prefix == "" then "the prefix before '/' must not be empty"
      else if builtins.stringLength prefix > 253 then "the prefix may have at most 253 characters"
      else if !(matches "${dnsPart}(\\.${dnsPart})*" prefix) then "the prefix must be a DNS subdomain (lower-case letters, digits, '-' and '.')"
      else if !(matches name rest) then "the name after '/' must be 1-63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit"
      else null
    else if !(matches name key) then "a key must be 1-63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit (with an optional DNS prefix and '/')"
    else null;
  valueProblem = value:
    if value == "" || matches name value then null
    else "a value is empty or 1-63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit";
  check = path: labels:
    let
      problems = lib.concatLists (lib.mapAttrsToList
        (key: value:
          lib.optional (keyProblem key != null) "label key \"${key}\": ${keyProblem key}"
          ++ lib.optional (keyProblem key == null && valueProblem value != null) "label \"${key}\": value \"${value}\": ${valueProblem value}")
        labels)
      ++ lib.optional (builtins.length (builtins.attrNames labels) > 32) "at most 32 labels are allowed";
    in
    problems == [ ] || throw "${path}: ${lib.concatStringsSep "; " problems}";
in
{
  inherit keyProblem valueProblem;

  option = path: lib.mkOption {
    type = lib.types.addCheck (lib.types.attrsOf lib.types.str) (check path) // {
      description = "attribute set of garden labels (Kubernetes syntax)";
    };
    default = { };
    example = { role = "web"; zone = "eu-1"; };
    description = ''
      The garden's labels (README "Labels and selectors"), written into its config as `labels` and sent to the server with
      every subscription sync: selectors such as `role=web,zone=eu-1` pick gardens for `sower deploy -l`, rollout waves
      and reboot-lock groups. Keys and values follow Kubernetes label syntax; at most 32. A label the garden would refuse
      fails the evaluation.
    '';
  };
}
