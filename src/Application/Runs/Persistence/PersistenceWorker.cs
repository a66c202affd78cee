using System.Text.Json;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Storage.Queues;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Runs.Persistence;

/// <summary>The portable host's persistence worker: the persist queue into <see cref="RunPersistence"/>.</summary>
public sealed class PersistenceWorker(RunRequests requests, QueueOptions options, RunPersistence persistence, ILogger<PersistenceWorker> logger)
    : QueueWorker(requests.Client, options, logger)
{
    /// <summary>About two minutes of waiting for a predecessor before the write counts as failing.</summary>
    private const int MaxDeferrals = 240;

    protected override string QueueName => QueueNames.Persist;

    protected override int MaxConcurrency => 16;

    protected override async Task<QueueOutcome> HandleAsync(MessageHold hold, CancellationToken ct)
    {
        var message = JsonSerializer.Deserialize<PersistenceMessage>(hold.Message.Body, CosmosDatabase.Json);
        if (message is null)
        {
            return QueueOutcome.Done;
        }
        try
        {
            await persistence.ApplyAsync(message, ct).ConfigureAwait(false);
            return QueueOutcome.Done;
        }
        catch (PersistenceNotReadyException) when (message.Deferrals < MaxDeferrals)
        {
            // Its predecessor is still in the queue: put it back as a new message, so waiting is not counted as failing.
            await Client.SendMessageAsync(Queue,
                JsonSerializer.Serialize(message with { Deferrals = message.Deferrals + 1 }, CosmosDatabase.Json), TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            return QueueOutcome.Done;
        }
    }

    protected override Task OnPoisonAsync(QueueMessage message, CancellationToken ct) => Task.CompletedTask;
}
