namespace Agents.IntegrationTests.Infrastructure;

/// <summary>
/// One host process of its own (own database, task hub and storage account) and signed-in users, shared by a test
/// class. Its storage runs for the fixture's lifetime, so a test may kill a host and start another on it.
/// </summary>
public class HostFixture : IAsyncLifetime
{
    private StorageLease? storage;

    protected virtual IReadOnlyDictionary<string, string>? Settings => null;

    public HostSettings HostSettings { get; private set; } = null!;

    public HostProcess Host { get; private set; } = null!;

    public Api Alice { get; private set; } = null!;

    public Api Bob { get; private set; } = null!;

    public Api Anonymous { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        HostSettings = HostSettings.Isolated(Settings);
        storage = await HostSettings.Storage.UseAsync();
        Host = await HostProcess.StartAsync(HostSettings);
        Alice = new Api(new HttpClient(new BearerHandler("alice")) { BaseAddress = Host.BaseAddress, Timeout = TimeSpan.FromSeconds(100) });
        Bob = new Api(new HttpClient(new BearerHandler("bob")) { BaseAddress = Host.BaseAddress, Timeout = TimeSpan.FromSeconds(100) });
        Anonymous = new Api(Host.CreateClient());
    }

    public virtual async Task DisposeAsync()
    {
        Alice?.Dispose();
        Bob?.Dispose();
        Anonymous?.Dispose();
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
        if (HostSettings is not null)
        {
            await HostSettings.DisposeAsync(); // kills Azurite and deletes its data; the lease is void then
        }
        if (storage is not null)
        {
            await storage.DisposeAsync();
        }
    }
}
