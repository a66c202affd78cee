using System.Text.Json;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Storage.Queues;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Runs.Persistence;

/// <summary>The portable host's persistence worker: the persist queue into <see cref="RunPersistence"/>.</summary>
public sealed class PersistenceWorker(RunRequests requests, QueueOptions options, RunPersistence persistence, ILogger<PersistenceWorker> logger)
    : QueueWorker(requests.Client, options, logger)
{
    protected override string QueueName => QueueNames.Persist;

    protected override int MaxConcurrency => 16;

    protected override async Task<QueueOutcome> HandleAsync(MessageHold hold, CancellationToken ct)
    {
        var message = JsonSerializer.Deserialize<PersistenceMessage>(hold.Message.Body, CosmosDatabase.Json);
        if (message is not null)
        {
            await persistence.ApplyOrDeferAsync(message, ct).ConfigureAwait(false);
        }
        return QueueOutcome.Done;
    }

    protected override Task OnPoisonAsync(QueueMessage message, CancellationToken ct) => Task.CompletedTask;
}
