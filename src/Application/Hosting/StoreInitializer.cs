using Agents.Application.Agents;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Storage.Queues;
using Azure.Storage.Queues;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Hosting;

/// <summary>
/// Creates the database, containers and the persist queues where configured to (locally; Bicep creates them in Azure),
/// and seeds the default agent. In the background, and again until it succeeds: an instance that starts while Cosmos DB
/// or storage is down comes up anyway, reports not ready (<see cref="IsDone"/>, the readiness check "setup") and
/// answers 503 to what needs them, instead of crash-looping its worker until the host gives up.
/// </summary>
public sealed partial class StoreInitializer(
    CosmosDatabase cosmos, CosmosOptions cosmosOptions, QueueServiceClient queues,
    AgentStore agents, AgentDefaults defaults, TimeProvider clock, ILogger<StoreInitializer> logger) : BackgroundService
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(10);

    private volatile bool done;

    /// <summary>True once everything exists (each failed attempt is logged with its error).</summary>
    public bool IsDone => done;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = FirstRetry;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await InitializeAsync(stoppingToken).ConfigureAwait(false);
                done = true;
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogRetry(logger, e, attempt, delay.TotalSeconds);
            }
            await Task.Delay(delay, clock, stoppingToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestRetry.Ticks));
        }
    }

    private async Task InitializeAsync(CancellationToken ct)
    {
        await queues.GetQueueClient(QueueNames.Persist).CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        await queues.GetQueueClient(QueueNames.Poison(QueueNames.Persist)).CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        if (cosmosOptions.CreateIfNotExists)
        {
            await cosmos.EnsureCreatedAsync(ct).ConfigureAwait(false);
        }
        if (await agents.TryCreateAsync(defaults.DefaultAgent(clock.GetUtcNow()), ct).ConfigureAwait(false))
        {
            LogSeeded(logger, defaults.Model);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the default agent on model {Model}")]
    private static partial void LogSeeded(ILogger logger, string model);

    [LoggerMessage(Level = LogLevel.Error, Message = "Setting up the database, containers and queues failed (attempt {Attempt}); trying again in {DelaySeconds} s")]
    private static partial void LogRetry(ILogger logger, Exception exception, int attempt, double delaySeconds);
}
