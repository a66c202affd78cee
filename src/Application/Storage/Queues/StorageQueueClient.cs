using System.Globalization;
using System.Net;
using System.Text;
using System.Xml.Linq;

namespace Agents.Application.Storage.Queues;

/// <summary>
/// A small client for the Azure Queue service REST API, for sending (the queue triggers receive). Message bodies are
/// base64-encoded text, which is what the Azure Functions queue trigger expects.
/// </summary>
public sealed class StorageQueueClient(HttpClient http, QueueEndpoint endpoint)
{
    private const string ApiVersion = "2023-11-03";

    public QueueEndpoint Endpoint => endpoint;

    public async Task CreateIfNotExistsAsync(string queue, CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Put, queue, "", null, ct).ConfigureAwait(false);
        if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.NoContent or HttpStatusCode.Conflict))
        {
            await ThrowAsync(response, ct).ConfigureAwait(false);
        }
    }

    public async Task SendMessageAsync(string queue, string body, TimeSpan? initialVisibilityDelay = null, CancellationToken ct = default)
    {
        var query = "messagettl=-1";
        if (initialVisibilityDelay is { } delay && delay > TimeSpan.Zero)
        {
            query += "&visibilitytimeout=" + (int)Math.Ceiling(Math.Min(delay.TotalSeconds, 604_800));
        }
        var xml = new XElement("QueueMessage", new XElement("MessageText", Convert.ToBase64String(Encoding.UTF8.GetBytes(body))));
        using var response = await SendAsync(HttpMethod.Post, queue + "/messages", query, xml.ToString(SaveOptions.DisableFormatting), ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            await ThrowAsync(response, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Approximate number of messages, for readiness checks and tests.</summary>
    public async Task<int> GetApproximateCountAsync(string queue, CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Head, queue, "comp=metadata", null, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            await ThrowAsync(response, ct).ConfigureAwait(false);
        }
        return int.Parse(response.Headers.GetValues("x-ms-approximate-messages-count").First(), CultureInfo.InvariantCulture);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string query, string? body, CancellationToken ct)
    {
        var uri = new Uri(endpoint.ServiceUri.AbsoluteUri.TrimEnd('/') + "/" + path + (query.Length > 0 ? "?" + query : ""));
        using var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            // ByteArrayContent: StringContent would add a charset to Content-Type and break the signature.
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/xml");
        }
        request.Headers.Add("x-ms-version", ApiVersion);
        request.Headers.Add("x-ms-date", DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture));
        request.Headers.Add("x-ms-client-request-id", Guid.NewGuid().ToString());
        await endpoint.Authorizer.AuthorizeAsync(request, ct).ConfigureAwait(false);
        return await http.SendAsync(request, ct).ConfigureAwait(false);
    }

    private static async Task ThrowAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        throw new QueueServiceException(response.StatusCode, $"Queue service answered {(int)response.StatusCode}: {Truncate(text)}");
    }

    private static string Truncate(string s) => s.Length <= 300 ? s : s[..300];
}

public sealed class QueueServiceException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
}
