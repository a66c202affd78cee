using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Agents.Benchmarks.Gateway;

// A bounded load generator (BenchmarkDotNet measures code, not a server under load): for each concurrency level it
// calls the simulator directly and then through the gateway, each for a fixed time, and prints both side by side.
var options = BenchOptions.Parse(args);
await using var host = options.Gateway is null ? await HostRunner.StartAsync(options) : null;
var gateway = options.Gateway ?? host!.BaseAddress;

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{
    Timeout = TimeSpan.FromSeconds(30),
};
var direct = new Target("simulator", new Uri(options.Simulator, "chat/completions"), null);
var viaGateway = new Target("gateway", new Uri(gateway, "api/openai/v1/chat/completions"), options.Token);
// For reference: an API call with the same authentication and rate limiting but no model call (GET /api/v1/me).
var apiBaseline = new Target("api /me", new Uri(gateway, "api/v1/me"), options.Token, HttpMethod.Get);

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation()}, load average {LoadAverage()}; body: {options.Tokens} output tokens, stream={options.Stream}");
Console.WriteLine($"each level: {options.Warmup.TotalSeconds:0} s warm-up, {options.Duration.TotalSeconds:0} s measured, per target");
Console.WriteLine();
Console.WriteLine("| concurrency | target | requests/s | p50 ms | p99 ms | errors | added p50 ms | added p99 ms |");
Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|");
foreach (var concurrency in options.Concurrency)
{
    var baseline = await LoadRunner.RunAsync(http, direct, concurrency, options);
    var measured = await LoadRunner.RunAsync(http, viaGateway, concurrency, options);
    var reference = options.SkipApiBaseline ? null : await LoadRunner.RunAsync(http, apiBaseline, concurrency, options);
    Console.WriteLine(baseline.Row(concurrency, null));
    Console.WriteLine(measured.Row(concurrency, baseline));
    if (reference is not null)
    {
        Console.WriteLine(reference.Row(concurrency, null));
    }
}
Console.WriteLine();
Console.WriteLine($"load average after: {LoadAverage()}");
return 0;

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

static string RuntimeInformation() => $"{System.Runtime.InteropServices.RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version}";

namespace Agents.Benchmarks.Gateway
{
    internal sealed record Target(string Name, Uri Url, string? Bearer, HttpMethod? Method = null);

    internal sealed record BenchOptions(
        Uri Simulator, Uri? Gateway, string Token, string? EnvFile, IReadOnlyList<int> Concurrency,
        TimeSpan Duration, TimeSpan Warmup, int Tokens, bool Stream, bool SkipApiBaseline)
    {
        public static BenchOptions Parse(string[] args)
        {
            string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
            var simulator = Value("--simulator") ?? throw Usage("--simulator is required");
            var token = Value("--token") ?? Environment.GetEnvironmentVariable("AGENTS_BENCH_TOKEN") ?? throw Usage("--token (or AGENTS_BENCH_TOKEN) is required");
            var gateway = Value("--gateway");
            var envFile = Value("--env-file");
            if (gateway is null && envFile is null)
            {
                throw Usage("give --gateway (a running host) or --env-file (the local stack's, to start a host)");
            }
            return new BenchOptions(
                new Uri(simulator.EndsWith('/') ? simulator : simulator + "/"),
                gateway is null ? null : new Uri(gateway.EndsWith('/') ? gateway : gateway + "/"),
                token,
                envFile,
                (Value("--concurrency") ?? "1,8,32").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToList(),
                TimeSpan.FromSeconds(double.Parse(Value("--seconds") ?? "10", CultureInfo.InvariantCulture)),
                TimeSpan.FromSeconds(double.Parse(Value("--warmup") ?? "2", CultureInfo.InvariantCulture)),
                int.Parse(Value("--tokens") ?? "16", CultureInfo.InvariantCulture),
                args.Contains("--stream"),
                args.Contains("--no-api-baseline"));
        }

        private static ArgumentException Usage(string problem) => new(
            $"{problem}\nusage: Agents.Benchmarks.Gateway --simulator http://127.0.0.1:PORT/v1/ --token TOKEN " +
            "(--gateway http://127.0.0.1:PORT | --env-file STACK_ENV) [--concurrency 1,8,32] [--seconds 10] [--warmup 2] [--tokens 16] [--stream] [--no-api-baseline]");
    }

    internal sealed record LoadResult(string Target, int Requests, int Errors, TimeSpan Elapsed, double P50, double P99)
    {
        public double Throughput => Requests / Elapsed.TotalSeconds;

        public string Row(int concurrency, LoadResult? baseline) => string.Create(CultureInfo.InvariantCulture,
            $"| {concurrency} | {Target} | {Throughput:0} | {P50:0.00} | {P99:0.00} | {Errors} | {(baseline is null ? "" : (P50 - baseline.P50).ToString("0.00", CultureInfo.InvariantCulture))} | {(baseline is null ? "" : (P99 - baseline.P99).ToString("0.00", CultureInfo.InvariantCulture))} |");
    }

    internal static class LoadRunner
    {
        /// <summary>Runs <paramref name="concurrency"/> workers in a closed loop for the warm-up, then for the measured time.</summary>
        public static async Task<LoadResult> RunAsync(HttpClient http, Target target, int concurrency, BenchOptions options)
        {
            await LoopAsync(http, target, concurrency, options, options.Warmup, record: null);
            var latencies = new List<double>[concurrency];
            var errors = 0;
            var clock = Stopwatch.StartNew();
            await LoopAsync(http, target, concurrency, options, options.Duration, (worker, ms, ok) =>
            {
                if (ok)
                {
                    (latencies[worker] ??= []).Add(ms);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                }
            });
            var elapsed = clock.Elapsed;
            var all = latencies.Where(l => l is not null).SelectMany(l => l).Order().ToArray();
            return new LoadResult(target.Name, all.Length, errors, elapsed, Percentile(all, 0.50), Percentile(all, 0.99));
        }

        private static async Task LoopAsync(HttpClient http, Target target, int concurrency, BenchOptions options, TimeSpan duration, Action<int, double, bool>? record)
        {
            var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            var body = $$"""{"model":"sim-small","stream":{{(options.Stream ? "true" : "false")}},"messages":[{"role":"user","content":"benchmark [[sim tokens={{options.Tokens}}]]"}]}""";
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
            {
                var n = 0;
                while (Stopwatch.GetTimestamp() < until)
                {
                    // Vary the text a little so nothing upstream can cache the answer.
                    var text = body.Replace("benchmark", $"benchmark {worker}-{n++}", StringComparison.Ordinal);
                    var started = Stopwatch.GetTimestamp();
                    var ok = await SendAsync(http, target, text);
                    record?.Invoke(worker, Stopwatch.GetElapsedTime(started).TotalMilliseconds, ok);
                }
            }));
        }

        private static async Task<bool> SendAsync(HttpClient http, Target target, string body)
        {
            using var request = target.Method == HttpMethod.Get
                ? new HttpRequestMessage(HttpMethod.Get, target.Url)
                : new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (target.Bearer is not null)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", target.Bearer);
            }
            try
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                await response.Content.CopyToAsync(Stream.Null); // the whole answer, streamed or not
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }

        private static double Percentile(double[] sorted, double p) =>
            sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    /// <summary>Starts a host of our own (Release build if there is one) against the local stack, with limits out of the way.</summary>
    internal sealed class HostRunner : IAsyncDisposable
    {
        private static readonly string[] Configurations = ["Release", "Debug"];
        private static readonly string[] Tiers = ["free", "standard", "admin"];
        private readonly Process process;

        private HostRunner(Process process, Uri baseAddress)
        {
            this.process = process;
            BaseAddress = baseAddress;
        }

        public Uri BaseAddress { get; }

        public static async Task<HostRunner> StartAsync(BenchOptions options)
        {
            var root = FindRoot();
            var dll = Configurations.Select(c => Path.Combine(root, "src", "Host", "bin", c, "net10.0", "Agents.Host.dll")).FirstOrDefault(File.Exists)
                ?? throw new InvalidOperationException("Build src/Host first (dotnet build -c Release src/Host).");
            var stack = File.ReadAllLines(options.EnvFile!).Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
                .Select(l => l.Split('=', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
            var port = FreePort();
            var info = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Path.Combine(root, "src", "Host"),
            };
            var id = Guid.NewGuid().ToString("N")[..8];
            var env = info.Environment;
            env["ASPNETCORE_ENVIRONMENT"] = "Bench";
            env["Cosmos__Endpoint"] = stack["AGENTS_COSMOS_ENDPOINT"];
            env["Cosmos__Key"] = stack["AGENTS_COSMOS_KEY"];
            env["Cosmos__Emulator"] = "true";
            env["Cosmos__CreateIfNotExists"] = "true";
            env["Cosmos__Database"] = $"bench-{id}";
            env["Storage__ConnectionString"] = stack["AGENTS_STORAGE_CONNECTION"];
            env["Storage__QueuePrefix"] = $"b{id}-";
            env["Model__Endpoint"] = options.Simulator.ToString();
            env["Model__ApiKey"] = "sim";
            env["Model__Deployment"] = "sim-small";
            env["Identity__Providers__0__Name"] = "local";
            env["Identity__Providers__0__Kind"] = "Oidc";
            env["Identity__Providers__0__Issuer"] = stack["AGENTS_OIDC_ISSUER"];
            env["Identity__Providers__0__Audiences__0"] = "api://agents";
            env["Identity__Providers__0__RequiredScope"] = "Agents.Access";
            env["Identity__Providers__0__RequireHttpsMetadata"] = "false";
            env["Logging__LogLevel__Default"] = "Warning";
            foreach (var tier in Tiers)
            {
                env[$"Limits__Tiers__{tier}__CostlyRequestsPerMinute"] = "100000000";
                env[$"Limits__Tiers__{tier}__RequestsPerMinute"] = "100000000";
                env[$"Limits__Tiers__{tier}__TokensPerDay"] = "1000000000000";
                env[$"Limits__Tiers__{tier}__TokensPerMonth"] = "1000000000000";
            }
            var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"host: {e.Data}"); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var runner = new HostRunner(process, new Uri($"http://127.0.0.1:{port}/"));
            using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            for (var i = 0; i < 300 && !process.HasExited; i++)
            {
                try
                {
                    using var ready = await probe.GetAsync(new Uri(runner.BaseAddress, "api/health/ready"));
                    if (ready.IsSuccessStatusCode)
                    {
                        return runner;
                    }
                }
                catch (HttpRequestException)
                {
                }
                await Task.Delay(200);
            }
            await runner.DisposeAsync();
            throw new InvalidOperationException("The host did not become ready.");
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            process.Dispose();
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        private static string FindRoot()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Agents.sln")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName ?? throw new InvalidOperationException("Agents.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
