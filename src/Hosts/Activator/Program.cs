// sower-activator: the small root helper that performs the privileged Nix switch (REFERENCE §7).
// No Akka, no generic host: parse one request, check who is asking, validate, run one Nix command, stream, exit.
try
{
    return await Sower.Activator.ActivatorHost.RunAsync(args).ConfigureAwait(false);
}
catch (Exception e)
{
    // Requests never get here (the pipeline answers every one); this guards startup and socket plumbing.
    await Console.Error.WriteLineAsync($"sower-activator: internal error: {e.Message}").ConfigureAwait(false);
    return 1;
}
