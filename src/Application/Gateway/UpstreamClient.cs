using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Agents.Application.Models;

namespace Agents.Application.Gateway;

/// <summary>
/// Raw JSON over HTTP to the model endpoint's OpenAI wire format (<see cref="ModelEndpoint.V1"/>): the gateway forwards
/// request bodies as they are, so fields we do not model survive and streamed chunks pass with no re-encoding. It
/// sends through the model HttpClient (<see cref="ModelServices.HttpClientName"/>), whose handler authenticates as for
/// runs; <see cref="GatewayCall"/> sends within the same retry policy (<see cref="ModelResilience"/>).
/// </summary>
public sealed class UpstreamClient(IHttpClientFactory factory, ModelEndpoint endpoint)
{
    /// <summary>Sends a chat completion request; the caller owns (and disposes) the response, read as it streams.</summary>
    public async Task<HttpResponseMessage> SendChatAsync(JsonObject body, bool stream, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint.V1, "chat/completions"))
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Accept.ParseAdd(stream ? "text/event-stream" : "application/json");
        return await SendAsync(request, ct).ConfigureAwait(false);
    }

    public async Task<HttpResponseMessage> GetModelsAsync(CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint.V1, "models"));
        return await SendAsync(request, ct).ConfigureAwait(false);
    }

    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
        factory.CreateClient(ModelServices.HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
}
