using System.ComponentModel.DataAnnotations;

namespace Agents.Application.Http;

/// <summary>Request limits, validated with a 400/413 naming the field and the limit.</summary>
public sealed class RequestLimits
{
    public const string Section = "Limits:Requests";

    [Range(1024, 64 * 1024 * 1024)]
    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    [Range(1, 1_000_000)]
    public int MaxMessageChars { get; set; } = 32_000;

    [Range(1, 1000)]
    public int MaxTitleChars { get; set; } = 200;

    [Range(1, 100)]
    public int MaxPageSize { get; set; } = 100;

    [Range(1, 1000)]
    public int MaxMessagesPerRequest { get; set; } = 256;

    [Range(1, 512)]
    public int MaxToolsPerRequest { get; set; } = 64;
}
