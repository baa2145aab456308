using Akka.Cluster.Hosting;

namespace Sower.Actors.Hosting;

/// <summary>The options of the server's cluster singletons (token store, Nix cache registry, reboot locks, webhook outbox).</summary>
public static class SingletonProxyOptions
{
    /// <summary>
    /// Akka.NET's proxy warns "failed to find an associated singleton … after 30 seconds" every time it starts looking,
    /// i.e. on every start before the node has joined itself and on every shutdown, within a second or two: noise that
    /// asks for no action. A singleton that is really missing shows up where it matters: requests to it time out with
    /// their own error, and readiness (the admin-token bootstrap needs the token store) stays 503.
    /// </summary>
    public static ClusterSingletonOptions Quiet => new() { LogSingletonIdentificationFailure = false };
}
