namespace Agents.Benchmarks.Streaming;

/// <summary>
/// What the benchmark runs against: the local stack (Cosmos DB emulator, OIDC provider) and the model simulator
/// (<see cref="LocalStandIns"/>), and the Functions app on func-host with a private Azurite (<see cref="FunctionsHost"/>),
/// each either given on the command line or started here on free loopback ports (and stopped again on dispose). The
/// app gets only the settings it needs, so the figures are those of host.json and the app's defaults.
/// </summary>
public sealed class LocalSetup : IAsyncDisposable
{
    private LocalStandIns? stack;
    private FunctionsHost? host;

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

    public Uri ModelEndpoint => stack!.ModelEndpoint;

    public Uri HostAddress { get; private set; } = null!;

    /// <summary>The Functions host's process id, when known (func-host execs it).</summary>
    public int? HostPid { get; private set; }

    /// <summary>The app's worker (dotnet Agents.Functions.dll, the host's child), where the app's code runs; null when unknown.</summary>
    public int? WorkerPid => HostPid is { } pid ? FunctionsHost.FindWorker(pid) : null;

    /// <summary>How long the host took from start to ready (null for a host that was given).</summary>
    public TimeSpan? HostStartup => host?.StartupTime;

    /// <summary>The settings the host was started with beyond the required ones (empty: all defaults).</summary>
    public IReadOnlyDictionary<string, string> HostExtraSettings { get; private set; } = new Dictionary<string, string>();

    /// <summary>The process id of the local stack (the node script and its children), for CPU figures.</summary>
    public int? StackPid => stack?.StackPid;

    public static async Task<LocalSetup> StartAsync(BenchOptions options, string repo, CancellationToken ct)
    {
        var work = Directory.CreateTempSubdirectory("agents-bench-").FullName;
        var setup = new LocalSetup(repo, work);
        try
        {
            setup.stack = await LocalStandIns.StartAsync(repo, work, options.StackEnv, options.ModelEndpoint, ct);
            if (options.HostUrl is { } given)
            {
                setup.HostAddress = given;
                setup.HostPid = options.HostPid;
            }
            else
            {
                setup.HostExtraSettings = options.HostEnv;
                setup.host = await FunctionsHost.StartAsync(new FunctionsHostOptions
                {
                    Repo = repo,
                    WorkDirectory = work,
                    Stack = setup.stack.Env,
                    ModelEndpoint = setup.stack.ModelEndpoint,
                    Settings = options.HostEnv,
                }, ct);
                setup.HostAddress = setup.host.BaseAddress;
                setup.HostPid = setup.host.HostPid;
            }
            return setup;
        }
        catch
        {
            await setup.DisposeAsync();
            throw;
        }
    }

    public Task<string> TokenAsync(string user, CancellationToken ct) => stack!.TokenAsync(user, ct);

    public async ValueTask DisposeAsync()
    {
        // The host first (it talks to the others), the stack last.
        if (host is not null)
        {
            await host.DisposeAsync();
        }
        if (stack is not null)
        {
            await stack.DisposeAsync();
        }
        if (!KeepWorkDirectory)
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
    }
}
