using System.Globalization;
using Agents.Application.Http;
using Agents.Domain.Errors;
using Microsoft.AspNetCore.Http;

namespace Agents.Functions.Http;

/// <summary>
/// Query values for the shared handlers: absent or empty is null; a value that is not of the parameter's kind is a 400
/// <c>validation_failed</c> naming the parameter in the caller's terms (minimal APIs' binder would name the .NET type).
/// </summary>
internal static class Query
{
    public static string? Text(HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var values) ? values.ToString() : null;

    public static int? Int(HttpRequest request, string name) => Text(request, name) is { Length: > 0 } text
        ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : throw Malformed(name, "a whole number", text)
        : null;

    public static bool? Bool(HttpRequest request, string name) => Text(request, name) is { Length: > 0 } text
        ? bool.TryParse(text, out var value) ? value : throw Malformed(name, "true or false", text)
        : null;

    private static ApiProblemException Malformed(string name, string kind, string value) =>
        new(Problems.Field(name, $"must be {kind}, not '{(value.Length <= 40 ? value : value[..40] + "…")}'"));
}
