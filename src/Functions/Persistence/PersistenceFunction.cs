using System.Text.Json;
using Agents.Application.Runs.Persistence;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Storage.Queues;
using Microsoft.Azure.Functions.Worker;

namespace Agents.Functions.Persistence;

/// <summary>
/// The persist queue in Azure (the portable host's PersistenceWorker reads it locally): the same
/// <see cref="RunPersistence.ApplyOrDeferAsync"/>. A write waiting for its predecessor is put back as a new message; any
/// other failure is thrown, so the host retries it (host.json queues) and finally moves it to persist-poison.
/// </summary>
public sealed class PersistenceFunction(RunPersistence persistence)
{
    [Function(nameof(Persist))]
    public async Task Persist([QueueTrigger(QueueNames.Persist, Connection = "AzureWebJobsStorage")] string message, CancellationToken ct)
    {
        if (JsonSerializer.Deserialize<PersistenceMessage>(message, CosmosDatabase.Json) is { } write)
        {
            await persistence.ApplyOrDeferAsync(write, ct);
        }
    }
}
