using System.Globalization;

namespace Agents.Benchmarks.Runs;

/// <summary>What one host configuration measured.</summary>
public sealed record ConfigurationResult(
    HostConfiguration Configuration,
    TimeSpan Startup,
    OneStepSample? FirstRun,
    IReadOnlyList<OneStepSample> Polled,
    IReadOnlyList<OneStepSample> Waited,
    IReadOnlyList<FirstTokenSample> Busy,
    IReadOnlyList<FirstTokenSample> Idle,
    IReadOnlyList<Segment> PolledSegments,
    IReadOnlyList<Segment> BusySegments,
    IReadOnlyList<Segment> IdleSegments,
    IReadOnlyDictionary<string, double> FunctionDurations,
    IReadOnlyList<string> Failures,
    string WorkerGc,
    double? IdleCpuPercent);

/// <summary>
/// One run of the benchmark. Every configuration gets a fresh host with an Azurite of its own; all of them are started
/// first (each timed to ready, then its first run), and then every measurement is taken on each host in turn, in
/// blocks (<see cref="Block"/> one-step runs, or all busy samples, per host and turn), so that a change in the machine's
/// load during the run (it is shared) falls on every configuration alike. Within a block a host is as busy as when it
/// runs alone; the idle samples of all hosts share each idle wait.
/// </summary>
public static class RunsBenchmark
{
    private const int MaxFailures = 10;
    private const int BusyWarmup = 2;
    private const int Block = 10;

    public static async Task<int> RunAsync(RunsOptions options, IReadOnlyList<string> args, CancellationToken ct)
    {
        var repo = options.Repo ?? Local.FindRepository();
        var work = Directory.CreateTempSubdirectory("agents-bench-runs-").FullName;
        var loadBefore = MachineInfo.LoadAverage();
        var started = DateTimeOffset.UtcNow;
        using var load = new LoadSampler();
        List<ConfigurationResult> results;
        Log($"starting the local stack and the model simulator from {repo}; logs in {work}");
        await using (var stack = await LocalStandIns.StartAsync(repo, work, options.StackEnv, options.ModelEndpoint, ct))
        {
            using var tokens = new TokenCache(c => stack.TokenAsync("alice", c));
            var subjects = new List<Subject>();
            try
            {
                foreach (var configuration in options.Configurations())
                {
                    subjects.Add(await Subject.StartAsync(options, repo, work, stack, tokens, configuration, ct));
                }
                await MeasureAsync(options, subjects, tokens, ct);
                results = [];
                foreach (var s in subjects)
                {
                    results.Add(await s.ResultAsync(ct));
                }
            }
            finally
            {
                foreach (var s in subjects)
                {
                    await s.DisposeAsync();
                }
            }
        }

        var context = new ReportContext(started, MachineInfo.Describe(), MachineInfo.Commit(repo), Command(args), loadBefore, MachineInfo.LoadAverage(),
            load.Describe(), options);
        var markdown = RunsReport.Markdown(context, results);
        Console.WriteLine();
        Console.WriteLine(markdown);
        if (options.WriteDocs)
        {
            var docs = options.Docs ?? Path.Combine(repo, "docs", "benchmarks.md");
            DocsSection.Write(docs, "runs", "bench/Agents.Benchmarks.Runs", "Runs on the Functions host", markdown);
            Log($"wrote the runs section of {docs}");
        }
        var failed = results.Any(r => r.Failures.Count > 0);
        if (failed)
        {
            Log($"some samples failed (see the report); logs kept in {work}");
        }
        else
        {
            Directory.Delete(work, recursive: true);
        }
        return failed ? 1 : 0;
    }

    private static async Task MeasureAsync(RunsOptions options, List<Subject> subjects, TokenCache tokens, CancellationToken ct)
    {
        // Each turn starts with the next host, so that no configuration always goes first.
        IEnumerable<Subject> Turn(int n) => subjects.Skip(n % subjects.Count).Concat(subjects.Take(n % subjects.Count));

        foreach (var s in subjects)
        {
            s.Log($"{options.Warmup} warm-up runs");
            for (var i = 0; i < options.Warmup; i++)
            {
                await s.TryAsync("warm-up run", () => s.Measure.PolledAsync(ct));
            }
        }
        var blocks = (options.Runs + Block - 1) / Block;
        for (var way = 0; way < 2; way++)
        {
            var wait = way == 1;
            if (wait ? !options.Wait : !options.Poll)
            {
                continue;
            }
            for (var b = 0; b < blocks; b++)
            {
                var count = Math.Min(Block, options.Runs - (b * Block));
                foreach (var s in Turn(b))
                {
                    s.Log($"one-step runs, {(wait ? "wait=true" : "poll")}: block {b + 1} of {blocks} ({count} runs)");
                    for (var i = 0; i < count; i++)
                    {
                        if (wait)
                        {
                            s.Waited.Add(await s.TryAsync("wait=true run", () => s.Measure.WaitedAsync(ct)));
                        }
                        else
                        {
                            s.Polled.Add(await s.TryAsync("polled run", () => s.Measure.PolledAsync(ct)));
                        }
                    }
                }
            }
        }
        if (options.BusySamples > 0)
        {
            foreach (var s in subjects)
            {
                s.Log($"first token, busy: {BusyWarmup} warm-up, then {options.BusySamples} back to back");
                for (var i = 0; i < BusyWarmup + options.BusySamples; i++)
                {
                    var sample = await s.TryAsync("streamed run", async () => await s.Measure.StreamedAsync(await s.Measure.NewThreadAsync(ct), ct));
                    if (i >= BusyWarmup)
                    {
                        s.Busy.Add(sample);
                    }
                }
            }
        }
        for (var i = 0; i < options.IdleSamples; i++)
        {
            var threads = new Dictionary<Subject, string>();
            foreach (var s in subjects)
            {
                threads[s] = await s.Measure.NewThreadAsync(ct);
            }
            await tokens.GetAsync(ct);
            Log($"first token after idle: sample {i + 1} of {options.IdleSamples}; every host idle for {options.IdleSeconds} s");
            var cpu = subjects.ToDictionary(s => s, s => s.Host.CpuSeconds());
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(options.IdleSeconds), ct);
            foreach (var s in subjects)
            {
                s.IdleCpuSeconds += s.Host.CpuSeconds() - cpu[s];
                s.IdleSeconds += clock.Elapsed.TotalSeconds;
            }
            foreach (var s in Turn(i))
            {
                // The sample fetches a token again, before its clock starts, if the cached one is getting old.
                var sample = await s.TryAsync("streamed run after idle", () => s.Measure.StreamedAsync(threads[s], ct));
                s.Idle.Add(sample);
                if (sample is not null)
                {
                    s.Log(FormattableString.Invariant($"first token after {sample.FirstToken:F0} ms"));
                }
            }
        }
    }

    public static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

    private static string Command(IReadOnlyList<string> args) =>
        Environment.GetEnvironmentVariable("AGENTS_BENCH_COMMAND") is { Length: > 0 } given
            ? given
            : "dotnet bench/Agents.Benchmarks.Runs/bin/Release/net10.0/Agents.Benchmarks.Runs.dll" + (args.Count > 0 ? " " + string.Join(' ', args.Select(Quote)) : "");

    private static string Quote(string arg) => arg.Any(c => char.IsWhiteSpace(c) || c is '[' or ']' or '"' or '\'') ? $"'{arg}'" : arg;

    /// <summary>One configuration's host, its client and its samples so far.</summary>
    private sealed class Subject : IAsyncDisposable
    {
        private readonly List<string> failures = [];

        private readonly CancellationToken stop;

        private Subject(HostConfiguration configuration, FunctionsHost host, HttpClient http, Measurements measure, string workerGc, CancellationToken stop)
        {
            this.stop = stop;
            Configuration = configuration;
            Host = host;
            Http = http;
            Measure = measure;
            WorkerGc = workerGc;
        }

        public HostConfiguration Configuration { get; }

        public FunctionsHost Host { get; }

        public HttpClient Http { get; }

        public Measurements Measure { get; }

        public string WorkerGc { get; }

        public OneStepSample? FirstRun { get; private set; }

        public List<OneStepSample?> Polled { get; } = [];

        public List<OneStepSample?> Waited { get; } = [];

        public List<FirstTokenSample?> Busy { get; } = [];

        public List<FirstTokenSample?> Idle { get; } = [];

        /// <summary>CPU used by the host, its worker and its Azurite during the idle waits, and how long they were.</summary>
        public double IdleCpuSeconds { get; set; }

        public double IdleSeconds { get; set; }

        public static async Task<Subject> StartAsync(RunsOptions options, string repo, string work, LocalStandIns stack, TokenCache tokens,
            HostConfiguration configuration, CancellationToken ct)
        {
            var settings = new Dictionary<string, string>(FunctionsHost.NoLimits, StringComparer.Ordinal);
            foreach (var (key, value) in configuration.Settings)
            {
                settings[key] = value;
            }
            RunsBenchmark.Log($"[{configuration.Name}] starting the Functions host ({configuration.Describe()})");
            var host = await FunctionsHost.StartAsync(new FunctionsHostOptions
            {
                Repo = repo,
                WorkDirectory = work,
                Name = configuration.Name,
                Stack = stack.Env,
                ModelEndpoint = stack.ModelEndpoint,
                Settings = settings,
                Configuration = options.Configuration,
            }, ct);
            var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(150) };
            var api = new AgentsApi(http, tokens.GetAsync);
            var gc = MachineInfo.GcMode(host.WorkerPid(), Path.Combine(FunctionsHost.AppDirectory(repo, options.Configuration), "Agents.Functions.runtimeconfig.json"));
            var subject = new Subject(configuration, host, http, new Measurements(api, async c => await tokens.GetAsync(c), options.Message, options.PollMilliseconds), gc, ct);
            subject.Log(FormattableString.Invariant($"host {host.BaseAddress} ready after {host.StartupTime.TotalSeconds:F1} s (pid {host.HostPid}, worker {host.WorkerPid()}); the first run"));
            subject.FirstRun = await subject.TryAsync("first run", () => subject.Measure.PolledAsync(ct));
            return subject;
        }

        public void Log(string message) => RunsBenchmark.Log($"[{Configuration.Name}] {message}");

        /// <summary>A sample, or null (noted as a failure) when it failed; more than <see cref="MaxFailures"/> end the benchmark.</summary>
        public async Task<T?> TryAsync<T>(string what, Func<Task<T>> sample) where T : class
        {
            try
            {
                return await sample();
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TimeoutException or TaskCanceledException && !stop.IsCancellationRequested && !Host.HasExited)
            {
                failures.Add($"{what}: {e.Message}");
                Log($"{what} failed: {e.Message}");
                return failures.Count > MaxFailures
                    ? throw new InvalidOperationException($"more than {MaxFailures} samples failed on configuration {Configuration.Name}; host log: {Host.LogPath}\n{Host.Tail()}", e)
                    : null;
            }
        }

        /// <summary>The samples, the breakdowns from the orchestrations' histories and the host log's execution times.</summary>
        public async Task<ConfigurationResult> ResultAsync(CancellationToken ct)
        {
            Log("reading the orchestrations' histories");
            var masterKey = await Host.MasterKeyAsync(ct);
            var polled = Completed(Polled, "polled run");
            var polledSegments = new List<IReadOnlyList<Segment>?>();
            foreach (var s in polled)
            {
                polledSegments.Add(Breakdown.OneStep(await Host.OrchestrationAsync(Http, masterKey, s.RunId, ct), s));
            }
            async Task<IReadOnlyList<Segment>> FirstTokenSegments(IEnumerable<FirstTokenSample> samples)
            {
                var all = new List<IReadOnlyList<Segment>?>();
                foreach (var s in samples)
                {
                    all.Add(Breakdown.FirstToken(await Host.OrchestrationAsync(Http, masterKey, s.RunId, ct), s));
                }
                return Breakdown.Medians(all);
            }
            var busy = Busy.OfType<FirstTokenSample>().ToList();
            var idle = Idle.OfType<FirstTokenSample>().ToList();
            return new ConfigurationResult(Configuration, Host.StartupTime, FirstRun, polled, Completed(Waited, "wait=true run"), busy, idle,
                Breakdown.Medians(polledSegments), await FirstTokenSegments(busy), await FirstTokenSegments(idle),
                Breakdown.FunctionDurations(Host.ReadLog()), failures, WorkerGc, IdleSeconds > 0 ? 100 * IdleCpuSeconds / IdleSeconds : null);
        }

        public async ValueTask DisposeAsync()
        {
            Log("stopping the host");
            Http.Dispose();
            await Host.DisposeAsync();
        }

        private List<OneStepSample> Completed(IEnumerable<OneStepSample?> samples, string what)
        {
            var list = new List<OneStepSample>();
            foreach (var s in samples.OfType<OneStepSample>())
            {
                if (s.Status == "completed")
                {
                    list.Add(s);
                }
                else
                {
                    failures.Add($"{what}: run {s.RunId} ended {s.Status}");
                }
            }
            return list;
        }
    }

    /// <summary>The machine's 1-minute load average every 5 s while the benchmark runs (it is shared: this says how much).</summary>
    private sealed class LoadSampler : IDisposable
    {
        private readonly List<double> samples = [];
        private readonly Timer timer;

        public LoadSampler() => timer = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromSeconds(5));

        public string Describe()
        {
            lock (samples)
            {
                var d = Distribution.Of(samples);
                return d.Count == 0 ? "unknown" : FormattableString.Invariant($"min {samples.Min():F1}, median {d.P50:F1}, max {d.Max:F1}");
            }
        }

        public void Dispose() => timer.Dispose();

        private void Sample()
        {
            if (File.Exists("/proc/loadavg") &&
                double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var one))
            {
                lock (samples)
                {
                    samples.Add(one);
                }
            }
        }
    }
}
