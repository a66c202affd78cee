namespace Agents.Application.Storage.Queues;

/// <summary>The queues of the system. The same names are bound by the Azure Functions queue triggers.</summary>
public static class QueueNames
{
    /// <summary>Results to write to Cosmos DB: messages, run state, usage, deferred deletes.</summary>
    public const string Persist = "persist";

    /// <summary>Where a message goes after too many failed deliveries (the Functions convention).</summary>
    public static string Poison(string queue) => queue + "-poison";
}
