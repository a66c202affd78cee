using System.ComponentModel.DataAnnotations;

namespace Agents.Application.Streaming;

public sealed class StreamingOptions
{
    public const string Section = "Streaming";

    /// <summary>Seconds between heartbeat comments, so proxies keep an idle stream open.</summary>
    [Range(1, 300)]
    public int HeartbeatSeconds { get; set; } = 15;

    /// <summary>The reconnection delay suggested to clients (the SSE <c>retry:</c> field).</summary>
    [Range(100, 60_000)]
    public int RetryMilliseconds { get; set; } = 3000;

    /// <summary>First poll interval of the log when the run executes elsewhere; doubles while idle.</summary>
    [Range(50, 10_000)]
    public int PollMinMilliseconds { get; set; } = 250;

    [Range(100, 60_000)]
    public int PollMaxMilliseconds { get; set; } = 2000;

    /// <summary>How long run events are kept.</summary>
    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 7;
}
