using Sower.Load;

// sower-load: the gateway load harness (docs/benchmarks.md "Fleet scale"). Loopback only, bounded in count and time.
//   sower-load floor-server --urls http://127.0.0.1:PORT
//   sower-load gardens --endpoint URL --token-file FILE --server-pid PID --gardens N --label NAME [--timeout S] [--idle S]
//   sower-load intake  --endpoint URL --token-file FILE --server-pid PID [--seeds K] [--concurrency 16]
try
{
    var options = LoadOptions.Parse(args);
    return options.Mode switch
    {
        "floor-server" => await FloorServer.Run(options),
        "gardens" => await GardenFleet.Run(options),
        "intake" => await Intake.Run(options),
        _ => Usage($"unknown mode \"{options.Mode}\""),
    };
}
catch (ArgumentException e)
{
    return Usage(e.Message);
}

static int Usage(string problem)
{
    Console.Error.WriteLine($"sower-load: {problem}");
    Console.Error.WriteLine("usage: sower-load floor-server|gardens|intake [--endpoint URL] [--token-file FILE] [--server-pid PID] [--gardens N] [--label NAME] [--timeout S] [--seeds K] [--concurrency C] [--urls URL]");
    return 2;
}
