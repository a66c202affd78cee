namespace Agents.Application.Storage.Cosmos;

/// <summary>
/// How partition key values are composed. Each starts with the owner's user id, so isolation between users is a
/// property of the addressing, not of a filter someone might forget.
/// </summary>
public static class PartitionKeys
{
    /// <summary>A user's threads, usage, API keys and private agents.</summary>
    public static string Owner(string userId) => userId;

    /// <summary>A thread's messages, and its runs with what they keep beside them (approvals, prompt chunks, large updates).</summary>
    public static string Thread(string userId, string threadId) => $"{userId}|{threadId}";

    /// <summary>A run's event log.</summary>
    public static string RunEvents(string userId, string runId) => $"{userId}|{runId}";
}
