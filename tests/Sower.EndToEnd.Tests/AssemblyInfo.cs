// Real processes, Unix sockets, users and a Nix store: Linux only. Scenarios share one server, so they run one at a time.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
[assembly: CollectionBehavior(DisableTestParallelization = true)]
