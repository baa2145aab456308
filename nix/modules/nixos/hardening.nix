# The systemd sandbox shared by the server's and the garden's units (the activator is root by design and gets none).
# .NET needs W^X left off, so MemoryDenyWriteExecute stays unset.
{
  NoNewPrivileges = true;
  ProtectSystem = "strict";
  ProtectHome = true;
  PrivateTmp = true;
  PrivateDevices = true;
  ProtectKernelTunables = true;
  ProtectKernelModules = true;
  ProtectKernelLogs = true;
  ProtectControlGroups = true;
  ProtectClock = true;
  ProtectHostname = true;
  ProtectProc = "invisible";
  ProcSubset = "pid";
  RestrictNamespaces = true;
  RestrictRealtime = true;
  RestrictSUIDSGID = true;
  LockPersonality = true;
  RemoveIPC = true;
  CapabilityBoundingSet = "";
  AmbientCapabilities = "";
  SystemCallArchitectures = "native";
  SystemCallFilter = [ "~@mount @reboot @swap @obsolete @clock @cpu-emulation @debug @module @raw-io" ];
  RestrictAddressFamilies = [ "AF_UNIX" "AF_INET" "AF_INET6" "AF_NETLINK" ];
}
