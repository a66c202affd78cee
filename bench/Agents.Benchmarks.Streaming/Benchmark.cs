using System.Globalization;

namespace Agents.Benchmarks.Streaming;

/// <summary>One run of the benchmark: start what is needed, measure, print, write the docs section, stop everything.</summary>
public static class Benchmark
{
    public static async Task<int> RunAsync(BenchOptions options, IReadOnlyList<string> args, CancellationToken ct)
    {
        var repo = options.Repo ?? Local.FindRepository();
        var loadBefore = MachineInfo.LoadAverage();
        Log($"starting the local stack, the model simulator and the Functions app on func-host (Release) from {repo}");
        await using var setup = await LocalSetup.StartAsync(options, repo, ct);
        Log($"host {setup.HostAddress} (pid {setup.HostPid?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}, worker pid " +
            $"{setup.WorkerPid?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}), simulator {setup.ModelEndpoint}, logs in {setup.WorkDirectory}");

        using var handler = new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };
        using var http = new HttpClient(handler, disposeHandler: false) { BaseAddress = setup.HostAddress, Timeout = Timeout.InfiniteTimeSpan };
        using var simulator = new HttpClient(handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(60) };
        using var tokens = new TokenCache(c => setup.TokenAsync("alice", c));
        var api = new AgentsApi(http, tokens.GetAsync);

        var ttft = new List<TtftResult>();
        if (!options.SkipTtft)
        {
            var measure = new TimeToFirstToken(simulator, setup.ModelEndpoint, api);
            foreach (var value in options.TtftValues)
            {
                Log($"time to first token: ttft={value}, {options.Requests} requests each way");
                ttft.Add(await measure.MeasureAsync(value, options.Tokens, options.Requests, options.Warmup, ct));
            }
        }

        MemoryResult? memory = null;
        if (!options.SkipMemory)
        {
            Log($"memory per open stream: {options.Subscribers} subscribers of one parked run");
            var watched = new List<WatchedProcess>();
            if (setup.WorkerPid is { } worker)
            {
                watched.Add(new WatchedProcess("worker (Agents.Functions)", worker));
            }
            if (setup.HostPid is { } hostPid)
            {
                watched.Add(new WatchedProcess("Functions host", hostPid));
            }
            memory = await new StreamMemory(api, watched, setup.StackPid).MeasureAsync(options.Subscribers, Log, ct);
        }

        var gc = MachineInfo.GcMode(setup.WorkerPid, Path.Combine(repo, "src", "Functions", "bin", "Release", "net10.0", "Agents.Functions.runtimeconfig.json"));
        var context = new RunContext(DateTimeOffset.UtcNow, MachineInfo.Describe(), MachineInfo.Commit(repo), gc, setup.HostExtraSettings, Command(args),
            options.Requests, options.Warmup, loadBefore, MachineInfo.LoadAverage(), setup.HostStartup);
        var markdown = Report.Markdown(context, ttft, memory);
        Console.WriteLine();
        Console.WriteLine(markdown);
        if (options.WriteDocs)
        {
            var docs = options.Docs ?? Path.Combine(repo, "docs", "benchmarks.md");
            Report.WriteDocs(docs, markdown);
            Log($"wrote the Streaming section of {docs}");
        }
        var complete = memory is null || (memory.Connected == memory.Subscribers && memory.FanOut?.Received == memory.Connected);
        if (!complete)
        {
            Log($"not every subscriber connected or saw the end of the run: see the failures above; logs kept in {setup.WorkDirectory}");
        }
        setup.KeepWorkDirectory = !complete;
        return complete ? 0 : 1;
    }

    public static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

    private static string Command(IReadOnlyList<string> args) =>
        Environment.GetEnvironmentVariable("AGENTS_BENCH_COMMAND") is { Length: > 0 } given
            ? given
            : "dotnet run -c Release --project bench/Agents.Benchmarks.Streaming" + (args.Count > 0 ? " -- " + string.Join(' ', args) : "");
}
