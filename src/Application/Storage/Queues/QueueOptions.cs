using System.ComponentModel.DataAnnotations;

namespace Agents.Application.Storage.Queues;

/// <summary>
/// Where the queues live. Locally: an Azurite connection string (shared key). In Azure: the queue service URI
/// and a managed identity (shared keys are disabled on the account).
/// </summary>
public sealed class QueueOptions
{
    public const string Section = "Storage";

    /// <summary>Connection string with AccountName/AccountKey and QueueEndpoint (Azurite, or keys in Azure).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Queue service URI used with a token credential, e.g. https://acct.queue.core.windows.net.</summary>
    public Uri? QueueServiceUri { get; set; }

    /// <summary>Prefix for every queue name, so that test runs and environments can share one account.</summary>
    [RegularExpression("^[a-z0-9-]{0,20}$")]
    public string QueuePrefix { get; set; } = "";

    /// <summary>Deliveries after which a message is moved to the poison queue.</summary>
    [Range(1, 100)]
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>How long a received message stays invisible while a worker holds it (renewed while working).</summary>
    [Range(5, 600)]
    public int VisibilityTimeoutSeconds { get; set; } = 30;

    /// <summary>Longest idle wait between polls of an empty queue.</summary>
    [Range(100, 60_000)]
    public int MaxPollIntervalMilliseconds { get; set; } = 1000;
}
