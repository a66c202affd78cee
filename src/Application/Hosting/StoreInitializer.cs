using Agents.Application.Agents;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Storage.Queues;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Hosting;

/// <summary>
/// Runs before the functions start: creates the database, containers and the persist queues where configured to
/// (locally; Bicep creates them in Azure), and seeds the default agent. A dependency that is down stops the start with a clear error.
/// </summary>
public sealed partial class StoreInitializer(
    CosmosDatabase cosmos, CosmosOptions cosmosOptions, StorageQueueClient queues,
    AgentStore agents, AgentDefaults defaults, TimeProvider clock, ILogger<StoreInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (cosmosOptions.CreateIfNotExists)
        {
            await cosmos.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        }
        await queues.CreateIfNotExistsAsync(QueueNames.Persist, cancellationToken).ConfigureAwait(false);
        await queues.CreateIfNotExistsAsync(QueueNames.Poison(QueueNames.Persist), cancellationToken).ConfigureAwait(false);
        if (await agents.TryCreateAsync(defaults.DefaultAgent(clock.GetUtcNow()), cancellationToken).ConfigureAwait(false))
        {
            LogSeeded(logger, defaults.Model);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the default agent on model {Model}")]
    private static partial void LogSeeded(ILogger logger, string model);
}
