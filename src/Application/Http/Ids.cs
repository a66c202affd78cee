namespace Agents.Application.Http;

/// <summary>New resource ids: a type prefix and a time-ordered GUID (version 7), so ids sort by creation.</summary>
public static class Ids
{
    public static string New(string prefix) => $"{prefix}_{Guid.CreateVersion7():N}";
}
