using Agents.Application.Storage.Cosmos;
using Microsoft.Azure.Functions.Worker;

namespace Agents.Functions.Maintenance;

/// <summary>
/// Hourly: deletes documents whose <c>ttl</c> ran out where Cosmos DB does not (the local emulator). In Azure the
/// containers' TTL expires them (infra/bicep), so the timer does nothing there.
/// </summary>
public sealed class RetentionSweep(ExpiredDocuments expired, CosmosOptions cosmos)
{
    [Function(nameof(RetentionSweep))]
    public async Task RunAsync([TimerTrigger("0 0 * * * *")] TimerInfo timer, CancellationToken ct)
    {
        if (cosmos.Emulator)
        {
            await expired.DeleteAsync(ct);
        }
    }
}
