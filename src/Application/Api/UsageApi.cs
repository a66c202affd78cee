using System.Globalization;
using Agents.Application.Http;
using Agents.Application.Usage;
using Agents.Domain.Errors;
using Agents.Domain.Usage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Agents.Application.Api;

public sealed record UsageTotals(long InputTokens, long OutputTokens, long TotalTokens, int Calls);

public sealed record UsageGroup(string Key, long InputTokens, long OutputTokens, long TotalTokens, int Calls);

public sealed record UsageReport(DateTimeOffset From, DateTimeOffset To, string GroupBy, UsageTotals Total, IReadOnlyList<UsageGroup> Groups);

/// <summary>The caller's own token usage, from the ledger.</summary>
public static class UsageApi
{
    private static readonly TimeSpan MaxRange = TimeSpan.FromDays(366);

    public static async Task<Ok<UsageReport>> Get(HttpContext http, UsageLedger ledger, TimeProvider clock, string? from, string? to, string? groupBy)
    {
        var (start, end) = Range(from, to, clock.GetUtcNow());
        var key = KeyFor(groupBy);
        var records = await ledger.ListAsync(http.Caller().UserId, start, end, http.RequestAborted);
        return TypedResults.Ok(Report(records, start, end, groupBy ?? "day", key));
    }

    public static UsageReport Report(IReadOnlyList<UsageRecord> records, DateTimeOffset from, DateTimeOffset to, string groupBy, Func<UsageRecord, string> key)
    {
        var groups = records.GroupBy(key).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new UsageGroup(g.Key, g.Sum(r => (long)r.Usage.InputTokens), g.Sum(r => (long)r.Usage.OutputTokens), g.Sum(r => (long)r.Usage.TotalTokens), g.Count()))
            .ToList();
        var total = new UsageTotals(groups.Sum(g => g.InputTokens), groups.Sum(g => g.OutputTokens), groups.Sum(g => g.TotalTokens), records.Count);
        return new UsageReport(from, to, groupBy, total, groups);
    }

    public static Func<UsageRecord, string> KeyFor(string? groupBy) => groupBy?.ToLowerInvariant() switch
    {
        null or "day" => r => r.At.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        "agent" => r => r.AgentId ?? "(gateway)",
        "model" => r => r.Model,
        "user" => r => r.UserId,
        _ => throw new ApiProblemException(Problems.Field("groupBy", "must be 'day', 'agent' or 'model'")),
    };

    public static (DateTimeOffset From, DateTimeOffset To) Range(string? from, string? to, DateTimeOffset now)
    {
        var end = Parse(to, "to") ?? now.AddSeconds(1);
        var start = Parse(from, "from") ?? end.AddDays(-30);
        if (start >= end)
        {
            throw new ApiProblemException(Problems.Field("from", "must be before 'to'"));
        }
        if (end - start > MaxRange)
        {
            throw new ApiProblemException(Problems.Field("from", "the range may span at most 366 days"));
        }
        return (start, end);
    }

    private static DateTimeOffset? Parse(string? value, string field) => value is null
        ? null
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed.ToUniversalTime()
            : throw new ApiProblemException(Problems.Field(field, "must be an ISO 8601 date or time"));
}
