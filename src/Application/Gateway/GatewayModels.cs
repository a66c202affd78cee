using System.Text.Json;
using System.Text.Json.Nodes;
using Agents.Application.Models;
using Agents.Domain.Errors;

namespace Agents.Application.Gateway;

/// <summary>
/// The models both surfaces list: <see cref="GatewayOptions.Models"/> when set, else the upstream endpoint's list
/// (cached for a minute), plus the aliases. An unreachable upstream falls back to the configured deployments.
/// </summary>
public sealed class GatewayModels(UpstreamClient upstream, GatewayOptions options, ModelOptions model, TimeProvider clock)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(1);
    private volatile Cached? cache;

    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken ct)
    {
        if (options.Models.Count > 0)
        {
            return [.. options.Models, .. options.ModelAliases.Keys];
        }
        if (cache is { } cached && clock.GetUtcNow() - cached.At < CacheFor)
        {
            return cached.Ids;
        }
        var ids = await FetchAsync(ct).ConfigureAwait(false);
        var all = ids.Concat(options.ModelAliases.Keys).Distinct(StringComparer.Ordinal).ToList();
        cache = new Cached(all, clock.GetUtcNow());
        return all;
    }

    private async Task<List<string>> FetchAsync(CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            using var response = await upstream.GetModelsAsync(timeout.Token).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new ApiProblemException(UpstreamErrors.FromStatus((int)response.StatusCode, text));
            }
            return (JsonNode.Parse(text)?["data"] as JsonArray ?? [])
                .Select(m => (m?["id"] as JsonValue)?.ToString())
                .OfType<string>()
                .ToList();
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return new[] { model.Deployment, model.FallbackDeployment }.OfType<string>().Where(d => d.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        }
    }

    private sealed record Cached(IReadOnlyList<string> Ids, DateTimeOffset At);
}
