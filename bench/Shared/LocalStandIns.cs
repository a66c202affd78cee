using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Agents.Benchmarks.Support;

/// <summary>
/// The local stand-ins a benchmark runs against: the local stack (local/stack.mjs: Azurite, the Cosmos DB emulator,
/// the OIDC provider) and the model simulator (the Release build of src/ModelSimulator), each either given (a running
/// stack's env file, a simulator's /v1/ address) or started here on free loopback ports and stopped on dispose.
/// The Functions hosts come on top (<see cref="FunctionsHost"/>), each with a private Azurite of its own.
/// </summary>
public sealed class LocalStandIns : IAsyncDisposable
{
    private readonly List<ChildProcess> started = [];

    private LocalStandIns(string repo, string workDirectory)
    {
        Repo = repo;
        WorkDirectory = workDirectory;
    }

    public string Repo { get; }

    /// <summary>Logs and data of the processes started here (and of the hosts, by convention).</summary>
    public string WorkDirectory { get; }

    /// <summary>The stack's env file as keys and values (AGENTS_COSMOS_ENDPOINT, AGENTS_OIDC_ISSUER, ...).</summary>
    public IReadOnlyDictionary<string, string> Env { get; private set; } = new Dictionary<string, string>();

    public string Issuer => Env["AGENTS_OIDC_ISSUER"];

    public Uri ModelEndpoint { get; private set; } = null!;

    /// <summary>The process id of the stack's node script (its children are Azurite, Cosmos DB and OIDC), when started here.</summary>
    public int? StackPid { get; private set; }

    /// <summary>
    /// Takes or starts the stack (<c>stackEnv</c>: a running stack's env file, or null to start one) and the model
    /// simulator (<c>modelEndpoint</c>: a running one, http://127.0.0.1:PORT/v1/, or null to start one).
    /// </summary>
    public static async Task<LocalStandIns> StartAsync(string repo, string workDirectory, string? stackEnv, Uri? modelEndpoint, CancellationToken ct)
    {
        var stack = new LocalStandIns(repo, workDirectory);
        try
        {
            await stack.StartStackAsync(stackEnv, ct);
            await stack.StartSimulatorAsync(modelEndpoint, ct);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    /// <summary>An access token for a local user, from the real authorization code + PKCE flow (local/dev-token.mjs).</summary>
    public async Task<string> TokenAsync(string user, CancellationToken ct)
    {
        var info = new ProcessStartInfo("node", [Path.Combine(Repo, "local", "dev-token.mjs"), user, "--issuer", Issuer])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repo,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var errors = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return process.ExitCode == 0
            ? (await output).Trim()
            : throw new InvalidOperationException($"dev-token.mjs failed ({process.ExitCode}): {await errors}");
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = started.Count - 1; i >= 0; i--)
        {
            await started[i].DisposeAsync();
        }
        started.Clear();
    }

    private async Task StartStackAsync(string? stackEnv, CancellationToken ct)
    {
        var envFile = stackEnv ?? Path.Combine(WorkDirectory, "stack.env");
        if (stackEnv is null)
        {
            var stack = ChildProcess.Start("stack", "node",
                [Path.Combine(Repo, "local", "stack.mjs"), "--ports", "free", "--data-dir", Path.Combine(WorkDirectory, "stack"), "--env-out", envFile, "--exit-with-stdin"],
                Repo, WorkDirectory, grace: TimeSpan.FromSeconds(10));
            started.Add(stack);
            StackPid = stack.Id;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (!File.Exists(envFile))
            {
                if (stack.HasExited || DateTime.UtcNow > deadline)
                {
                    throw new InvalidOperationException($"the local stack did not start:\n{stack.Tail()}");
                }
                await Task.Delay(200, ct);
            }
        }
        Env = (await File.ReadAllLinesAsync(envFile, ct))
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
    }

    private async Task StartSimulatorAsync(Uri? given, CancellationToken ct)
    {
        if (given is not null)
        {
            ModelEndpoint = given;
            return;
        }
        var dll = Local.Built(Repo, "ModelSimulator", "Agents.ModelSimulator.dll");
        var address = $"http://127.0.0.1:{Local.FreePort()}";
        var simulator = ChildProcess.Start("simulator", "dotnet", [dll, "--urls", address], Path.GetDirectoryName(dll)!, WorkDirectory);
        started.Add(simulator);
        ModelEndpoint = new Uri($"{address}/v1/");
        await Local.WaitReadyAsync(simulator, new Uri($"{address}/health"), TimeSpan.FromSeconds(60), ct);
    }
}

/// <summary>Small helpers of the benchmarks' local setups.</summary>
public static class Local
{
    /// <summary>The repository around the current directory or this program (the folder holding Agents.sln).</summary>
    public static string FindRepository()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Agents.sln")))
                {
                    return dir.FullName;
                }
            }
        }
        throw new InvalidOperationException("Agents.sln not found above the current directory: pass --repo");
    }

    /// <summary>A file of a project's build output (Release unless said otherwise), or a message saying how to build it.</summary>
    public static string Built(string repo, string project, string file, string configuration = "Release")
    {
        var path = Path.Combine(repo, "src", project, "bin", configuration, "net10.0", file);
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} is missing: build it first (dotnet build src/{project} -c {configuration}), or run ./dev bench");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until <paramref name="url"/> answers as <paramref name="ready"/> says (default: 200), or the process exits.</summary>
    public static async Task WaitReadyAsync(ChildProcess process, Uri url, TimeSpan timeout, CancellationToken ct, Func<HttpResponseMessage, bool>? ready = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the {process.Name} exited:\n{process.Tail()}");
            }
            try
            {
                using var response = await http.GetAsync(url, ct);
                if (ready?.Invoke(response) ?? response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
            {
            }
            await Task.Delay(200, ct);
        }
        throw new TimeoutException($"the {process.Name} was not ready within {timeout.TotalSeconds} s ({url}):\n{process.Tail()}");
    }
}

/// <summary>A user's access token, fetched again before it expires (tokens of the local provider live ten minutes).</summary>
public sealed class TokenCache(Func<CancellationToken, Task<string>> fetch) : IDisposable
{
    private static readonly TimeSpan Reuse = TimeSpan.FromMinutes(5);
    private readonly SemaphoreSlim gate = new(1);
    private string? token;
    private DateTime fetchedAt;

    public async Task<string> GetAsync(CancellationToken ct)
    {
        if (token is not null && DateTime.UtcNow - fetchedAt < Reuse)
        {
            return token;
        }
        await gate.WaitAsync(ct);
        try
        {
            if (token is null || DateTime.UtcNow - fetchedAt >= Reuse)
            {
                token = await fetch(ct);
                fetchedAt = DateTime.UtcNow;
            }
            return token;
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose() => gate.Dispose();
}
