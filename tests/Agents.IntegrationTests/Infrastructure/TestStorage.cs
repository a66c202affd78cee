using System.Globalization;

namespace Agents.IntegrationTests.Infrastructure;

/// <summary>
/// A private Azure Storage account (an Azurite of its own, local/azurite.mjs, on free ports) for the hosts of one
/// <see cref="HostSettings"/>. The Functions app's queue triggers and its Durable task hub bind fixed queue names, so
/// hosts of different test classes must never share an account; hosts of the same settings (scale-out, a restart
/// after a crash) must.
/// <para>
/// Lifetime: Azurite starts with the first lease (<see cref="UseAsync"/>, or a host starting) and stops when the last
/// lease is released; its data stays on disk, so the next lease restarts it (on new ports) with everything the
/// previous hosts left: a crash test may dispose the killed host before starting the next one.
/// <see cref="DisposeAsync"/> stops it for good and deletes the data; the end of the test run kills what is left.
/// </para>
/// </summary>
public sealed class TestStorage : IAsyncDisposable
{
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly SortedSet<int> usedSlots = [];
    private readonly string dataDirectory;
    private TestProcess? azurite;
    private string? connectionString;
    private string previousOutput = "";
    private int leases;
    private bool disposed;

    public TestStorage()
    {
        dataDirectory = ProcessJanitor.NewTempDirectory("storage");
    }

    /// <summary>Where Azurite keeps the account's data (under &lt;dir&gt;/azurite).</summary>
    public string DataDirectory => dataDirectory;

    /// <summary>The connection string while Azurite runs (hold a lease from <see cref="UseAsync"/> to keep it running).</summary>
    public string ConnectionString => connectionString ?? throw new InvalidOperationException("The test storage is not running: hold a lease (await using var lease = await storage.UseAsync()).");

    /// <summary>Hosts that hold a lease now.</summary>
    public int RunningHosts
    {
        get
        {
            lock (usedSlots)
            {
                return usedSlots.Count;
            }
        }
    }

    /// <summary>Azurite's output, of this and earlier runs of it.</summary>
    public string Output => previousOutput + azurite?.Output;

    public static string ConnectionStringFor(int blobPort, int queuePort, int tablePort) => string.Create(CultureInfo.InvariantCulture,
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{blobPort}/{AccountName};QueueEndpoint=http://127.0.0.1:{queuePort}/{AccountName};TableEndpoint=http://127.0.0.1:{tablePort}/{AccountName};");

    /// <summary>Starts Azurite if needed and keeps it running until the lease is disposed.</summary>
    public Task<StorageLease> UseAsync() => AcquireAsync(forHost: false);

    /// <summary>A lease for a host, with the lowest slot no running host of this storage has (its Durable worker identity).</summary>
    internal Task<StorageLease> AcquireHostAsync() => AcquireAsync(forHost: true);

    private async Task<StorageLease> AcquireAsync(bool forHost)
    {
        await gate.WaitAsync();
        try
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (azurite is null || azurite.HasExited)
            {
                await StartAzuriteAsync();
            }
            leases++;
            int? slot = null;
            if (forHost)
            {
                lock (usedSlots)
                {
                    slot = Enumerable.Range(0, usedSlots.Count + 1).First(n => !usedSlots.Contains(n));
                    usedSlots.Add(slot.Value);
                }
            }
            return new StorageLease(this, ConnectionString, slot);
        }
        finally
        {
            gate.Release();
        }
    }

    internal async Task ReleaseAsync(StorageLease lease)
    {
        await gate.WaitAsync();
        try
        {
            if (lease.Slot is { } slot)
            {
                lock (usedSlots)
                {
                    usedSlots.Remove(slot);
                }
            }
            if (--leases == 0 && !disposed)
            {
                await StopAzuriteAsync(graceful: true);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Stops Azurite and deletes the data; leases still held become void.</summary>
    public async ValueTask DisposeAsync()
    {
        await gate.WaitAsync();
        try
        {
            if (disposed)
            {
                return;
            }
            disposed = true;
            await StopAzuriteAsync(graceful: false);
            ProcessJanitor.TryDeleteDirectory(dataDirectory);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task StartAzuriteAsync()
    {
        var script = Path.Combine(StackEnvironment.RepositoryRoot, "local", "azurite.mjs");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"{script} not found: the tests start a private Azurite with it.");
        }
        for (var attempt = 1; ; attempt++)
        {
            var ports = DistinctFreePorts(3);
            var process = TestProcess.Start("azurite", "node",
                [script, "--blob-port", Text(ports[0]), "--queue-port", Text(ports[1]), "--table-port", Text(ports[2]), "--data-dir", dataDirectory],
                env => env.Remove("AGENTS_AZURITE_ACCESS_LOG"));
            try
            {
                // Each service answers an unsigned request with an error of its own, carrying its Server header.
                foreach (var (port, service) in ports.Zip(["Blob", "Queue", "Table"]))
                {
                    await process.WaitForHttpAsync(new Uri($"http://127.0.0.1:{port}/{AccountName}?comp=list"), ReadyTimeout,
                        r => r.Headers.Server.ToString().StartsWith($"Azurite-{service}/", StringComparison.Ordinal));
                }
                azurite = process;
                connectionString = ConnectionStringFor(ports[0], ports[1], ports[2]);
                return;
            }
            catch (InvalidOperationException) when (attempt < 3 && process.Output.Contains("EADDRINUSE", StringComparison.Ordinal))
            {
                // a free port was taken in between: try others
                await process.DisposeAsync();
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
        }
    }

    private async Task StopAzuriteAsync(bool graceful)
    {
        if (azurite is null)
        {
            return;
        }
        if (graceful)
        {
            // SIGTERM: Azurite closes its servers and saves its metadata (the data outlives this run of it).
            await azurite.StopAsync(TimeSpan.FromSeconds(8));
        }
        previousOutput += azurite.Output;
        await azurite.DisposeAsync();
        azurite = null;
        connectionString = null;
    }

    private static int[] DistinctFreePorts(int count)
    {
        var ports = new HashSet<int>();
        while (ports.Count < count)
        {
            ports.Add(HostProcess.FreePort());
        }
        return [.. ports];
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Keeps a <see cref="TestStorage"/> running until disposed.</summary>
public sealed class StorageLease : IAsyncDisposable
{
    private readonly TestStorage storage;
    private int released;

    internal StorageLease(TestStorage storage, string connectionString, int? slot)
    {
        this.storage = storage;
        ConnectionString = connectionString;
        Slot = slot;
    }

    /// <summary>The storage's connection string while this lease is held.</summary>
    public string ConnectionString { get; }

    /// <summary>For a host: its number among the hosts running on this storage (0, 1, …), reused after one stops.</summary>
    public int? Slot { get; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref released, 1) == 0)
        {
            await storage.ReleaseAsync(this);
        }
    }
}
