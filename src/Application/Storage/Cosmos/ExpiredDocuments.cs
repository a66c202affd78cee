using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Storage.Cosmos;

/// <summary>
/// Deletes documents whose <c>ttl</c> has run out, in the containers of <see cref="Containers.WithTimeToLive"/>. In
/// Azure, Cosmos DB's TTL does this by itself; the local emulator keeps <c>ttl</c> but never expires anything, so the
/// retention timer runs this sweep there (<see cref="CosmosOptions.Emulator"/>).
/// </summary>
public sealed partial class ExpiredDocuments(CosmosDatabase cosmos, TimeProvider clock, ILogger<ExpiredDocuments> logger)
{
    public async Task<int> DeleteAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var deleted = 0;
        foreach (var name in Containers.WithTimeToLive)
        {
            var container = new DocumentContainer(cosmos.Container(name));
            var expired = await container.QueryAllAsync<Expired>(null,
                new QueryDefinition("SELECT c.id, c.pk FROM c WHERE IS_NUMBER(c.ttl) AND c.ttl > 0 AND c._ts + c.ttl < @now").WithParameter("@now", now), ct).ConfigureAwait(false);
            foreach (var item in expired)
            {
                deleted += await container.DeleteAsync(item.Pk, item.Id, ct).ConfigureAwait(false) ? 1 : 0;
            }
            if (expired.Count > 0)
            {
                LogDeleted(logger, expired.Count, name);
            }
        }
        return deleted;
    }

    private sealed record Expired(string Id, string Pk);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} expired documents from {Container}")]
    private static partial void LogDeleted(ILogger logger, int count, string container);
}
