using Agents.Application.Storage.Queues;
using Azure.Core;
using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.IntegrationTests.Infrastructure;

/// <summary>The queue client exactly as the app registers it (<see cref="StorageQueues.AddStorageQueues"/>), on a storage account of the tests.</summary>
public static class TestQueues
{
    public static QueueServiceClient For(string connectionString)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [StorageQueues.Connection] = connectionString })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<TokenCredential>(new DefaultAzureCredential()); // unused with a connection string
        services.AddStorageQueues(configuration);
        return services.BuildServiceProvider().GetRequiredService<QueueServiceClient>();
    }
}
