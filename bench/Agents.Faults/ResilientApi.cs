using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Agents.Faults;

/// <summary>An answer of the API: its status and JSON body (null when the body is not JSON).</summary>
public sealed record Answer(HttpStatusCode Status, JsonNode? Body)
{
    public string? Code => Body?["code"]?.GetValue<string>();
}

/// <summary>
/// Calls the API as one user the way a client that survives restarts does: a request that finds the host down (no
/// connection, a reset, a timeout, 502-504) is sent again until it gets an answer. <see cref="Retries"/> counts them.
/// </summary>
public sealed class ResilientApi(HttpClient http, TokenCache token)
{
    private int retries;

    public int Retries => retries;

    public async Task<Answer> SendAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        while (true)
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await token.GetAsync(ct));
            if (body is not null)
            {
                request.Content = JsonContent.Create(body);
            }
            try
            {
                using var response = await http.SendAsync(request, ct);
                if (response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout)
                {
                    throw new HttpRequestException($"{(int)response.StatusCode}");
                }
                var text = await response.Content.ReadAsStringAsync(ct);
                return new Answer(response.StatusCode, text.Length > 0 && text.TrimStart()[0] is '{' or '[' ? JsonNode.Parse(text) : null);
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is HttpRequestException or TaskCanceledException or IOException)
            {
                Interlocked.Increment(ref retries);
                await Task.Delay(250, ct);
            }
        }
    }

    public Task<Answer> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, ct);

    public Task<Answer> PostAsync(string path, object? body, CancellationToken ct) => SendAsync(HttpMethod.Post, path, body, ct);
}
