using System.Text.Json;
using System.Text.Json.Serialization;
using Agents.Domain.Errors;
using Microsoft.AspNetCore.Http;

namespace Agents.Application.Http;

/// <summary>
/// Reads request bodies: JSON only, within the size limit, with a 400 that says where the JSON is wrong (the model
/// binder of minimal APIs would answer a bare 400). Unknown members are rejected so that typos do not pass silently.
/// </summary>
public static class RequestJson
{
    public static readonly JsonSerializerOptions Options = CreateOptions();

    public static async Task<T> ReadAsync<T>(HttpRequest request, CancellationToken ct) where T : class
    {
        if (request.ContentLength == 0 || (request.ContentLength is null && !request.Body.CanSeek && request.Headers.TransferEncoding.Count == 0))
        {
            throw new ApiProblemException(Problems.BodyRequired());
        }
        if (!request.HasJsonContentType())
        {
            throw new ApiProblemException(Problems.UnsupportedMediaType(request.ContentType));
        }
        try
        {
            return await request.ReadFromJsonAsync<T>(Options, ct).ConfigureAwait(false) ?? throw new ApiProblemException(Problems.BodyRequired());
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 1 } path ? $" at {path}" : "";
            throw new ApiProblemException(Problems.MalformedJson($"{Clean(e.Message)}{where}"));
        }
    }

    /// <summary>The serializer's message without its type names (they mean nothing to a client).</summary>
    private static string Clean(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        var text = cut > 0 ? message[..cut] : message;
        return text.Replace("Agents.Application.Api.", "", StringComparison.Ordinal);
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            MaxDepth = 32,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        return options;
    }
}
