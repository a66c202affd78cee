using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace Agents.Benchmarks.Streaming;

/// <summary>A process as /proc shows it: resident memory, threads, open descriptors, CPU time used so far.</summary>
public sealed record ProcessSample(long RssBytes, int Threads, int OpenFiles, double CpuSeconds);

/// <summary>The managed heap right after a full blocking GC: what is really alive.</summary>
public sealed record GcHeapSample(long LiveBytes, long Gen2Bytes, long LargeObjectBytes);

/// <summary>Reads a process's memory and CPU from /proc (Linux), and its GC heap over the runtime's diagnostics port.</summary>
public static class HostMemory
{
    public static ProcessSample Read(int pid)
    {
        long rss = 0;
        var threads = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = 1024 * long.Parse(line["VmRSS:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
        }
        return new ProcessSample(rss, threads, Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length, CpuSeconds(pid));
    }

    /// <summary>User + system CPU seconds of the process so far.</summary>
    public static double CpuSeconds(int pid) => ProcessCpu.Seconds(pid);

    /// <summary>CPU seconds of a process and all its descendants (the local stack's node children).</summary>
    public static double TreeCpuSeconds(int pid) => ProcessCpu.TreeSeconds(pid);

    /// <summary>
    /// Has the host's runtime perform a full blocking GC (an EventPipe session with the GCHeapCollect keyword, as
    /// dotnet-gcdump does) and returns the heap sizes reported after it; null if the process has no diagnostics port.
    /// </summary>
    public static async Task<GcHeapSample?> CollectAsync(int pid, TimeSpan timeout)
    {
        var client = new DiagnosticsClient(pid);
        var keywords = (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.GCHeapCollect);
        EventPipeSession session;
        try
        {
            session = await client.StartEventPipeSessionAsync(
                [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, keywords)], requestRundown: false, circularBufferMB: 64, CancellationToken.None);
        }
        catch (ServerNotAvailableException)
        {
            return null;
        }
        using (session)
        {
            using var source = new EventPipeEventSource(session.EventStream);
            var result = new TaskCompletionSource<GcHeapSample>(TaskCreationOptions.RunContinuationsAsynchronously);
            var induced = false;
            source.Clr.GCStart += e => induced |= e.Reason == GCReason.Induced;
            source.Clr.GCHeapStats += e =>
            {
                if (induced)
                {
                    result.TrySetResult(new GcHeapSample(e.TotalHeapSize, e.GenerationSize2, e.GenerationSize3));
                }
            };
            var processing = Task.Run(source.Process);
            await Task.WhenAny(result.Task, Task.Delay(timeout));
            await session.StopAsync(CancellationToken.None);
            await processing;
            return result.Task.IsCompletedSuccessfully ? result.Task.Result : null;
        }
    }
}
