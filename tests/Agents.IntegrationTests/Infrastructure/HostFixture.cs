namespace Agents.IntegrationTests.Infrastructure;

/// <summary>One host process of its own (own database and queues) and signed-in users, shared by a test class.</summary>
public class HostFixture : IAsyncLifetime
{
    protected virtual IReadOnlyDictionary<string, string>? Settings => null;

    public HostSettings HostSettings { get; private set; } = null!;

    public HostProcess Host { get; private set; } = null!;

    public Api Alice { get; private set; } = null!;

    public Api Bob { get; private set; } = null!;

    public Api Anonymous { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        HostSettings = HostSettings.Isolated(Settings);
        Host = await HostProcess.StartAsync(HostSettings);
        Alice = new Api(Host.CreateClient(await LocalTokens.AccessTokenAsync("alice")));
        Bob = new Api(Host.CreateClient(await LocalTokens.AccessTokenAsync("bob")));
        Anonymous = new Api(Host.CreateClient());
    }

    public async Task DisposeAsync()
    {
        Alice?.Dispose();
        Bob?.Dispose();
        Anonymous?.Dispose();
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
    }
}
