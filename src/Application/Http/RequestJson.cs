using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Agents.Domain.Errors;
using Microsoft.AspNetCore.Http;

namespace Agents.Application.Http;

/// <summary>
/// Reads request bodies: JSON only, within the size limit, with a 400 that says where the JSON is wrong (the model
/// binder of minimal APIs would answer a bare 400). Unknown members are rejected so that typos do not pass silently.
/// </summary>
public static partial class RequestJson
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
            throw new ApiProblemException(Problems.MalformedJson($"{Clean(e.Message, typeof(T), e.Path)}{where}"));
        }
    }

    /// <summary>
    /// The serializer's message in the caller's terms: the kind of JSON value the member at <paramref name="path"/>
    /// takes (the message itself names the .NET type holding it, e.g. <c>AgentRequest</c>), the unknown member instead of
    /// the record it is not in.
    /// </summary>
    private static string Clean(string message, Type body, string? path)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        var text = cut > 0 ? message[..cut] : message;
        if (text.Contains("could not be converted to", StringComparison.Ordinal) && path is { Length: > 1 } && MemberType(body, path) is { } member)
        {
            return $"The value has the wrong type: expected {KindOf(member)}";
        }
        if (UnmappedMember().Match(text) is { Success: true } unmapped)
        {
            return $"'{unmapped.Groups[1].Value}' is not a member this request takes";
        }
        return TypeName().Replace(text, "the expected value");
    }

    /// <summary>The .NET type of the member a JSON path ($.tools[0].approval) points at, by the serializer's own metadata.</summary>
    private static Type? MemberType(Type root, string path)
    {
        var current = root;
        foreach (Match segment in PathSegment().Matches(path))
        {
            var info = Options.GetTypeInfo(Nullable.GetUnderlyingType(current) ?? current);
            if (segment.Groups["index"].Success)
            {
                current = info.ElementType;
            }
            else
            {
                var name = segment.Groups["name"].Success ? segment.Groups["name"].Value : segment.Groups["quoted"].Value;
                current = info.Kind == JsonTypeInfoKind.Dictionary
                    ? info.ElementType
                    : info.Properties.FirstOrDefault(p => p.Name == name)?.PropertyType;
            }
            if (current is null)
            {
                return null;
            }
        }
        return Nullable.GetUnderlyingType(current) ?? current;
    }

    /// <summary>The JSON a member of this type takes, as a client would say it.</summary>
    private static string KindOf(Type type)
    {
        if (type.IsEnum)
        {
            return "one of " + string.Join(", ", Enum.GetNames(type).Select(n => $"'{JsonNamingPolicy.SnakeCaseLower.ConvertName(n)}'"));
        }
        return Type.GetTypeCode(type) switch
        {
            TypeCode.String or TypeCode.Char => "a string",
            TypeCode.Boolean => "true or false",
            TypeCode.Byte or TypeCode.Int16 or TypeCode.Int32 or TypeCode.Int64 or TypeCode.UInt16 or TypeCode.UInt32 or TypeCode.UInt64
                or TypeCode.Single or TypeCode.Double or TypeCode.Decimal => "a number",
            TypeCode.DateTime => "a date and time (ISO 8601)",
            _ when type == typeof(DateTimeOffset) => "a date and time (ISO 8601)",
            _ => Options.GetTypeInfo(type).Kind == JsonTypeInfoKind.Enumerable ? "an array" : "an object",
        };
    }

    [GeneratedRegex(@"\.(?<name>[^.\[]+)|\['(?<quoted>[^']*)'\]|\[(?<index>\d+)\]")]
    private static partial Regex PathSegment();

    [GeneratedRegex(@"The JSON property '([^']*)' could not be mapped")]
    private static partial Regex UnmappedMember();

    [GeneratedRegex(@"'?\b(?:System|Agents)\.[\w.`\[\],+]+'?")]
    private static partial Regex TypeName();

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
