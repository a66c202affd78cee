using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Agents.Application.Models;
using Agents.Domain.Errors;
using Azure.Core;

namespace Agents.Application.Gateway;

/// <summary>
/// Raw JSON over HTTP to the configured model endpoint (<see cref="ModelOptions"/>: Azure OpenAI's v1 endpoint or any
/// OpenAI-compatible server): the gateway forwards request bodies as they are, so fields we do not model survive and
/// streamed chunks pass with no re-encoding. Authenticates with the API key, or an Entra token when
/// <see cref="ModelOptions.UseEntraId"/> (cached until five minutes before it expires).
/// </summary>
public sealed class UpstreamClient(IHttpClientFactory factory, ModelOptions model, TokenCredential? credential)
{
    public const string HttpClientName = "gateway-upstream";
    private static readonly string[] Scopes = ["https://cognitiveservices.azure.com/.default"];
    private readonly Uri baseUri = model.Endpoint!.AbsoluteUri.EndsWith('/') ? model.Endpoint : new Uri(model.Endpoint.AbsoluteUri + "/");
    private volatile CachedToken? token;

    public Uri BaseUri => baseUri;

    /// <summary>Sends a chat completion request; the caller owns (and disposes) the response, read as it streams.</summary>
    public async Task<HttpResponseMessage> SendChatAsync(JsonObject body, bool stream, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, "chat/completions"))
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Accept.ParseAdd(stream ? "text/event-stream" : "application/json");
        return await SendAsync(request, ct).ConfigureAwait(false);
    }

    public async Task<HttpResponseMessage> GetModelsAsync(CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, "models"));
        return await SendAsync(request, ct).ConfigureAwait(false);
    }

    /// <summary>A completion that is not streamed, as JSON (the judge's call); a failure is a <see cref="ModelCallException"/>.</summary>
    public async Task<JsonObject> CompleteAsync(JsonObject body, CancellationToken ct)
    {
        using var response = await SendChatAsync(body, stream: false, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new ModelCallException(UpstreamErrors.FromStatus((int)response.StatusCode, text), transient: (int)response.StatusCode is 429 or >= 500);
        }
        return JsonNode.Parse(text) as JsonObject
            ?? throw new ModelCallException(new ApiProblem(502, "model_bad_response", "The model answered something that is not a completion"), transient: false);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (model.UseEntraId)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await EntraTokenAsync(ct).ConfigureAwait(false));
        }
        else
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", model.ApiKey is { Length: > 0 } key ? key : "unused");
        }
        return await factory.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
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
