using System.Globalization;
using System.Text.Json;
using Agents.Application.Storage.Cosmos;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Gateway.Activity;

/// <summary>
/// Activity events in the <c>activity</c> container, one partition per UTC day (<c>activity|2026-11-22</c>), with a
/// numeric <c>ts</c> (epoch ms) to query by and a <c>ttl</c>. Admin data: it belongs to no user.
/// </summary>
public sealed class ActivityStore(CosmosDatabase cosmos, ActivityOptions options, TimeProvider clock)
{
    public const int MaxRecent = 500;
    private readonly Container container = cosmos.Container(Containers.Activity);

    public static string Partition(DateTimeOffset at) => "activity|" + at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public async Task WriteAsync(ActivityEvent e, CancellationToken ct)
    {
        var node = JsonSerializer.SerializeToNode(e, CosmosDatabase.Json)!.AsObject();
        var pk = Partition(e.At);
        node["pk"] = pk;
        node["ts"] = e.At.ToUnixTimeMilliseconds();
        node["ttl"] = options.RetentionDays * 86_400;
        using var response = await container.CreateItemStreamAsync(
            new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(node)), new PartitionKey(pk), cancellationToken: ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode && response.StatusCode != System.Net.HttpStatusCode.Conflict)
        {
            response.EnsureSuccessStatusCode();
        }
    }

    /// <summary>The newest events (today's and yesterday's partitions) that match, newest first.</summary>
    public async Task<List<ActivityEvent>> RecentAsync(int limit, ActivityFilter filter, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var found = new List<ActivityEvent>();
        foreach (var day in new[] { now, now.AddDays(-1) })
        {
            // The filter applies in memory (prefix matches on type), so read a generous page of the newest.
            var top = Math.Max(limit * 4, 200);
            var query = new QueryDefinition(string.Create(CultureInfo.InvariantCulture, $"SELECT TOP {top} * FROM c WHERE c.pk = @pk ORDER BY c.ts DESC"))
                .WithParameter("@pk", Partition(day));
            found.AddRange((await QueryAsync(Partition(day), query, ct).ConfigureAwait(false)).Where(filter.Matches));
            if (found.Count >= limit)
            {
                break;
            }
        }
        return found.OrderByDescending(e => e.At).ThenByDescending(e => e.Id, StringComparer.Ordinal).Take(limit).ToList();
    }

    /// <summary>Events other instances stored since <paramref name="since"/> (for live streams across instances).</summary>
    public async Task<List<ActivityEvent>> OthersSinceAsync(DateTimeOffset since, string instance, CancellationToken ct)
    {
        var found = new List<ActivityEvent>();
        var days = Partition(since) == Partition(clock.GetUtcNow()) ? [since] : new[] { since, clock.GetUtcNow() };
        foreach (var day in days)
        {
            var query = new QueryDefinition("SELECT * FROM c WHERE c.pk = @pk AND c.ts >= @since AND c.instance != @me")
                .WithParameter("@pk", Partition(day)).WithParameter("@since", since.ToUnixTimeMilliseconds()).WithParameter("@me", instance);
            found.AddRange(await QueryAsync(Partition(day), query, ct).ConfigureAwait(false));
        }
        return found;
    }

    private async Task<List<ActivityEvent>> QueryAsync(string pk, QueryDefinition query, CancellationToken ct)
    {
        using var iterator = container.GetItemQueryIterator<ActivityEvent>(query, requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(pk) });
        var items = new List<ActivityEvent>();
        while (iterator.HasMoreResults)
        {
            items.AddRange(await iterator.ReadNextAsync(ct).ConfigureAwait(false));
        }
        return items;
    }
}

/// <summary>Stores published events in the background, a few at a time; a failed write is logged and dropped.</summary>
public sealed partial class ActivityWriter(ActivityFeed feed, ActivityStore store, ILogger<ActivityWriter> logger) : BackgroundService
{
    private const int Batch = 32;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<ActivityEvent>(Batch);
        try
        {
            while (await feed.Pending.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < Batch && feed.Pending.TryRead(out var e))
                {
                    batch.Add(e);
                }
                await Task.WhenAll(batch.Select(e => WriteAsync(e, stoppingToken))).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task WriteAsync(ActivityEvent e, CancellationToken ct)
    {
        try
        {
            await store.WriteAsync(e, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CosmosException or HttpRequestException or TimeoutException)
        {
            LogWriteFailed(logger, ex, e.Type, e.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not store activity event {Type} {Id}")]
    private static partial void LogWriteFailed(ILogger logger, Exception e, string type, string id);
}
