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
}
