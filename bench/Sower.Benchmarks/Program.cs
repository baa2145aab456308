using BenchmarkDotNet.Running;

// Run: dotnet run -c Release --project bench/Sower.Benchmarks -- --filter '*' --job short
// Results and the reference machine are recorded in docs/benchmarks.md.
BenchmarkSwitcher.FromAssembly(typeof(Sower.Benchmarks.PolicyEvaluationBenchmarks).Assembly).Run(args);
