using System.Diagnostics;

namespace Agents.Benchmarks.Streaming;

/// <summary>
/// How long the subscribers took to see the end of the run after the approval (milliseconds, over those that saw it
/// within <see cref="WaitedSeconds"/>), and the run's status when the wait ended.
/// </summary>
public sealed record FanOut(int Received, double First, double P50, double P99, double Last, double WaitedSeconds, string RunStatus);

/// <summary>A process whose memory and CPU are watched: the Functions host, or the app's worker.</summary>
public sealed record WatchedProcess(string Name, int Pid);

/// <summary>One watched process's figures: samples before / with / after the subscribers, CPU (% of one core), counter peaks.</summary>
public sealed record ProcessFigures(
    string Name,
    ProcessSample Before,
    ProcessSample After,
    ProcessSample AfterClose,
    GcHeapSample? GcBefore,
    GcHeapSample? GcAfter,
    GcHeapSample? GcAfterClose,
    double IdleCpuPercent,
    double SubscribedCpuPercent,
    IReadOnlyList<(string Phase, CounterPeaks Peaks)> Counters);

public sealed record MemoryResult(
    int Subscribers,
    int Connected,
    IReadOnlyList<string> Failures,
    double OpenSeconds,
    (double P50, double P90, double P99, double Mean) OpenLatency,
    IReadOnlyList<ProcessFigures> Processes,
    double CpuWindowSeconds,
    double? StackIdleCpuPercent,
    double? StackSubscribedCpuPercent,
    FanOut? FanOut);

/// <summary>
/// Memory per open stream: one run parked on a tool approval (so it stays open, and no events flow), N concurrent
/// subscribers of its events (GET .../events). A subscriber counts as connected once it received the run's first event
/// (<c>run.created</c>, served from the log). Memory is read before and after opening them, each time right after a
/// full GC, of every watched process: on Functions a request reaches the host, which forwards it to the app's worker,
/// so both hold every open stream. Then the run is approved and every subscriber must see <c>done</c> (the fan-out).
/// </summary>
public sealed class StreamMemory(AgentsApi api, IReadOnlyList<WatchedProcess> processes, int? stackPid)
{
    private const string ParkedRun =
        "bench memory [[sim steps=1 tool=send_email args='{\"to\":\"bob@example.com\",\"subject\":\"hi\",\"body\":\"hello\"}' reply=\"sent\"]]";

    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan CpuWindowLength = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FanOutWait = TimeSpan.FromSeconds(180);

    public async Task<MemoryResult> MeasureAsync(int subscribers, Action<string> progress, CancellationToken ct)
    {
        var thread = await api.CreateThreadAsync(ct);
        var run = await api.StartRunAsync(thread, ParkedRun, ct);
        var parked = await api.WaitForStatusAsync(thread, run, "requires_action", TimeSpan.FromSeconds(60), ct);
        var toolCallId = parked["pendingToolCalls"]![0]!["toolCallId"]!.GetValue<string>();

        progress("warming up with 50 subscribers");
        var (warm, _, _) = await OpenAsync(thread, run, Math.Min(50, subscribers), ct);
        await DisposeAllAsync(warm);
        await Task.Delay(Settle, ct);

        var counters = new List<RuntimeCounters?>();
        foreach (var p in processes)
        {
            counters.Add(await RuntimeCounters.StartAsync(p.Pid));
        }
        var peaks = processes.Select(_ => new List<(string, CounterPeaks)>()).ToList();
        void Phase(string name)
        {
            for (var i = 0; i < processes.Count; i++)
            {
                if (counters[i] is { } c)
                {
                    peaks[i].Add((name, c.TakePeaks()));
                }
            }
        }

        try
        {
            progress("measuring with no subscriber");
            var idleCpu = await CpuAsync(ct);
            Phase("no subscriber (10 s)");
            var gcBefore = await GcAsync();
            var before = Sample();

            progress($"opening {subscribers} subscribers");
            var clock = Stopwatch.StartNew();
            var (open, failures, connected) = await OpenAsync(thread, run, subscribers, ct);
            var openSeconds = clock.Elapsed.TotalSeconds;
            try
            {
                Phase($"opening {subscribers} subscribers");
                progress($"{connected} connected in {openSeconds:F1} s; measuring");
                await Task.Delay(Settle, ct);
                var subscribedCpu = await CpuAsync(ct);
                Phase($"{connected} idle subscribers (10 s)");
                var gcAfter = await GcAsync();
                var after = Sample();

                progress("approving the tool call; waiting for every subscriber to see the end of the run");
                var approved = Stopwatch.GetTimestamp();
                await api.ApproveAsync(thread, run, toolCallId, ct);
                var fanOut = await FanOutAsync(open, approved, ct);
                fanOut = fanOut with { RunStatus = (await api.GetRunAsync(thread, run, ct))["status"]?.GetValue<string>() ?? "unknown" };
                Phase("approval to done");

                var openLatency = Stats.Summary(open.Select(s => s.OpenMilliseconds));
                await DisposeAllAsync(open);
                open = [];
                await Task.Delay(Settle, ct);
                var gcAfterClose = await GcAsync();
                var afterClose = Sample();
                var figures = processes.Select((p, i) => new ProcessFigures(p.Name, before[i], after[i], afterClose[i], gcBefore[i], gcAfter[i], gcAfterClose[i],
                    idleCpu.Processes[i], subscribedCpu.Processes[i], peaks[i])).ToList();
                return new MemoryResult(subscribers, connected, failures, openSeconds, openLatency, figures, subscribedCpu.Seconds,
                    idleCpu.Stack, subscribedCpu.Stack, fanOut);
            }
            finally
            {
                await DisposeAllAsync(open);
            }
        }
        finally
        {
            foreach (var c in counters)
            {
                if (c is not null)
                {
                    await c.DisposeAsync();
                }
            }
        }
    }

    /// <summary>Opens <paramref name="count"/> subscribers, 64 at a time; returns those connected and why others were not.</summary>
    private async Task<(List<Subscriber> Open, List<string> Failures, int Connected)> OpenAsync(string thread, string run, int count, CancellationToken ct)
    {
        var open = new List<Subscriber>();
        var failures = new List<string>();
        using var slots = new SemaphoreSlim(64);
        var tasks = Enumerable.Range(0, count).Select(async _ =>
        {
            await slots.WaitAsync(ct);
            try
            {
                var subscriber = await Subscriber.OpenAsync(api, thread, run, ct);
                lock (open)
                {
                    open.Add(subscriber);
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or InvalidOperationException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                lock (failures)
                {
                    failures.Add(e.Message);
                }
            }
            finally
            {
                slots.Release();
            }
        });
        await Task.WhenAll(tasks);
        return (open, failures, open.Count);
    }

    private static async Task<FanOut> FanOutAsync(IReadOnlyList<Subscriber> open, long approved, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(FanOutWait);
        var ends = await Task.WhenAll(open.Select(s => s.WaitForDoneAsync(limit.Token)));
        ct.ThrowIfCancellationRequested();
        var latencies = ends.OfType<long>().Select(t => Stopwatch.GetElapsedTime(approved, t).TotalMilliseconds).Order().ToList();
        return latencies.Count == 0
            ? new FanOut(0, double.NaN, double.NaN, double.NaN, double.NaN, FanOutWait.TotalSeconds, "")
            : new FanOut(latencies.Count, latencies[0], Stats.Percentile(latencies, 50), Stats.Percentile(latencies, 99), latencies[^1], FanOutWait.TotalSeconds, "");
    }

    /// <summary>CPU of every watched process and of the local stack over a quiet window, in % of one core.</summary>
    private async Task<(double Seconds, IReadOnlyList<double> Processes, double? Stack)> CpuAsync(CancellationToken ct)
    {
        var before = processes.Select(p => HostMemory.CpuSeconds(p.Pid)).ToList();
        var stack = stackPid is { } s ? HostMemory.TreeCpuSeconds(s) : (double?)null;
        var clock = Stopwatch.StartNew();
        await Task.Delay(CpuWindowLength, ct);
        var seconds = clock.Elapsed.TotalSeconds;
        return (seconds, processes.Select((p, i) => 100 * (HostMemory.CpuSeconds(p.Pid) - before[i]) / seconds).ToList(),
            stack is { } b ? 100 * (HostMemory.TreeCpuSeconds(stackPid!.Value) - b) / seconds : null);
    }

    private async Task<IReadOnlyList<GcHeapSample?>> GcAsync()
    {
        var samples = new List<GcHeapSample?>();
        foreach (var p in processes)
        {
            samples.Add(await HostMemory.CollectAsync(p.Pid, TimeSpan.FromSeconds(20)));
        }
        return samples;
    }

    private List<ProcessSample> Sample() => processes.Select(p => HostMemory.Read(p.Pid)).ToList();

    private static async Task DisposeAllAsync(IEnumerable<Subscriber> subscribers)
    {
        foreach (var s in subscribers)
        {
            await s.DisposeAsync();
        }
    }

    /// <summary>One open event stream: connected once its first event arrived; then read in the background until <c>done</c>.</summary>
    private sealed class Subscriber : IAsyncDisposable
    {
        private readonly CancellationTokenSource stop = new();
        private readonly HttpResponseMessage response;
        private readonly SseReader reader;
        private Task<long?> done = Task.FromResult<long?>(null);

        private Subscriber(HttpResponseMessage response, SseReader reader)
        {
            this.response = response;
            this.reader = reader;
        }

        /// <summary>From sending the request to receiving <c>run.created</c>.</summary>
        public double OpenMilliseconds { get; private set; }

        public static async Task<Subscriber> OpenAsync(AgentsApi api, string thread, string run, CancellationToken ct)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            var start = Stopwatch.GetTimestamp();
            var response = await api.SubscribeAsync(thread, run, timeout.Token);
            var subscriber = new Subscriber(response, new SseReader(await response.Content.ReadAsStreamAsync(timeout.Token)));
            try
            {
                var first = await subscriber.reader.NextAsync(timeout.Token);
                if (first?.Type != "run.created")
                {
                    throw new InvalidOperationException($"the first event was {first?.Type ?? "the end of the stream"}, not run.created");
                }
                subscriber.OpenMilliseconds = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                subscriber.done = subscriber.ReadUntilDoneAsync();
                return subscriber;
            }
            catch
            {
                await subscriber.DisposeAsync();
                throw;
            }
        }

        /// <summary>The timestamp at which <c>done</c> arrived, or null if the stream ended without it.</summary>
        public async Task<long?> WaitForDoneAsync(CancellationToken ct)
        {
            try
            {
                return await done.WaitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            response.Dispose();
            await ((Task)done).ContinueWith(_ => { }, TaskScheduler.Default);
            reader.Dispose();
            stop.Dispose();
        }

        private async Task<long?> ReadUntilDoneAsync()
        {
            try
            {
                while (await reader.NextAsync(stop.Token) is { } e)
                {
                    if (e.Type == "done")
                    {
                        return Stopwatch.GetTimestamp();
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException or ObjectDisposedException)
            {
            }
            return null;
        }
    }
}
