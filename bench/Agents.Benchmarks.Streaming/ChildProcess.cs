using System.Diagnostics;

namespace Agents.Benchmarks.Streaming;

/// <summary>
/// A process this benchmark started: its output goes to a log file, and <see cref="DisposeAsync"/> stops it (closing
/// its standard input first, which the local stack takes as a request to stop its children cleanly).
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StreamWriter log;
    private bool closed;

    private ChildProcess(string name, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        this.process = process;
        this.log = log;
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

    public static ChildProcess Start(string name, string file, IEnumerable<string> args, string workingDirectory, string logDirectory,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var logPath = Path.Combine(logDirectory, name + ".log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        try
        {
            var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
            return new ChildProcess(name, process, log, logPath);
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

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.StandardInput.Close();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(Name == "stack" ? 10 : 0.5));
            try
            {
                await process.WaitForExitAsync(grace.Token);
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
