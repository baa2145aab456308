// sower-activator: the small root helper that performs the privileged Nix switch (REFERENCE §7).
// No Akka, no generic host: parse one request, check who is asking, validate, run one Nix command, stream, exit.
return await Sower.Activator.ActivatorHost.RunAsync(args).ConfigureAwait(false);
