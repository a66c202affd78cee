using System.Diagnostics;

namespace Agents.Benchmarks.Support;

/// <summary>
/// A process a benchmark started: its output goes to a log file, and <see cref="DisposeAsync"/> stops it (closing
/// its standard input first, which the local stack takes as a request to stop its children cleanly), with all its
/// descendants (the Functions host's worker).
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StreamWriter log;
    private readonly TimeSpan grace;
    private bool closed;

    private ChildProcess(string name, Process process, StreamWriter log, string logPath, TimeSpan grace)
    {
        Name = name;
        this.process = process;
        this.log = log;
        this.grace = grace;
        LogPath = logPath;
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    public string LogPath { get; }

    /// <summary>
    /// Starts <c>file args</c> with its output in <c>logDirectory/name.log</c>. <c>environment</c>: variables to set (a
    /// null value removes one inherited from this process); <c>grace</c>: how long it may take to stop by itself once its
    /// standard input is closed (default 0.5 s), before it is killed with its descendants.
    /// </summary>
    public static ChildProcess Start(string name, string file, IEnumerable<string> args, string workingDirectory, string logDirectory,
        IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? grace = null)
    {
        var info = new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }
        var logPath = Path.Combine(logDirectory, name + ".log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        try
        {
            var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
            return new ChildProcess(name, process, log, logPath, grace ?? TimeSpan.FromSeconds(0.5));
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>The last lines of its log, for an error message.</summary>
    public string Tail(int lines = 30)
    {
        lock (log)
        {
            if (!closed)
            {
                log.Flush();
            }
        }
        using var reader = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var text = new StreamReader(reader);
        return string.Join('\n', text.ReadToEnd().Split('\n').TakeLast(lines));
    }

    /// <summary>SIGKILL to it and its descendants, as in a crash; returns when it is gone.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.StandardInput.Close();
            using var wait = new CancellationTokenSource(grace);
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
        process.Dispose();
        lock (log)
        {
            closed = true;
            log.Dispose();
        }
    }

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            if (!closed)
            {
                log.WriteLine(line);
            }
        }
    }
}
