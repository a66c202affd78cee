using System.Globalization;
using System.Net;
using System.Text;
using System.Xml.Linq;

namespace Agents.Application.Storage.Queues;

/// <summary>
/// A small client for the Azure Queue service REST API (Azure.Storage.Queues is not available here).
/// Message bodies are base64-encoded text, which is what the Azure Functions queue trigger expects.
/// </summary>
public sealed class StorageQueueClient(HttpClient http, QueueEndpoint endpoint, QueueSignals? signals = null)
{
    /// <summary>Wakes this process's workers when it sends a message (see <see cref="QueueSignals"/>).</summary>
    public QueueSignals Signals { get; } = signals ?? new QueueSignals();

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
        if (initialVisibilityDelay is null || initialVisibilityDelay <= TimeSpan.Zero)
        {
            Signals.Notify(queue);
        }
    }

    /// <summary>Receives up to <paramref name="max"/> messages (1-32), hiding them for <paramref name="visibility"/>.</summary>
    public async Task<IReadOnlyList<QueueMessage>> ReceiveMessagesAsync(string queue, int max, TimeSpan visibility, CancellationToken ct = default)
    {
        var query = string.Create(CultureInfo.InvariantCulture, $"numofmessages={Math.Clamp(max, 1, 32)}&visibilitytimeout={(int)visibility.TotalSeconds}");
        using var response = await SendAsync(HttpMethod.Get, queue + "/messages", query, null, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            await ThrowAsync(response, ct).ConfigureAwait(false);
        }
        var doc = XDocument.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
        return doc.Root!.Elements("QueueMessage").Select(Parse).ToList();
    }

    /// <summary>Extends (or shortens) a received message's invisibility; returns its new pop receipt.</summary>
    public async Task<QueueMessage> UpdateVisibilityAsync(string queue, QueueMessage message, TimeSpan visibility, CancellationToken ct = default)
    {
        var query = "popreceipt=" + Uri.EscapeDataString(message.PopReceipt) + "&visibilitytimeout=" + (int)visibility.TotalSeconds;
        using var response = await SendAsync(HttpMethod.Put, $"{queue}/messages/{message.MessageId}", query, null, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.NoContent)
        {
            await ThrowAsync(response, ct).ConfigureAwait(false);
        }
        var receipt = response.Headers.GetValues("x-ms-popreceipt").First();
        var next = DateTimeOffset.Parse(response.Headers.GetValues("x-ms-time-next-visible").First(), CultureInfo.InvariantCulture);
        return message with { PopReceipt = receipt, NextVisibleOn = next };
    }

    /// <summary>
    /// Deletes a received message. A message already gone, or received again by someone else since (its pop receipt
    /// no longer matches), is not an error: it returns false.
    /// </summary>
    public async Task<bool> DeleteMessageAsync(string queue, QueueMessage message, CancellationToken ct = default)
    {
        var query = "popreceipt=" + Uri.EscapeDataString(message.PopReceipt);
        using var response = await SendAsync(HttpMethod.Delete, $"{queue}/messages/{message.MessageId}", query, null, ct).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.NotFound
            || (response.StatusCode is HttpStatusCode.BadRequest && (await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)).Contains("PopReceiptMismatch", StringComparison.Ordinal)))
        {
            return false;
        }
        if (response.StatusCode != HttpStatusCode.NoContent)
        {
            await ThrowAsync(response, ct).ConfigureAwait(false);
        }
        return true;
    }

    public async Task ClearAsync(string queue, CancellationToken ct = default)
    {
        using var response = await SendAsync(HttpMethod.Delete, queue + "/messages", "", null, ct).ConfigureAwait(false);
        if (response.StatusCode is not (HttpStatusCode.NoContent or HttpStatusCode.NotFound))
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

    private static QueueMessage Parse(XElement e) => new(
        e.Element("MessageId")!.Value,
        e.Element("PopReceipt")!.Value,
        int.Parse(e.Element("DequeueCount")!.Value, CultureInfo.InvariantCulture),
        Encoding.UTF8.GetString(Convert.FromBase64String(e.Element("MessageText")!.Value)),
        DateTimeOffset.Parse(e.Element("InsertionTime")!.Value, CultureInfo.InvariantCulture),
        DateTimeOffset.Parse(e.Element("TimeNextVisible")!.Value, CultureInfo.InvariantCulture));

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
