using System.Text.Json.Nodes;

namespace Agents.Faults;

/// <summary>
/// What the model simulator answered one model (its <c>GET /stats</c>): requests, and how many were answered in full,
/// answered with a scripted error (by status), hung, dropped, or sent again before the Retry-After they were given.
/// </summary>
public sealed record ModelCounts(long Requests, long Completed, IReadOnlyDictionary<int, long> Errors, long Hangs, long Drops, long EarlyRetries)
{
    public static ModelCounts None { get; } = new(0, 0, new Dictionary<int, long>(), 0, 0, 0);

    public long ErrorsOf(int status) => Errors.GetValueOrDefault(status);

    /// <summary>What happened between an earlier reading and this one.</summary>
    public ModelCounts Since(ModelCounts earlier) => new(
        Requests - earlier.Requests,
        Completed - earlier.Completed,
        Errors.ToDictionary(e => e.Key, e => e.Value - earlier.ErrorsOf(e.Key)),
        Hangs - earlier.Hangs,
        Drops - earlier.Drops,
        EarlyRetries - earlier.EarlyRetries);

    /// <summary>Reads the simulator's counts of every model; <paramref name="simulator"/> is its /v1/ address.</summary>
    public static async Task<IReadOnlyDictionary<string, ModelCounts>> ReadAsync(HttpClient http, Uri simulator, CancellationToken ct)
    {
        var models = JsonNode.Parse(await http.GetStringAsync(new Uri(simulator, "/stats"), ct))!["models"]!.AsObject();
        return models.ToDictionary(m => m.Key, m => new ModelCounts(
            m.Value!["requests"]!.GetValue<long>(),
            m.Value["completed"]!.GetValue<long>(),
            m.Value["errors"]!.AsObject().ToDictionary(e => int.Parse(e.Key, System.Globalization.CultureInfo.InvariantCulture), e => e.Value!.GetValue<long>()),
            m.Value["hangs"]!.GetValue<long>(),
            m.Value["drops"]!.GetValue<long>(),
            m.Value["early_retries"]!.GetValue<long>()), StringComparer.Ordinal);
    }
}
