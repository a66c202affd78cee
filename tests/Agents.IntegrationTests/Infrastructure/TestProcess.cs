using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace Agents.IntegrationTests.Infrastructure;

/// <summary>
/// A child process of the tests (a Functions host, an Azurite, a web server): stdout and stderr captured, killed with
/// its whole process tree, and never outliving the test run (see <see cref="ProcessJanitor"/>).
/// </summary>
public sealed class TestProcess : IAsyncDisposable
{
    private const int MaxOutputChars = 4_000_000;

    private readonly Process process;
    private readonly StringBuilder output = new();
    private int disposed;

    private TestProcess(string name, Process process)
    {
        Name = name;
        this.process = process;
        Id = process.Id;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Id { get; }

    public bool HasExited => process.HasExited;

    public int? ExitCode => process.HasExited ? process.ExitCode : null;

    /// <summary>What the process wrote so far (stdout and stderr interleaved; the oldest part is dropped beyond 4 M chars).</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> in a session of its own (setsid, where there is one), so that the janitor can
    /// kill it together with its children even after the test process died.
    /// </summary>
    public static TestProcess Start(string name, string fileName, IEnumerable<string> arguments, Action<IDictionary<string, string?>>? environment = null, string? workingDirectory = null)
    {
        var setsid = ProcessJanitor.Setsid;
        var info = new ProcessStartInfo(setsid ?? fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? StackEnvironment.RepositoryRoot,
        };
        if (setsid is not null)
        {
            info.ArgumentList.Add(fileName);
        }
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        environment?.Invoke(info.Environment);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{name}: {fileName} did not start");
        ProcessJanitor.Register(process, grouped: setsid is not null);
        return new TestProcess(name, process);
    }

    /// <summary>SIGKILL to the process and all its descendants (no shutdown, no flushing, as in a crash); waits until it is gone.</summary>
    public void Kill()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        ProcessJanitor.KillGroup(Id);
    }

    /// <summary>SIGTERM (a graceful stop: the host drains and releases what it holds), then SIGKILL after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!process.HasExited && ProcessJanitor.Terminate(Id))
        {
            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // did not stop in time
            }
        }
        Kill();
    }

    /// <summary>
    /// Polls <paramref name="url"/> until <paramref name="accept"/> holds for its response (default: 200). Throws with the
    /// output when the process exits, when <paramref name="failure"/> finds a reason in the output, or on timeout.
    /// </summary>
    public Task WaitForHttpAsync(Uri url, TimeSpan timeout, Func<HttpResponseMessage, bool>? accept = null, Func<string, string?>? failure = null) =>
        WaitForHttpAsync(url, DateTime.UtcNow + timeout, accept, failure);

    /// <summary>As <see cref="WaitForHttpAsync(Uri, TimeSpan, Func{HttpResponseMessage, bool}?, Func{string, string?}?)"/>, until a deadline (UTC).</summary>
    public async Task WaitForHttpAsync(Uri url, DateTime deadline, Func<HttpResponseMessage, bool>? accept = null, Func<string, string?>? failure = null)
    {
        accept ??= r => r.StatusCode == HttpStatusCode.OK;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var begun = DateTime.UtcNow;
        string? last = null;
        while (true)
        {
            ThrowIfExited();
            if (failure?.Invoke(Output) is { } reason)
            {
                throw new InvalidOperationException($"{Name}: {reason}. Output (the end):\n{OutputTail()}");
            }
            try
            {
                using var response = await http.GetAsync(url);
                if (accept(response))
                {
                    return;
                }
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException)
            {
                last = "no answer within 5 s";
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name}: {url} did not answer as expected within {(DateTime.UtcNow - begun).TotalSeconds:0} s (last: {Truncate(last, 2_000)}). Output (the end):\n{OutputTail()}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Throws with the process's output when it has exited.</summary>
    public void ThrowIfExited()
    {
        if (process.HasExited)
        {
            process.WaitForExit(); // let the output readers finish
            throw new InvalidOperationException($"{Name} exited with {process.ExitCode}. Output (the end):\n{OutputTail()}");
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            Kill();
            ProcessJanitor.Unregister(process);
            process.Dispose();
        }
        return ValueTask.CompletedTask;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (output)
        {
            output.AppendLine(line);
            if (output.Length > MaxOutputChars)
            {
                output.Remove(0, MaxOutputChars / 4);
            }
        }
    }

    /// <summary>The last 30,000 characters of the output, for exception messages (the whole output is in <see cref="Output"/>).</summary>
    public string OutputTail(int chars = 30_000)
    {
        var all = Output;
        return all.Length <= chars ? all : "…" + all[^chars..];
    }

    private static string? Truncate(string? text, int max) => text is { Length: > 0 } && text.Length > max ? text[..max] + "…" : text;
}

/// <summary>
/// Makes sure no process started by the tests outlives them: on a normal exit of the test process (ProcessExit), and,
/// when the test process is killed (a hang timeout, Ctrl+C), through a small watchdog whose stdin is a pipe from this
/// process: when the pipe closes, it kills the process groups it was told about and removes the temp folder.
/// </summary>
public static class ProcessJanitor
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    private static readonly object Gate = new();
    private static readonly object WatchdogGate = new();
    private static readonly HashSet<Process> Live = [];
    private static readonly Lazy<string> Root = new(CreateRoot);
    private static readonly Lazy<Process?> Watchdog = new(StartWatchdog);
    private static int exiting;

    static ProcessJanitor()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    /// <summary>setsid(1) where it exists (Linux): each child then leads a process group of its own.</summary>
    public static string? Setsid { get; } = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : File.Exists("/bin/setsid") ? "/bin/setsid" : null;

    /// <summary>A temp folder of this test run (removed when it ends), for data folders, secrets and logs.</summary>
    public static string TempRoot => Root.Value;

    /// <summary>A new, empty folder under <see cref="TempRoot"/>.</summary>
    public static string NewTempDirectory(string prefix)
    {
        var path = Path.Combine(TempRoot, $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
            // a file still in use: the folder goes with the temp root at the end
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    internal static void Register(Process process, bool grouped)
    {
        lock (Gate)
        {
            Live.Add(process);
            Tell($"{(grouped ? '+' : '=')}{process.Id}");
        }
    }

    internal static void Unregister(Process process)
    {
        lock (Gate)
        {
            if (Live.Remove(process))
            {
                Tell($"-{process.Id}");
            }
        }
    }

    /// <summary>SIGKILL to the process group led by <paramref name="pid"/> (a setsid child and what it started).</summary>
    internal static void KillGroup(int pid)
    {
        if (Setsid is not null && !OperatingSystem.IsWindows())
        {
            _ = SendSignal(-pid, SigKill);
        }
    }

    internal static bool Terminate(int pid) => !OperatingSystem.IsWindows() && SendSignal(pid, SigTerm) == 0;

    private static void KillAll()
    {
        if (Interlocked.Exchange(ref exiting, 1) == 1)
        {
            return;
        }
        Process[] all;
        lock (Gate)
        {
            all = [.. Live];
            Live.Clear();
        }
        foreach (var process in all)
        {
            try
            {
                var id = process.Id;
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
                KillGroup(id);
            }
            catch (InvalidOperationException)
            {
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
        }
        if (Root.IsValueCreated)
        {
            TryDeleteDirectory(Root.Value);
        }
    }

    private static void Tell(string line)
    {
        if (Watchdog.Value is not { HasExited: false } watchdog)
        {
            return;
        }
        lock (WatchdogGate)
        {
            try
            {
                watchdog.StandardInput.WriteLine(line);
                watchdog.StandardInput.Flush();
            }
            catch (IOException)
            {
                // the watchdog is gone; ProcessExit still cleans up
            }
        }
    }

    private static string CreateRoot()
    {
        var path = Path.Combine(Path.GetTempPath(), $"agents-tests-{Environment.ProcessId}");
        Directory.CreateDirectory(path);
        _ = Watchdog.Value;
        Tell($"d{path}");
        return path;
    }

    private static Process? StartWatchdog()
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }
        var info = new ProcessStartInfo(Setsid ?? "node")
        {
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (Setsid is not null)
        {
            info.ArgumentList.Add("node");
        }
        info.ArgumentList.Add("-e");
        info.ArgumentList.Add(WatchdogScript);
        try
        {
            return Process.Start(info);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no node: ProcessExit alone
        }
    }

    // Lines on stdin: +PID (a process group leader), =PID (a single process), -PID (gone), dPATH (a folder to remove).
    // On end of stdin (the test process is gone), SIGKILL to what is left, then remove the folders.
    private const string WatchdogScript = """
        const fs = require('fs');
        const pids = new Map(); const dirs = new Set(); let buffer = '';
        for (const s of ['SIGINT', 'SIGHUP', 'SIGTERM']) process.on(s, () => {});
        process.stdin.setEncoding('utf8');
        process.stdin.on('data', (chunk) => {
          buffer += chunk;
          let i;
          while ((i = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, i).trim(); buffer = buffer.slice(i + 1);
            const rest = line.slice(1);
            if (line[0] === '+' || line[0] === '=') pids.set(Number(rest), line[0] === '+');
            else if (line[0] === '-') pids.delete(Number(rest));
            else if (line[0] === 'd') dirs.add(rest);
          }
        });
        process.stdin.on('end', () => {
          for (const [pid, group] of pids) {
            if (group) { try { process.kill(-pid, 'SIGKILL'); } catch {} }
            try { process.kill(pid, 'SIGKILL'); } catch {}
          }
          setTimeout(() => {
            for (const dir of dirs) { try { fs.rmSync(dir, { recursive: true, force: true }); } catch {} }
            process.exit(0);
          }, 500);
        });
        """;

    private static int SendSignal(int pid, int signal)
    {
        try
        {
            return Kill(pid, signal);
        }
        catch (DllNotFoundException)
        {
            return -1;
        }
        catch (EntryPointNotFoundException)
        {
            return -1;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
