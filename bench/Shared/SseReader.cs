using System.Text;

namespace Agents.Benchmarks.Support;

/// <summary>One server-sent event (comments such as heartbeats are skipped); <see cref="Id"/> is null when it has none.</summary>
public sealed record SseEvent(string? Type, string Data, string? Id = null);

/// <summary>Reads server-sent events one at a time from a response body.</summary>
public sealed class SseReader(Stream body) : IDisposable
{
    private readonly StreamReader reader = new(body, Encoding.UTF8);

    /// <summary>The next event, or null when the stream ended.</summary>
    public async Task<SseEvent?> NextAsync(CancellationToken ct)
    {
        string? type = null;
        string? id = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0 || type is not null)
                {
                    return new SseEvent(type, data.ToString().TrimEnd('\n'), id);
                }
                continue;
            }
            if (line.StartsWith(':'))
            {
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            if (field == "event")
            {
                type = value;
            }
            else if (field == "id")
            {
                id = value;
            }
            else if (field == "data")
            {
                data.Append(value).Append('\n');
            }
        }
        return null;
    }

    public void Dispose() => reader.Dispose();
}
