using System.Text;
using System.Text.Json.Nodes;

namespace Agents.IntegrationTests.Infrastructure;

/// <summary>One server-sent event, or a comment (heartbeat) when <see cref="Comment"/> is set.</summary>
public sealed record SseEvent(long? Id, string? Type, string Data, string? Comment = null)
{
    public JsonNode Json => JsonNode.Parse(Data)!;
}

/// <summary>A minimal SSE reader for tests: yields events and comments in order until the stream ends.</summary>
public static class Sse
{
    public static async IAsyncEnumerable<SseEvent> ReadAsync(Stream stream, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        long? id = null;
        string? type = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0 || type is not null)
                {
                    yield return new SseEvent(id, type, data.ToString().TrimEnd('\n'));
                }
                id = null;
                type = null;
                data.Clear();
                continue;
            }
            if (line.StartsWith(':'))
            {
                yield return new SseEvent(null, null, "", line[1..].Trim());
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id":
                    id = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "event":
                    type = value;
                    break;
                case "data":
                    data.Append(value).Append('\n');
                    break;
            }
        }
    }

    /// <summary>Opens a run's event stream (optionally resuming after <paramref name="lastEventId"/>).</summary>
    public static async Task<HttpResponseMessage> OpenAsync(HttpClient http, string threadId, string runId, long? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/threads/{threadId}/runs/{runId}/events");
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is { } last)
        {
            request.Headers.Add("Last-Event-ID", last.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }
}
