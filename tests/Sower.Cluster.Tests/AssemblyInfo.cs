// Each test runs whole server processes; running them one at a time keeps their timeouts honest on two cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
