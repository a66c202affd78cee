namespace Agents.Application.Http;

/// <summary>
/// A stored document's ETag as an HTTP entity tag. Cosmos DB's come quoted; the local emulator's are bare UUIDs, which
/// HTTP clients cannot parse as an <c>ETag</c> header. So the header is always quoted, and an <c>If-Match</c> is compared
/// without the quotes (or a weak <c>W/</c> prefix).
/// </summary>
public static class EntityTags
{
    public static string ToHeader(string etag) => etag.StartsWith('"') ? etag : $"\"{etag}\"";

    public static bool Match(string ifMatch, string etag) => Bare(ifMatch) == Bare(etag);

    private static string Bare(string tag)
    {
        var value = tag.Trim();
        value = value.StartsWith("W/", StringComparison.Ordinal) ? value[2..] : value;
        return value.Trim('"');
    }
}
