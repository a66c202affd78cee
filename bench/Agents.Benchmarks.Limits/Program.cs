using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Agents.Benchmarks.Limits.LimitCheckBenchmarks).Assembly).Run(args);
