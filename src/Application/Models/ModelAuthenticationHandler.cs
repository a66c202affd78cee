using System.Net.Http.Headers;
using Azure.Core;

namespace Agents.Application.Models;

/// <summary>
/// The one place that authenticates calls to the model endpoint, for every caller of the model HttpClient
/// (<see cref="ModelServices.HttpClientName"/>): the client libraries of runs and the judge, the gateway's
/// pass-through, the readiness probe. An Entra token (<see cref="ModelOptions.UseEntraId"/>, cached until five minutes
/// before it expires) or the API key, as the provider expects it: Azure's <c>api-key</c> header on its deployment
/// routes, a bearer token otherwise. The client libraries are built with a placeholder key, whose header is replaced here.
/// </summary>
public sealed class ModelAuthenticationHandler(ModelOptions options, ModelEndpoint endpoint, TokenCredential? credential) : DelegatingHandler
{
    /// <summary>What the client libraries are given as their key: this handler replaces the header it produces.</summary>
    public const string PlaceholderKey = "set-by-ModelAuthenticationHandler";

    private const string AzureKeyHeader = "api-key";
    private static readonly string[] Scopes = ["https://cognitiveservices.azure.com/.default"];
    private volatile CachedToken? token;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Remove(AzureKeyHeader);
        request.Headers.Authorization = null;
        if (options.UseEntraId)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await EntraTokenAsync(cancellationToken).ConfigureAwait(false));
        }
        else if (endpoint.Provider == ModelProvider.AzureOpenAI && options.ApiKey is { Length: > 0 } azureKey)
        {
            request.Headers.TryAddWithoutValidation(AzureKeyHeader, azureKey);
        }
        else
        {
            // OpenAI and compatible servers; a local server without auth (the simulator) is sent a dummy key.
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey is { Length: > 0 } key ? key : "unused");
        }
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> EntraTokenAsync(CancellationToken ct)
    {
        if (token is { } cached && cached.ExpiresOn > DateTimeOffset.UtcNow.AddMinutes(5))
        {
            return cached.Value;
        }
        var tokens = credential ?? throw new InvalidOperationException("Model:UseEntraId needs a token credential.");
        var fresh = await tokens.GetTokenAsync(new TokenRequestContext(Scopes), ct).ConfigureAwait(false);
        token = new CachedToken(fresh.Token, fresh.ExpiresOn);
        return fresh.Token;
    }

    private sealed record CachedToken(string Value, DateTimeOffset ExpiresOn);
}
