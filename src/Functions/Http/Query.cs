using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Agents.Functions.Http;

/// <summary>
/// Query values as minimal APIs bind them for the shared handlers: absent or empty is null, malformed is a
/// <see cref="BadHttpRequestException"/> (a 400 problem through ProblemMiddleware).
/// </summary>
internal static class Query
{
    public static string? Text(HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var values) ? values.ToString() : null;

    public static int? Int(HttpRequest request, string name) => Text(request, name) is { Length: > 0 } text
        ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : throw Malformed("int?", name, text)
        : null;

    public static bool? Bool(HttpRequest request, string name) => Text(request, name) is { Length: > 0 } text
        ? bool.TryParse(text, out var value) ? value : throw Malformed("bool?", name, text)
        : null;

    private static BadHttpRequestException Malformed(string type, string name, string value) =>
        new($"Failed to bind parameter \"{type} {name}\" from \"{value}\".");
}
