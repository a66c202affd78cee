using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace Agents.Benchmarks.Streaming;

/// <summary>The largest values a process's runtime counters reached while they were watched.</summary>
public sealed record CounterPeaks(double ThreadPoolThreads, double ThreadPoolQueueLength, double CpuPercent, double LockContentionsPerSecond);

/// <summary>
/// Watches a .NET process's "System.Runtime" event counters over its diagnostics port (what dotnet-counters shows),
/// once a second, keeping the peaks: thread-pool threads and queue length tell starvation from CPU saturation.
/// </summary>
public sealed class RuntimeCounters : IAsyncDisposable
{
    private readonly EventPipeSession session;
    private readonly EventPipeEventSource source;
    private readonly Task processing;
    private readonly Dictionary<string, double> peaks = new(StringComparer.Ordinal);

    private RuntimeCounters(EventPipeSession session)
    {
        this.session = session;
        source = new EventPipeEventSource(session.EventStream);
        source.Dynamic.All += OnEvent;
        processing = Task.Run(source.Process);
    }

    /// <summary>Starts watching; null if the process has no diagnostics port.</summary>
    public static async Task<RuntimeCounters?> StartAsync(int pid)
    {
        try
        {
            var provider = new EventPipeProvider("System.Runtime", EventLevel.Informational, -1, new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" });
            return new RuntimeCounters(await new DiagnosticsClient(pid).StartEventPipeSessionAsync([provider], requestRundown: false, circularBufferMB: 16, CancellationToken.None));
        }
        catch (ServerNotAvailableException)
        {
            return null;
        }
    }

    /// <summary>The peaks so far (and from now on, the peaks after this call).</summary>
    public CounterPeaks TakePeaks()
    {
        lock (peaks)
        {
            var result = new CounterPeaks(Peak("threadpool-thread-count"), Peak("threadpool-queue-length"), Peak("cpu-usage"), Peak("monitor-lock-contention-count"));
            peaks.Clear();
            return result;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await session.StopAsync(CancellationToken.None);
        await processing;
        source.Dispose();
        session.Dispose();
    }

    private double Peak(string name) => peaks.TryGetValue(name, out var v) ? v : double.NaN;

    private void OnEvent(TraceEvent e)
    {
        if (e.EventName != "EventCounters" || e.PayloadValue(0) is not IDictionary<string, object> outer || outer["Payload"] is not IDictionary<string, object> counter)
        {
            return;
        }
        var name = (string)counter["Name"];
        var value = Convert.ToDouble(counter.TryGetValue("Mean", out var mean) ? mean : counter["Increment"], System.Globalization.CultureInfo.InvariantCulture);
        lock (peaks)
        {
            peaks[name] = peaks.TryGetValue(name, out var old) ? Math.Max(old, value) : value;
        }
    }
}
