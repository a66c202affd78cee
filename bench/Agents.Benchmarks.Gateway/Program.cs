using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Agents.Benchmarks.Gateway;

// A bounded load generator (BenchmarkDotNet measures code, not a server under load): for each concurrency level it
// calls the simulator directly and then through the gateway, each for a fixed time, and prints both side by side.
var options = BenchOptions.Parse(args);
await using var host = options.Gateway is null ? await HostRunner.StartAsync(options) : null;
var gateway = options.Gateway ?? host!.BaseAddress;
var simulatorAddress = options.Simulator ?? host!.ModelEndpoint;
var token = options.Token ?? await host!.TokenAsync();

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{
    Timeout = TimeSpan.FromSeconds(30),
};
var direct = new Target("simulator", new Uri(simulatorAddress, "chat/completions"), null);
var viaGateway = new Target("gateway", new Uri(gateway, "api/openai/v1/chat/completions"), token);
// For reference: an API call with the same authentication and rate limiting but no model call (GET /api/v1/me).
var apiBaseline = new Target("api /me", new Uri(gateway, "api/v1/me"), token, HttpMethod.Get);

Console.WriteLine($"machine: {MachineInfo.Describe()}, load average {MachineInfo.LoadAverage()}; body: {options.Tokens} output tokens, stream={options.Stream}");
Console.WriteLine(host is null ? $"gateway: {gateway}" : FormattableString.Invariant(
    $"gateway: the Functions app (Release) on func-host at {gateway}, ready {host.StartupTime.TotalSeconds:F1} s after start; rate limits and token budgets lifted, Logging__LogLevel__Default=Warning") +
    string.Concat(host.Settings.Select(p => $", {p.Key}={p.Value}")));
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
Console.WriteLine($"load average after: {MachineInfo.LoadAverage()}");
return 0;

namespace Agents.Benchmarks.Gateway
{
    internal sealed record Target(string Name, Uri Url, string? Bearer, HttpMethod? Method = null);

    internal sealed record BenchOptions(
        Uri? Simulator, Uri? Gateway, string? Token, string? EnvFile, IReadOnlyList<int> Concurrency,
        TimeSpan Duration, TimeSpan Warmup, int Tokens, bool Stream, bool SkipApiBaseline, IReadOnlyDictionary<string, string> HostEnv)
    {
        public static BenchOptions Parse(string[] args)
        {
            string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
            var simulator = Value("--simulator");
            var token = Value("--token") ?? Environment.GetEnvironmentVariable("AGENTS_BENCH_TOKEN");
            var gateway = Value("--gateway");
            if (gateway is not null && (simulator is null || token is null))
            {
                throw Usage("--gateway (a running host) needs --simulator and --token (or AGENTS_BENCH_TOKEN)");
            }
            var hostEnv = args.Select((a, i) => (a, i)).Where(p => p.a == "--host-env" && p.i + 1 < args.Length)
                .Select(p => args[p.i + 1].Split('=', 2))
                .ToDictionary(kv => kv[0], kv => kv.Length == 2 ? kv[1] : throw Usage("--host-env takes KEY=VALUE"), StringComparer.Ordinal);
            return new BenchOptions(
                simulator is null ? null : new Uri(simulator.EndsWith('/') ? simulator : simulator + "/"),
                gateway is null ? null : new Uri(gateway.EndsWith('/') ? gateway : gateway + "/"),
                token,
                Value("--env-file"),
                (Value("--concurrency") ?? "1,8,32").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToList(),
                TimeSpan.FromSeconds(double.Parse(Value("--seconds") ?? "10", CultureInfo.InvariantCulture)),
                TimeSpan.FromSeconds(double.Parse(Value("--warmup") ?? "2", CultureInfo.InvariantCulture)),
                int.Parse(Value("--tokens") ?? "16", CultureInfo.InvariantCulture),
                args.Contains("--stream"),
                args.Contains("--no-api-baseline"),
                hostEnv);
        }

        private static ArgumentException Usage(string problem) => new(
            $"{problem}\nusage: Agents.Benchmarks.Gateway [--env-file STACK_ENV] [--simulator http://127.0.0.1:PORT/v1/] [--token TOKEN] [--host-env KEY=VALUE ...]\n" +
            "       Agents.Benchmarks.Gateway --gateway http://127.0.0.1:PORT --simulator URL --token TOKEN\n" +
            "       [--concurrency 1,8,32] [--seconds 10] [--warmup 2] [--tokens 16] [--stream] [--no-api-baseline]\n" +
            "Without --gateway it starts the Functions app on func-host (with a private Azurite), and the local stack and the model simulator\n" +
            "unless --env-file / --simulator name running ones; the token is then alice's, from local/dev-token.mjs.");
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

    /// <summary>
    /// The Functions app on func-host (Release build) against the local stack and the model simulator (each started here
    /// unless given), with the rate limits and token budgets out of the way and the worker's logging at Warning.
    /// </summary>
    internal sealed class HostRunner : IAsyncDisposable
    {
        private readonly LocalStandIns stack;
        private readonly FunctionsHost host;
        private readonly string work;

        private HostRunner(LocalStandIns stack, FunctionsHost host, string work)
        {
            this.stack = stack;
            this.host = host;
            this.work = work;
        }

        public Uri BaseAddress => host.BaseAddress;

        public Uri ModelEndpoint => stack.ModelEndpoint;

        public TimeSpan StartupTime => host.StartupTime;

        public IReadOnlyDictionary<string, string> Settings { get; private init; } = new Dictionary<string, string>();

        public static async Task<HostRunner> StartAsync(BenchOptions options)
        {
            var repo = Local.FindRepository();
            var work = Directory.CreateTempSubdirectory("agents-bench-gateway-").FullName;
            Console.Error.WriteLine($"starting the Functions app on func-host (logs in {work})");
            var stack = await LocalStandIns.StartAsync(repo, work, options.EnvFile, options.Simulator, CancellationToken.None);
            try
            {
                var settings = new Dictionary<string, string>(FunctionsHost.NoLimits, StringComparer.Ordinal) { ["Logging__LogLevel__Default"] = "Warning" };
                foreach (var (key, value) in options.HostEnv)
                {
                    settings[key] = value;
                }
                var host = await FunctionsHost.StartAsync(new FunctionsHostOptions
                {
                    Repo = repo,
                    WorkDirectory = work,
                    Stack = stack.Env,
                    ModelEndpoint = stack.ModelEndpoint,
                    Settings = settings,
                }, CancellationToken.None);
                return new HostRunner(stack, host, work) { Settings = options.HostEnv };
            }
            catch
            {
                await stack.DisposeAsync();
                throw;
            }
        }

        public Task<string> TokenAsync() => stack.TokenAsync("alice", CancellationToken.None);

        public async ValueTask DisposeAsync()
        {
            await host.DisposeAsync();
            await stack.DisposeAsync();
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
