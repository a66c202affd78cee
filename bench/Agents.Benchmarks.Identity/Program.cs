using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Agents.Benchmarks.Identity.TokenValidationBenchmarks).Assembly).Run(args);
