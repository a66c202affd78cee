using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Agents.IntegrationTests.Infrastructure;

/// <summary>
/// The Functions app (src/Functions' build output) on a real Azure Functions host (../shared/functions-host, or
/// AGENTS_FUNCTIONS_HOST_DIR) on a free port, configured for the test stack: the shared Cosmos DB emulator with a
/// database of its settings, the model simulator, the OIDC provider, and the private storage account of its settings
/// (<see cref="HostSettings.Storage"/>), so that its queue triggers and task hub never see another test class's work.
/// Several hosts started with the same settings share everything, as instances of one app in Azure do.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(300); // a host starts in 5-20 s; far more while other hosts start on 2 cores

    private readonly TestProcess process;
    private readonly StorageLease storage;
    private readonly HostSettings settings;
    private readonly string directory;
    private readonly DateTime started = DateTime.UtcNow;
    private int disposed;

    private HostProcess(TestProcess process, StorageLease storage, HostSettings settings, string directory, Uri baseAddress, string workerId)
    {
        this.process = process;
        this.storage = storage;
        this.settings = settings;
        this.directory = directory;
        BaseAddress = baseAddress;
        WorkerId = workerId;
    }

    public Uri BaseAddress { get; }

    public bool HasExited => process.HasExited;

    /// <summary>The host's console: its own logs and the worker's (they arrive through the host).</summary>
    public string Output => process.Output;

    /// <summary>
    /// For a failure message: the last lines of <see cref="Output"/> that mention <paramref name="id"/> (a run id) or
    /// report a warning or an error, with the line after each (a log line's message).
    /// </summary>
    public string OutputAbout(string id, int maxChars = 15_000)
    {
        var lines = Output.Split('\n');
        var picked = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Contains(id, StringComparison.Ordinal) || line.StartsWith("warn:", StringComparison.Ordinal) || line.StartsWith("fail:", StringComparison.Ordinal)
                || line.Contains("Exception", StringComparison.Ordinal))
            {
                picked.Add(line);
                if (i + 1 < lines.Length)
                {
                    picked.Add(lines[++i]);
                }
            }
        }
        var text = string.Join('\n', picked);
        return $"--- functions host {BaseAddress} ---\n" + (text.Length <= maxChars ? text : "…" + text[^maxChars..]);
    }

    /// <summary>The Durable Task worker identity of this host on its task hub (distinct among the hosts of one storage).</summary>
    public string WorkerId { get; }

    /// <summary>Time from start to ready (both /admin/host/ping and /api/health/ready answering 200).</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>The folder of the Functions host: AGENTS_FUNCTIONS_HOST_DIR, else ../shared/functions-host beside the repository.</summary>
    public static string FunctionsHostDirectory
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("AGENTS_FUNCTIONS_HOST_DIR");
            var dir = Path.GetFullPath(configured is { Length: > 0 } ? configured : Path.Combine(StackEnvironment.RepositoryRoot, "..", "shared", "functions-host"));
            if (!File.Exists(Path.Combine(dir, "func-host")))
            {
                throw new InvalidOperationException(
                    $"The Azure Functions host is not there: no func-host in {dir}. The tests run the Functions app on it; " +
                    "set AGENTS_FUNCTIONS_HOST_DIR to the folder that holds func-host and bin/ (see ../shared/functions-host/README.md).");
            }
            return dir;
        }
    }

    /// <summary>The Functions app's build output for the test assembly's configuration (or AGENTS_TEST_FUNCTIONS_APP).</summary>
    public static string AppDirectory
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name; // bin/<Configuration>/net10.0
            var configured = Environment.GetEnvironmentVariable("AGENTS_TEST_FUNCTIONS_APP");
            var dir = configured is { Length: > 0 } ? Path.GetFullPath(configured) : Path.Combine(StackEnvironment.RepositoryRoot, "src", "Functions", "bin", configuration, "net10.0");
            if (!File.Exists(Path.Combine(dir, "Agents.Functions.dll")) || !File.Exists(Path.Combine(dir, "host.json")) || !File.Exists(Path.Combine(dir, "functions.metadata")))
            {
                throw new InvalidOperationException($"The Functions app is not built: no Agents.Functions.dll, host.json and functions.metadata in {dir}. Run `dotnet build src/Functions -c {configuration}`.");
            }
            return dir;
        }
    }

    /// <summary>
    /// Starts a host and waits until /admin/host/ping and /api/health/ready answer 200 (throws with its output if it does
    /// not). On a port of its choosing, a start that finds the port taken (any process may take a free port, an
    /// outgoing connection's own included, before the host binds it) is tried again on another one.
    /// </summary>
    public static async Task<HostProcess> StartAsync(HostSettings settings, int? port = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var host = await LaunchAsync(settings, port);
            try
            {
                await host.WaitUntilReadyAsync();
                return host;
            }
            catch (Exception) when (port is null && attempt < 3 && host.Output.Contains("address already in use", StringComparison.Ordinal))
            {
                await host.DisposeAsync();
            }
            catch
            {
                await host.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Starts a host and returns at once, without waiting for it to be ready (for tests of a host that must not become ready).</summary>
    public static async Task<HostProcess> LaunchAsync(HostSettings settings, int? port = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var stack = StackEnvironment.Current;
        var launcher = Path.Combine(FunctionsHostDirectory, "func-host");
        var app = AppDirectory;
        var lease = await settings.Storage.AcquireHostAsync();
        string? directory = null;
        try
        {
            var address = new Uri($"http://127.0.0.1:{port ?? FreePort()}");
            directory = ProcessJanitor.NewTempDirectory($"host-{address.Port}");
            // The Durable extension names its worker "<WEBSITE_CURRENT_STAMPNAME>:<RoleInstanceId>" when both are set,
            // else the machine name: two hosts on one machine and one task hub would then both believe they own every
            // partition. A slot is reused by the next host after one stops, so a host restarted after a crash takes
            // its partitions back at once instead of after the lease interval (30 s), as a rebooted VM would.
            var workerId = $"w{lease.Slot!.Value}";
            var process = TestProcess.Start("functions host", launcher,
                [
                    "--app", app,
                    "--port", address.Port.ToString(CultureInfo.InvariantCulture),
                    "--storage", settings.StorageConnection ?? lease.ConnectionString,
                    "--secrets", Path.Combine(directory, "secrets"),
                    "--logs", Path.Combine(directory, "logs"),
                ],
                env =>
                {
                    env.Remove("CONTAINER_NAME");
                    env.Remove("WEBSITE_HOSTNAME"); // func-host sets it to this host's address
                    env.Remove("WEBSITE_INSTANCE_ID");
                    foreach (var (key, value) in AppSettings(settings, stack, settings.StorageConnection ?? lease.ConnectionString, workerId))
                    {
                        env[key] = value;
                    }
                },
                workingDirectory: app);
            return new HostProcess(process, lease, settings, directory, address, $"{StampName}:{workerId}");
        }
        catch
        {
            await lease.DisposeAsync();
            if (directory is not null)
            {
                ProcessJanitor.TryDeleteDirectory(directory);
            }
            throw;
        }
    }

    /// <summary>Waits until /admin/host/ping and /api/health/ready answer 200; throws with the output if the host exits or keeps failing to start.</summary>
    public async Task WaitUntilReadyAsync()
    {
        var deadline = started + ReadyTimeout;
        await process.WaitForHttpAsync(new Uri(BaseAddress, "/admin/host/ping"), deadline, failure: StartupFailure);
        await process.WaitForHttpAsync(new Uri(BaseAddress, "/api/health/ready"), deadline, failure: StartupFailure);
        StartupTime = DateTime.UtcNow - started;
    }

    /// <summary>
    /// The host's master key (for the admin API and the Durable HTTP API: <c>x-functions-key</c> or <c>?code=</c>), from
    /// the --secrets folder; the host creates it on the first request that needs a key.
    /// </summary>
    public async Task<string> MasterKeyAsync()
    {
        var file = Path.Combine(directory, "secrets", "host.json");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var asked = false;
        while (true)
        {
            if (File.Exists(file))
            {
                try
                {
                    var json = JsonNode.Parse((await File.ReadAllTextAsync(file)).TrimStart('\uFEFF')); // written with a BOM
                    if (json?["masterKey"]?["value"]?.GetValue<string>() is { Length: > 0 } key)
                    {
                        return key;
                    }
                }
                catch (JsonException)
                {
                    // being written
                }
                catch (IOException)
                {
                }
            }
            if (!asked)
            {
                asked = true;
                using var http = CreateClient();
                using var _ = await http.GetAsync(new Uri("/admin/host/status", UriKind.Relative)); // 401, but the keys now exist
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The host wrote no master key to {file}.");
            }
            await Task.Delay(100);
        }
    }

    private const string StampName = "agentstests";

    /// <summary>
    /// The host does not exit when its start fails (a bad setting, an extension refusing its options): it logs the
    /// error and tries again, with a growing delay. Three failed attempts are not a slow start.
    /// </summary>
    private static string? StartupFailure(string output)
    {
        const string marker = "A host error has occurred during startup operation";
        var count = 0;
        for (var i = output.IndexOf(marker, StringComparison.Ordinal); i >= 0; i = output.IndexOf(marker, i + marker.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count >= 3 ? "the host failed to start three times" : null;
    }

    /// <summary>The app settings of a host: the stack, fast polling for tests, then <see cref="HostSettings.Extra"/> over all of them.</summary>
    private static Dictionary<string, string> AppSettings(HostSettings settings, StackEnvironment stack, string storage, string workerId)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AzureWebJobsStorage"] = storage,
            ["DurableTask__HubName"] = settings.HubName,
            ["AzureFunctionsJobHost__extensions__durableTask__hubName"] = settings.HubName,
            ["WEBSITE_CURRENT_STAMPNAME"] = StampName,
            ["RoleInstanceId"] = workerId,
            ["Cosmos__Endpoint"] = stack.CosmosEndpoint.ToString(),
            ["Cosmos__Key"] = stack.CosmosKey,
            ["Cosmos__Emulator"] = "true",
            ["Cosmos__CreateIfNotExists"] = "true",
            ["Cosmos__Database"] = settings.Database,
            ["Model__Endpoint"] = stack.ModelEndpoint.ToString(),
            ["Model__ApiKey"] = "sim",
            ["Model__Deployment"] = "sim-small",
            ["Model__RetryBaseDelayMilliseconds"] = "50",
            ["Identity__Providers__0__Name"] = "local",
            ["Identity__Providers__0__Kind"] = "Oidc",
            ["Identity__Providers__0__Issuer"] = stack.Issuer,
            ["Identity__Providers__0__Audiences__0"] = "api://agents",
            ["Identity__Providers__0__RequiredScope"] = "Agents.Access",
            ["Identity__Providers__0__RequireHttpsMetadata"] = "false",
            ["Streaming__HeartbeatSeconds"] = "1",
            ["Runs__SweepSchedule"] = "*/2 * * * * *",
            ["Logging__LogLevel__Default"] = "Information",
            // host.json, for fast tests: poll the queues often, and let a message that a killed host held come back soon.
            ["AzureFunctionsJobHost__extensions__queues__maxPollingInterval"] = "00:00:00.100",
            ["AzureFunctionsJobHost__extensions__queues__visibilityTimeout"] = "00:00:02",
            ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__maxQueuePollingInterval"] = "00:00:00.250",
            ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__workItemQueueVisibilityTimeout"] = "00:00:10",
            // The extension refuses less than a minute here (host start fails: "must be between 1 and 60 minutes").
            ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__controlQueueVisibilityTimeout"] = "00:01:00",
        };
        foreach (var (key, value) in settings.Extra)
        {
            env[key] = value;
        }
        return env;
    }

    public HttpClient CreateClient(string? bearer = null)
    {
        var client = new HttpClient(new ContractHandler()) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(100) };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }
        return client;
    }

    /// <summary>SIGKILL to the host and its worker: no shutdown, no flushing, as in a crash. Waits until they are gone.</summary>
    public void Kill() => process.Kill();

    /// <summary>
    /// Stops the host. While other hosts run on the same storage, gracefully (SIGTERM: the host releases its task hub
    /// partitions, so the others take them over at once); the last one is killed, which is quicker.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }
        if (!process.HasExited && settings.Storage.RunningHosts > 1)
        {
            await process.StopAsync(TimeSpan.FromSeconds(15));
        }
        await process.DisposeAsync();
        await storage.DisposeAsync();
        ProcessJanitor.TryDeleteDirectory(directory);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// What distinguishes the hosts of one test class from the others: a Cosmos DB database, a task hub name and a storage
/// account (an Azurite) of their own, plus extra app settings. Copies made with <c>with</c> share the storage.
/// Dispose it (HostFixture does) to stop its Azurite and delete its data; the end of the test run does it otherwise.
/// </summary>
public sealed record HostSettings : IAsyncDisposable
{
    private HostSettings(string id, IReadOnlyDictionary<string, string> extra)
    {
        Database = $"test-{id}";
        HubName = $"test{id}";
        Extra = extra;
        Storage = new TestStorage();
    }

    public string Database { get; init; }

    /// <summary>The Durable task hub (alphanumeric, 3-45 characters, starting with a letter).</summary>
    public string HubName { get; init; }

    public IReadOnlyDictionary<string, string> Extra { get; init; }

    /// <summary>A storage account to use instead of <see cref="Storage"/> (a <see cref="PrivateStackProcess"/>'s Azurite).</summary>
    public string? StorageConnection { get; init; }

    /// <summary>The private storage account of these settings (shared by copies made with <c>with</c>).</summary>
    public TestStorage Storage { get; }

    /// <summary>A database, task hub and storage account no other test class uses.</summary>
    public static HostSettings Isolated(IReadOnlyDictionary<string, string>? extra = null) =>
        new(Guid.NewGuid().ToString("N")[..10], extra ?? new Dictionary<string, string>());

    public ValueTask DisposeAsync() => Storage.DisposeAsync();
}
