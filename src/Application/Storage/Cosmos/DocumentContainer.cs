using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Azure.Cosmos;

namespace Agents.Application.Storage.Cosmos;

/// <summary>A stored item and its ETag (for optimistic concurrency).</summary>
public sealed record Stored<T>(T Value, string ETag);

/// <summary>A page of items and the opaque cursor of the next page (null at the end).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>
/// Domain records stored as Cosmos documents: the record's JSON plus <c>pk</c> (the partition key, which always starts
/// with the owner) and <c>type</c>. Every operation names the partition, so no query crosses owners.
/// </summary>
public sealed class DocumentContainer(Container container)
{
    public Container Raw => container;

    public async Task<string> CreateAsync<T>(string pk, string type, T value, CancellationToken ct)
    {
        var response = await container.CreateItemAsync(ToDocument(pk, type, value), new PartitionKey(pk), NoContent, ct).ConfigureAwait(false);
        return response.ETag;
    }

    /// <summary>Creates the document unless one with the same id exists; returns false when it already did.</summary>
    public async Task<bool> TryCreateAsync<T>(string pk, string type, T value, CancellationToken ct)
    {
        try
        {
            await CreateAsync(pk, type, value, ct).ConfigureAwait(false);
            return true;
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    public async Task<string> UpsertAsync<T>(string pk, string type, T value, CancellationToken ct, string? ifMatch = null)
    {
        var options = new ItemRequestOptions { EnableContentResponseOnWrite = false, IfMatchEtag = ifMatch };
        var response = await container.UpsertItemAsync(ToDocument(pk, type, value), new PartitionKey(pk), options, ct).ConfigureAwait(false);
        return response.ETag;
    }

    /// <summary>Replaces the document if its ETag still matches; throws a 412 CosmosException otherwise.</summary>
    public async Task<string> ReplaceAsync<T>(string pk, string type, string id, T value, string ifMatch, CancellationToken ct)
    {
        var options = new ItemRequestOptions { EnableContentResponseOnWrite = false, IfMatchEtag = ifMatch };
        var response = await container.ReplaceItemAsync(ToDocument(pk, type, value), id, new PartitionKey(pk), options, ct).ConfigureAwait(false);
        return response.ETag;
    }

    public async Task<Stored<T>?> ReadAsync<T>(string pk, string id, CancellationToken ct)
    {
        using var response = await container.ReadItemStreamAsync(id, new PartitionKey(pk), cancellationToken: ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        var value = await JsonSerializer.DeserializeAsync<T>(response.Content, CosmosDatabase.Json, ct).ConfigureAwait(false);
        return new Stored<T>(value!, response.Headers.ETag);
    }

    public async Task<bool> DeleteAsync(string pk, string id, CancellationToken ct)
    {
        using var response = await container.DeleteItemStreamAsync(id, new PartitionKey(pk), cancellationToken: ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        response.EnsureSuccessStatusCode();
        return true;
    }

    /// <summary>Runs a query inside one partition and returns one page; the cursor is Cosmos' continuation token.</summary>
    public async Task<Page<T>> QueryPageAsync<T>(string pk, QueryDefinition query, int limit, string? cursor, CancellationToken ct)
    {
        var options = new QueryRequestOptions { PartitionKey = new PartitionKey(pk), MaxItemCount = limit };
        using var iterator = container.GetItemQueryIterator<T>(query, DecodeCursor(cursor), options);
        if (!iterator.HasMoreResults)
        {
            return new Page<T>([], null);
        }
        try
        {
            var page = await iterator.ReadNextAsync(ct).ConfigureAwait(false);
            return new Page<T>(page.ToList(), EncodeCursor(page.ContinuationToken));
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.BadRequest && cursor is not null)
        {
            throw new InvalidCursorException();
        }
    }

    /// <summary>Runs a query inside one partition and returns every result (for small, bounded sets).</summary>
    public async Task<List<T>> QueryAllAsync<T>(string? pk, QueryDefinition query, CancellationToken ct)
    {
        var options = pk is null ? new QueryRequestOptions() : new QueryRequestOptions { PartitionKey = new PartitionKey(pk) };
        using var iterator = container.GetItemQueryIterator<T>(query, requestOptions: options);
        var items = new List<T>();
        while (iterator.HasMoreResults)
        {
            items.AddRange(await iterator.ReadNextAsync(ct).ConfigureAwait(false));
        }
        return items;
    }

    private static readonly ItemRequestOptions NoContent = new() { EnableContentResponseOnWrite = false };

    private static JsonObject ToDocument<T>(string pk, string type, T value)
    {
        var node = JsonSerializer.SerializeToNode(value, CosmosDatabase.Json)!.AsObject();
        node["pk"] = pk;
        node["type"] = type;
        return node;
    }

    /// <summary>A cursor is Cosmos DB's continuation token, base64url-encoded (RFC 4648 §5) so it goes in a query string as it is.</summary>
    private static string? EncodeCursor(string? continuation) => continuation is null
        ? null
        : Base64Url.EncodeToString(Encoding.UTF8.GetBytes(continuation));

    private static string? DecodeCursor(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }
        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException)
        {
            throw new InvalidCursorException();
        }
    }
}

/// <summary>The client sent a cursor we did not issue.</summary>
public sealed class InvalidCursorException() : Exception("The cursor is not valid.");
