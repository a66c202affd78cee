using System.Text.Json;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Storage.Queues;

namespace Agents.Application.Runs;

/// <summary>
/// Sends "run this run" messages: on a new run, an approval, a cancel, or a suspended run's deadline. Locally the run
/// engine reads them; in Azure a queue trigger starts (or signals) the Durable orchestration.
/// </summary>
public sealed class RunRequests(StorageQueueClient client, QueueOptions options)
{
    public StorageQueueClient Client => client;

    public Task SendAsync(RunRef run, TimeSpan? delay = null, CancellationToken ct = default) =>
        client.SendMessageAsync(options.QueuePrefix + QueueNames.RunRequests, JsonSerializer.Serialize(run, CosmosDatabase.Json),
            delay is { } d && d < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : delay, ct);
}
