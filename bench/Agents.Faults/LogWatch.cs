using System.Diagnostics;
using System.Text;

namespace Agents.Faults;

/// <summary>
/// Follows a host's console log (the worker's logs are in it) while it is written and keeps the lines a scenario cares
/// about, each with the time it was read on the scenario's clock: when the app logged something is known during the
/// scenario, not only from the whole log at its end.
/// </summary>
public sealed class LogWatch : IAsyncDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly List<(TimeSpan At, string Line)> lines = [];
    private readonly CancellationTokenSource stop = new();
    private readonly Task reading;

    private LogWatch(string path, Func<string, bool> keep, Stopwatch clock) => reading = ReadAsync(path, keep, clock, stop.Token);

    /// <summary>Starts following <paramref name="path"/> from its beginning, keeping the lines <paramref name="keep"/> accepts.</summary>
    public static LogWatch Start(string path, Func<string, bool> keep, Stopwatch clock) => new(path, keep, clock);

    /// <summary>The lines kept so far, oldest first.</summary>
    public IReadOnlyList<(TimeSpan At, string Line)> Lines
    {
        get
        {
            lock (lines)
            {
                return [.. lines];
            }
        }
    }

    /// <summary>When the first kept line that <paramref name="match"/> accepts was read at or after <paramref name="since"/>; waits for it.</summary>
    public async Task<TimeSpan> WaitForAsync(Func<string, bool> match, TimeSpan since, CancellationToken ct)
    {
        while (true)
        {
            if (Lines.FirstOrDefault(l => l.At >= since && match(l.Line)) is { Line: not null } found)
            {
                return found.At;
            }
            await Task.Delay(PollInterval, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await reading;
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
        stop.Dispose();
    }

    /// <summary>Reads what was appended since the last read; at the end of the file, looks again shortly (a log has no other signal).</summary>
    private async Task ReadAsync(string path, Func<string, bool> keep, Stopwatch clock, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var buffer = new char[8192];
        var line = new StringBuilder();
        while (true)
        {
            var read = await reader.ReadAsync(buffer, ct);
            if (read == 0)
            {
                await Task.Delay(PollInterval, ct);
                continue;
            }
            foreach (var c in buffer.AsSpan(0, read))
            {
                if (c != '\n')
                {
                    line.Append(c);
                    continue;
                }
                // Only whole lines: a line still being written is finished by a later read.
                var text = line.ToString();
                line.Clear();
                if (keep(text))
                {
                    lock (lines)
                    {
                        lines.Add((clock.Elapsed, text));
                    }
                }
            }
        }
    }
}
