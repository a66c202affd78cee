using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Agents.Benchmarks.Streaming;

/// <summary>One run of the benchmark: start what is needed, measure, print, write the docs section, stop everything.</summary>
public static class Benchmark
{
    public static async Task<int> RunAsync(BenchOptions options, IReadOnlyList<string> args, CancellationToken ct)
    {
        var repo = options.Repo ?? FindRepository();
        var loadBefore = LoadAverage();
        Log($"starting the local stack, the model simulator and the host (Release) from {repo}");
        await using var setup = await LocalSetup.StartAsync(options, repo, ct);
        Log($"host {setup.HostAddress} (pid {setup.HostPid?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}), simulator {setup.ModelEndpoint}, logs in {setup.WorkDirectory}");

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
            memory = await new StreamMemory(api, setup.HostPid, setup.StackPid).MeasureAsync(options.Subscribers, Log, ct);
        }

        var context = new RunContext(DateTimeOffset.UtcNow, Machine(), Commit(repo), GcMode(repo), setup.HostExtraSettings, Command(args),
            options.Requests, options.Warmup, loadBefore, LoadAverage());
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

    private static string FindRepository()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Agents.sln")))
                {
                    return dir.FullName;
                }
            }
        }
        throw new InvalidOperationException("Agents.sln not found above the current directory: pass --repo");
    }

    private static string Machine()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memKb = long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return FormattableString.Invariant($"{Environment.ProcessorCount} CPUs ({cpu}), {memKb / 1048576.0:F0} GiB RAM, .NET SDK {Run("dotnet", "--version")} ({RuntimeInformation.FrameworkDescription}), {RuntimeInformation.OSDescription}");
    }

    private static string LoadAverage() => string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static string Commit(string repo) => Run("git", "-C", repo, "rev-parse", "--short", "HEAD");

    private static string GcMode(string repo)
    {
        var config = Path.Combine(repo, "src", "Host", "bin", "Release", "net10.0", "Agents.Host.runtimeconfig.json");
        var server = File.Exists(config) && JsonNode.Parse(File.ReadAllText(config))?["runtimeOptions"]?["configProperties"]?["System.GC.Server"]?.GetValue<bool>() == true;
        return server ? "Server GC" : "workstation GC";
    }

    private static string Command(IReadOnlyList<string> args) =>
        Environment.GetEnvironmentVariable("AGENTS_BENCH_COMMAND") is { Length: > 0 } given
            ? given
            : "dotnet run -c Release --project bench/Agents.Benchmarks.Streaming" + (args.Count > 0 ? " -- " + string.Join(' ', args) : "");

    private static string Run(string file, params string[] args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }

    /// <summary>Alice's access token, fetched again before it expires (tokens of the local provider live ten minutes).</summary>
    private sealed class TokenCache(Func<CancellationToken, Task<string>> fetch) : IDisposable
    {
        private readonly SemaphoreSlim gate = new(1);
        private string? token;
        private DateTime fetchedAt;

        public async Task<string> GetAsync(CancellationToken ct)
        {
            if (token is not null && DateTime.UtcNow - fetchedAt < TimeSpan.FromMinutes(5))
            {
                return token;
            }
            await gate.WaitAsync(ct);
            try
            {
                if (token is null || DateTime.UtcNow - fetchedAt >= TimeSpan.FromMinutes(5))
                {
                    token = await fetch(ct);
                    fetchedAt = DateTime.UtcNow;
                }
                return token;
            }
            finally
            {
                gate.Release();
            }
        }

        public void Dispose() => gate.Dispose();
    }
}
