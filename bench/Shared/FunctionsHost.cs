using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Agents.Benchmarks.Support;

/// <summary>What a <see cref="FunctionsHost"/> runs against and with.</summary>
public sealed record FunctionsHostOptions
{
    public required string Repo { get; init; }

    /// <summary>The host's logs, secrets and storage data go to a folder <see cref="Name"/> under this one.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>Names its processes, logs and Durable worker identity ("host", "defaults", ...): letters, digits and '-'.</summary>
    public string Name { get; init; } = "host";

    /// <summary>The local stack's env file (Cosmos DB emulator and OIDC provider addresses).</summary>
    public required IReadOnlyDictionary<string, string> Stack { get; init; }

    public required Uri ModelEndpoint { get; init; }

    /// <summary>App settings over the required ones (<see cref="FunctionsHost.RequiredSettings"/>), e.g. host.json overrides.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>Which build of src/Functions (bin/&lt;Configuration&gt;/net10.0) runs.</summary>
    public string Configuration { get; init; } = "Release";

    /// <summary>
    /// Another host whose storage account, task hub and database this one shares, as a second instance of the same
    /// app (it starts no Azurite of its own). Null: a private Azurite, task hub and database.
    /// </summary>
    public FunctionsHost? Beside { get; init; }

    /// <summary>The port the host is given for each of its Azurite's services (blob, queue, table): a fault proxy's in front of it, say.</summary>
    public Func<int, int>? RouteStorage { get; init; }
}

/// <summary>
/// The product as it runs locally: the Functions app (src/Functions' build output) on the Azure Functions host built
/// from source (../shared/functions-host/func-host, or AGENTS_FUNCTIONS_HOST_DIR / AGENTS_FUNCTIONS_HOST), on a free
/// loopback port, with a private Azurite (local/azurite.mjs on free ports, data under the host's folder) as its
/// storage account: AzureWebJobsStorage, the Durable task hub and the app's queues. Its queue triggers bind fixed queue
/// names, so it must not share an account with anything else but another instance of the same app
/// (<see cref="FunctionsHostOptions.Beside"/>). The app gets only the settings it needs (those of the
/// integration tests' HostProcess, without their speed-ups for tests), so the figures are those of host.json and the
/// app's defaults unless <see cref="FunctionsHostOptions.Settings"/> says otherwise.
/// func-host execs the host, which starts the app's worker (dotnet Agents.Functions.dll) as its child process: HTTP
/// requests reach the host and are forwarded to the worker, where the app's code runs.
/// </summary>
public sealed class FunctionsHost : IAsyncDisposable
{
    public const string AccountName = "devstoreaccount1";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private const string StampName = "agentsbench";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(180);

    private readonly List<ChildProcess> processes = [];
    private readonly List<string> logPaths = [];
    private ChildProcess host = null!;
    private Dictionary<string, string?> environment = [];
    private string[] arguments = [];

    private FunctionsHost(FunctionsHostOptions options, string directory)
    {
        Options = options;
        Directory = directory;
    }

    public FunctionsHostOptions Options { get; }

    public string Name => Options.Name;

    /// <summary>The host's folder: logs (host, worker and Azurite output), secrets, storage data.</summary>
    public string Directory { get; }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The Functions host's process (func-host execs it, so this is the launcher's id too).</summary>
    public int HostPid => host.Id;

    public bool HasExited => host.HasExited;

    /// <summary>The console output of the host, with the worker's logs in it.</summary>
    public string LogPath => host.LogPath;

    /// <summary>From starting func-host until /admin/host/ping and /api/health/ready both answered 200.</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>The storage account's connection string (AzureWebJobsStorage).</summary>
    public string Storage => AppSettings["AzureWebJobsStorage"];

    /// <summary>Every app setting given to the host beyond what func-host itself sets.</summary>
    public IReadOnlyDictionary<string, string> AppSettings { get; private set; } = new Dictionary<string, string>();

    /// <summary>The folder holding func-host: AGENTS_FUNCTIONS_HOST_DIR, AGENTS_FUNCTIONS_HOST, else ../shared/functions-host beside the repository.</summary>
    public static string LauncherDirectory(string repo)
    {
        var configured = Environment.GetEnvironmentVariable("AGENTS_FUNCTIONS_HOST_DIR") is { Length: > 0 } a ? a
            : Environment.GetEnvironmentVariable("AGENTS_FUNCTIONS_HOST") is { Length: > 0 } b ? b
            : Path.Combine(repo, "..", "shared", "functions-host");
        var dir = Path.GetFullPath(configured);
        return File.Exists(Path.Combine(dir, "func-host"))
            ? dir
            : throw new InvalidOperationException($"No func-host in {dir}: set AGENTS_FUNCTIONS_HOST_DIR to the folder of the Azure Functions host (see ../shared/functions-host/README.md).");
    }

    /// <summary>The Functions app's build output, checked for what the host needs.</summary>
    public static string AppDirectory(string repo, string configuration)
    {
        var dir = Path.Combine(repo, "src", "Functions", "bin", configuration, "net10.0");
        return File.Exists(Path.Combine(dir, "Agents.Functions.dll")) && File.Exists(Path.Combine(dir, "host.json")) && File.Exists(Path.Combine(dir, "functions.metadata"))
            ? dir
            : throw new InvalidOperationException($"The Functions app is not built in {dir}: run `dotnet build src/Functions -c {configuration}` (or ./dev bench).");
    }

    /// <summary>
    /// What the app needs to run against the stack: storage, task hub, Cosmos DB database, model, identity provider,
    /// the sweep's schedule (a timer trigger's required setting), and a Durable worker identity of its own.
    /// </summary>
    public static Dictionary<string, string> RequiredSettings(FunctionsHostOptions options, string storage, string hubName, string database) => new(StringComparer.Ordinal)
    {
        ["AzureWebJobsStorage"] = storage,
        ["DurableTask__HubName"] = hubName,
        // The Durable extension names its worker "<WEBSITE_CURRENT_STAMPNAME>:<RoleInstanceId>" when both are set (else
        // the machine name, which two hosts on one task hub would share).
        ["WEBSITE_CURRENT_STAMPNAME"] = StampName,
        ["RoleInstanceId"] = options.Name,
        ["Cosmos__Endpoint"] = options.Stack["AGENTS_COSMOS_ENDPOINT"],
        ["Cosmos__Key"] = options.Stack["AGENTS_COSMOS_KEY"],
        ["Cosmos__Emulator"] = "true",
        ["Cosmos__CreateIfNotExists"] = "true",
        ["Cosmos__Database"] = database,
        ["Model__Endpoint"] = options.ModelEndpoint.ToString(),
        ["Model__ApiKey"] = "sim",
        ["Model__Deployment"] = "sim-small",
        ["Identity__Providers__0__Name"] = "local",
        ["Identity__Providers__0__Kind"] = "Oidc",
        ["Identity__Providers__0__Issuer"] = options.Stack["AGENTS_OIDC_ISSUER"],
        ["Identity__Providers__0__Audiences__0"] = "api://agents",
        ["Identity__Providers__0__RequiredScope"] = "Agents.Access",
        ["Identity__Providers__0__RequireHttpsMetadata"] = "false",
        ["Runs__SweepSchedule"] = "0 */5 * * * *",
    };

    /// <summary>Settings that take the rate limits and token budgets of every built-in tier out of the way.</summary>
    public static IReadOnlyDictionary<string, string> NoLimits { get; } = new[] { "free", "standard", "admin" }
        .SelectMany(tier => new[]
        {
            ($"Limits__Tiers__{tier}__CostlyRequestsPerMinute", "100000000"),
            ($"Limits__Tiers__{tier}__RequestsPerMinute", "100000000"),
            ($"Limits__Tiers__{tier}__TokensPerDay", "1000000000000"),
            ($"Limits__Tiers__{tier}__TokensPerMonth", "1000000000000"),
        })
        .ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal);

    /// <summary>Starts a private Azurite (unless it shares another host's) and the host, and waits until the host and the app's readiness check answer.</summary>
    public static async Task<FunctionsHost> StartAsync(FunctionsHostOptions options, CancellationToken ct)
    {
        var launcher = Path.Combine(LauncherDirectory(options.Repo), "func-host");
        var app = AppDirectory(options.Repo, options.Configuration);
        var directory = Path.Combine(options.WorkDirectory, options.Name);
        System.IO.Directory.CreateDirectory(directory);
        var result = new FunctionsHost(options, directory);
        try
        {
            var id = Guid.NewGuid().ToString("N")[..10];
            var storage = options.Beside?.Storage ?? await result.StartAzuriteAsync(ct);
            var settings = options.Beside is { } first
                ? RequiredSettings(options, storage, first.AppSettings["DurableTask__HubName"], first.AppSettings["Cosmos__Database"])
                : RequiredSettings(options, storage, $"bench{id}", $"bench-{id}");
            foreach (var (key, value) in options.Settings)
            {
                settings[key] = value;
            }
            result.AppSettings = settings;
            result.environment = settings.ToDictionary(p => p.Key, p => (string?)p.Value, StringComparer.Ordinal);
            result.environment["CONTAINER_NAME"] = null; // func-host removes it too: the host must not believe it runs in a Consumption container
            result.environment["WEBSITE_HOSTNAME"] = null; // func-host sets it to the host's address
            result.environment["WEBSITE_INSTANCE_ID"] = null;
            result.arguments =
            [
                "--app", app,
                "--port", Local.FreePort().ToString(CultureInfo.InvariantCulture),
                "--storage", storage,
                "--secrets", Path.Combine(directory, "secrets"),
                "--logs", Path.Combine(directory, "logs"),
            ];
            for (var attempt = 1; ; attempt++)
            {
                result.BaseAddress = new Uri($"http://127.0.0.1:{result.arguments[3]}/");
                try
                {
                    await result.LaunchAsync(launcher, ct);
                    return result;
                }
                catch (InvalidOperationException) when (attempt < 3 && result.host.Tail(200).Contains("address already in use", StringComparison.Ordinal))
                {
                    // The free port was taken before the host bound it (an outgoing connection may take one): another.
                    await result.host.DisposeAsync();
                    result.processes.Remove(result.host);
                    result.arguments[3] = Local.FreePort().ToString(CultureInfo.InvariantCulture);
                }
            }
        }
        catch
        {
            await result.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A crash and a restart: SIGKILL to the host and its worker (no shutdown, nothing flushed), then the host started
    /// again on the same port, storage, task hub and database, with the same Durable worker identity, as an instance
    /// that restarts after a crash comes back. Returns when the new host is ready.
    /// </summary>
    public async Task CrashAndRestartAsync(CancellationToken ct)
    {
        await host.KillAsync();
        processes.Remove(host);
        await LaunchAsync(Path.Combine(LauncherDirectory(Options.Repo), "func-host"), ct);
    }

    /// <summary>A crash without a restart: SIGKILL to the host and its worker, as an instance that is gone.</summary>
    public async Task KillAsync()
    {
        await host.KillAsync();
        processes.Remove(host);
    }

    /// <summary>The console logs of every host process started so far (one per start), oldest first.</summary>
    public IReadOnlyList<string> LogPaths => logPaths;

    private async Task LaunchAsync(string launcher, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var name = logPaths.Count == 0 ? $"{Options.Name}-functions-host" : $"{Options.Name}-functions-host-{logPaths.Count}";
        host = ChildProcess.Start(name, launcher, arguments, arguments[1], Directory, environment, grace: TimeSpan.FromSeconds(1));
        processes.Add(host);
        logPaths.Add(host.LogPath);
        await Local.WaitReadyAsync(host, new Uri(BaseAddress, "admin/host/ping"), ReadyTimeout, ct);
        await Local.WaitReadyAsync(host, new Uri(BaseAddress, "api/health/ready"), ReadyTimeout - clock.Elapsed, ct);
        StartupTime = clock.Elapsed;
    }

    /// <summary>The app's worker process (dotnet Agents.Functions.dll, a child of the host), or null if it is not running.</summary>
    public int? WorkerPid() => FindWorker(HostPid);

    /// <summary>The Agents.Functions.dll child process of a Functions host, or null.</summary>
    public static int? FindWorker(int hostPid)
    {
        foreach (var dir in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                if (parent == hostPid && File.ReadAllText(Path.Combine(dir, "cmdline")).Contains("Agents.Functions.dll", StringComparison.Ordinal))
                {
                    return pid;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // gone meanwhile
            }
        }
        return null;
    }

    /// <summary>CPU seconds used so far by everything of this host: the host, its worker and its Azurite.</summary>
    public double CpuSeconds() => processes.Sum(p => p.HasExited ? 0 : ProcessCpu.TreeSeconds(p.Id));

    /// <summary>The host's master key (created by the host at start in --secrets/host.json).</summary>
    public async Task<string> MasterKeyAsync(CancellationToken ct)
    {
        var file = Path.Combine(Directory, "secrets", "host.json");
        for (var i = 0; !File.Exists(file) && i < 50; i++)
        {
            // A request that needs a key makes the host create its keys.
            using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            using var _ = await http.GetAsync(new Uri("admin/host/status", UriKind.Relative), ct);
            await Task.Delay(200, ct);
        }
        var json = JsonNode.Parse(await File.ReadAllTextAsync(file, ct)); // ReadAllText drops the UTF-8 BOM
        return json?["masterKey"]?["value"]?.GetValue<string>() ?? throw new InvalidOperationException($"no masterKey.value in {file}");
    }

    /// <summary>
    /// An orchestration's status with its history, from the Durable extension's HTTP API on the host: ExecutionStarted,
    /// one TaskCompleted per activity (with its ScheduledTime), ExecutionCompleted, each with a Timestamp.
    /// </summary>
    public async Task<JsonNode?> OrchestrationAsync(HttpClient http, string masterKey, string instanceId, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get,
            new Uri(BaseAddress, $"runtime/webhooks/durabletask/instances/{Uri.EscapeDataString(instanceId)}?showHistory=true&showHistoryOutput=false&showInput=false"));
        request.Headers.Add("x-functions-key", masterKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await http.SendAsync(request, ct);
        return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync(ct)) : null;
    }

    /// <summary>The host's console output (with the worker's), to parse after the fact; read while it is still written.</summary>
    public IEnumerable<string> ReadLog()
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }

    public string Tail(int lines = 40) => host?.Tail(lines) ?? "";

    /// <summary>Stops the host (with its worker), then its Azurite.</summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = processes.Count - 1; i >= 0; i--)
        {
            await processes[i].DisposeAsync();
        }
        processes.Clear();
    }

    private async Task<string> StartAzuriteAsync(CancellationToken ct)
    {
        var script = Path.Combine(Options.Repo, "local", "azurite.mjs");
        for (var attempt = 1; ; attempt++)
        {
            var ports = new HashSet<int>();
            while (ports.Count < 3)
            {
                ports.Add(Local.FreePort());
            }
            var (blob, queue, table) = (ports.ElementAt(0), ports.ElementAt(1), ports.ElementAt(2));
            var azurite = ChildProcess.Start($"{Options.Name}-azurite", "node",
                [script, "--blob-port", Text(blob), "--queue-port", Text(queue), "--table-port", Text(table), "--data-dir", Path.Combine(Directory, "storage")],
                Options.Repo, Directory, new Dictionary<string, string?> { ["AGENTS_AZURITE_ACCESS_LOG"] = null });
            try
            {
                // Each service answers an unsigned request with an error of its own, carrying its Server header.
                foreach (var (port, service) in new[] { (blob, "Blob"), (queue, "Queue"), (table, "Table") })
                {
                    await Local.WaitReadyAsync(azurite, new Uri($"http://127.0.0.1:{port}/{AccountName}?comp=list"), TimeSpan.FromSeconds(60), ct,
                        r => r.Headers.Server.ToString().StartsWith($"Azurite-{service}/", StringComparison.Ordinal));
                }
                processes.Add(azurite);
                int Route(int port) => Options.RouteStorage?.Invoke(port) ?? port;
                return $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{Route(blob)}/{AccountName};" +
                    $"QueueEndpoint=http://127.0.0.1:{Route(queue)}/{AccountName};TableEndpoint=http://127.0.0.1:{Route(table)}/{AccountName};";
            }
            catch (InvalidOperationException) when (attempt < 3 && azurite.Tail(200).Contains("EADDRINUSE", StringComparison.Ordinal))
            {
                await azurite.DisposeAsync(); // a free port was taken in between: try others
            }
            catch
            {
                await azurite.DisposeAsync();
                throw;
            }
        }
    }

    private static string Text(int n) => n.ToString(CultureInfo.InvariantCulture);
}
