using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Agents.Benchmarks.Streaming;

/// <summary>
/// What the benchmark runs against: the local stack (Azurite, the Cosmos DB emulator, the OIDC provider), the model
/// simulator and the portable host, each either given on the command line or started here on a free loopback port
/// (and stopped again on dispose). The host gets only the settings it needs (as the integration tests' HostProcess
/// gives it) and otherwise its defaults, so the figures are those of a default configuration.
/// </summary>
public sealed class LocalSetup : IAsyncDisposable
{
    private readonly List<ChildProcess> started = [];

    private LocalSetup(string repo, string workDirectory)
    {
        Repo = repo;
        WorkDirectory = workDirectory;
    }

    public string Repo { get; }

    /// <summary>Logs and data of the processes started here; deleted on dispose unless <see cref="KeepWorkDirectory"/>.</summary>
    public string WorkDirectory { get; }

    /// <summary>Set when something failed, so the logs stay for a look (the benchmark prints where).</summary>
    public bool KeepWorkDirectory { get; set; } = true;

    public IReadOnlyDictionary<string, string> Stack { get; private set; } = new Dictionary<string, string>();

    public string Issuer => Stack["AGENTS_OIDC_ISSUER"];

    public Uri ModelEndpoint { get; private set; } = null!;

    public Uri HostAddress { get; private set; } = null!;

    /// <summary>The host's process id, when known (needed for the memory figures).</summary>
    public int? HostPid { get; private set; }

    /// <summary>The settings the host was started with beyond the required ones (empty: all defaults).</summary>
    public IReadOnlyDictionary<string, string> HostExtraSettings { get; private set; } = new Dictionary<string, string>();

    /// <summary>The process ids of the local stack (the node script and its children), for CPU figures.</summary>
    public int? StackPid { get; private set; }

    public static async Task<LocalSetup> StartAsync(BenchOptions options, string repo, CancellationToken ct)
    {
        var work = Directory.CreateTempSubdirectory("agents-bench-").FullName;
        var setup = new LocalSetup(repo, work);
        try
        {
            await setup.StartStackAsync(options, ct);
            await setup.StartSimulatorAsync(options, ct);
            await setup.StartHostAsync(options, ct);
            return setup;
        }
        catch
        {
            await setup.DisposeAsync();
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
        // The host first (it talks to the others), the stack last.
        for (var i = started.Count - 1; i >= 0; i--)
        {
            await started[i].DisposeAsync();
        }
        started.Clear();
        if (!KeepWorkDirectory)
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
    }

    private async Task StartStackAsync(BenchOptions options, CancellationToken ct)
    {
        var envFile = options.StackEnv ?? Path.Combine(WorkDirectory, "stack.env");
        if (options.StackEnv is null)
        {
            var stack = Start("stack", "node",
                [Path.Combine(Repo, "local", "stack.mjs"), "--ports", "free", "--data-dir", Path.Combine(WorkDirectory, "stack"), "--env-out", envFile, "--exit-with-stdin"],
                Repo);
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
        Stack = (await File.ReadAllLinesAsync(envFile, ct))
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
    }

    private async Task StartSimulatorAsync(BenchOptions options, CancellationToken ct)
    {
        if (options.ModelEndpoint is { } given)
        {
            ModelEndpoint = given;
            return;
        }
        var dll = Built("ModelSimulator", "Agents.ModelSimulator.dll");
        var address = $"http://127.0.0.1:{FreePort()}";
        var simulator = Start("simulator", "dotnet", [dll, "--urls", address], Path.GetDirectoryName(dll)!);
        ModelEndpoint = new Uri($"{address}/v1/");
        await WaitReadyAsync(simulator, new Uri($"{address}/health"), TimeSpan.FromSeconds(60), ct);
    }

    private async Task StartHostAsync(BenchOptions options, CancellationToken ct)
    {
        if (options.HostUrl is { } given)
        {
            HostAddress = given;
            HostPid = options.HostPid;
            return;
        }
        var dll = Built("Host", "Agents.Host.dll");
        var address = $"http://127.0.0.1:{FreePort()}";
        var id = Guid.NewGuid().ToString("N")[..10];
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Cosmos__Endpoint"] = Stack["AGENTS_COSMOS_ENDPOINT"],
            ["Cosmos__Key"] = Stack["AGENTS_COSMOS_KEY"],
            ["Cosmos__Emulator"] = "true",
            ["Cosmos__CreateIfNotExists"] = "true",
            ["Cosmos__Database"] = $"bench-{id}",
            ["Storage__ConnectionString"] = Stack["AGENTS_STORAGE_CONNECTION"],
            ["Storage__QueuePrefix"] = $"b{id}-",
            ["Model__Endpoint"] = ModelEndpoint.ToString(),
            ["Model__ApiKey"] = "sim",
            ["Model__Deployment"] = "sim-small",
            ["Identity__Providers__0__Name"] = "local",
            ["Identity__Providers__0__Kind"] = "Oidc",
            ["Identity__Providers__0__Issuer"] = Issuer,
            ["Identity__Providers__0__Audiences__0"] = "api://agents",
            ["Identity__Providers__0__RequiredScope"] = "Agents.Access",
            ["Identity__Providers__0__RequireHttpsMetadata"] = "false",
        };
        foreach (var (key, value) in options.HostEnv)
        {
            env[key] = value;
        }
        HostExtraSettings = options.HostEnv;
        var host = Start("host", "dotnet", [dll, "--urls", address], Path.Combine(Repo, "src", "Host"), env);
        HostAddress = new Uri(address);
        HostPid = host.Id;
        await WaitReadyAsync(host, new Uri($"{address}/api/health/ready"), TimeSpan.FromSeconds(120), ct);
    }

    private string Built(string project, string file)
    {
        var path = Path.Combine(Repo, "src", project, "bin", "Release", "net10.0", file);
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} is missing: build it first (dotnet build src/{project} -c Release), or run ./dev bench");
    }

    private ChildProcess Start(string name, string file, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string>? env = null)
    {
        var process = ChildProcess.Start(name, file, args, workingDirectory, WorkDirectory, env);
        started.Add(process);
        return process;
    }

    private static async Task WaitReadyAsync(ChildProcess process, Uri url, TimeSpan timeout, CancellationToken ct)
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
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
            {
            }
            await Task.Delay(200, ct);
        }
        throw new TimeoutException($"the {process.Name} was not ready within {timeout.TotalSeconds} s:\n{process.Tail()}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
