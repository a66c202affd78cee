using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Agents.Application.Gateway;
using Agents.Application.Http;
using Agents.Domain.Identity;
using Agents.Identity;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;

namespace Agents.Functions.OpenApi;

/// <summary>
/// The OpenAPI 3.1 document of the HTTP functions, built from the functions themselves: each function's method, route
/// and path parameters from its <see cref="HttpTriggerAttribute"/>, its success responses from its typed result
/// (<c>Ok&lt;T&gt;</c>, <c>Created&lt;T&gt;</c>, <c>Accepted&lt;T&gt;</c>, <c>NoContent</c>), its summary and tag from
/// <see cref="EndpointSummaryAttribute"/> and <see cref="TagsAttribute"/>, and the rest from the attributes in
/// OperationAttributes.cs; the errors from where the route is (<see cref="Errors"/>). Functions marked
/// <see cref="ExcludeFromDescriptionAttribute"/> (the catch-alls) are left out. Microsoft.AspNetCore.OpenApi
/// describes endpoints of ASP.NET Core's routing, which Functions do not use, so this reads the functions instead.
/// The chat app's API types are generated from a copy of the document (src/Web/src/api/openapi.json), which
/// OpenApiDocumentTests keeps equal to this one (<c>./dev openapi</c> writes it).
/// </summary>
public static partial class OpenApiDocumentBuilder
{
    public const string RoutePrefix = "/api/";

    /// <summary>How the document is written, served and kept in the chat app: indented, so a change reads as a diff.</summary>
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static JsonObject Build(Assembly functions, JsonSerializerOptions json)
    {
        var schemas = new SchemaComponents(json);
        var paths = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var function in HttpFunctions(functions))
        {
            var path = RoutePrefix + function.Trigger.Route;
            var item = paths.TryGetValue(path, out var existing) ? existing : paths[path] = [];
            foreach (var method in function.Trigger.Methods ?? [])
            {
                item[method.ToLowerInvariant()] = Operation(function, path, method, schemas);
            }
        }
        var components = new JsonObject { ["schemas"] = schemas.Schemas, ["securitySchemes"] = SecuritySchemes() };
        NamedSchemas.AddTo(schemas.Schemas);
        return new JsonObject
        {
            ["openapi"] = "3.1.1",
            ["info"] = new JsonObject
            {
                ["title"] = "Agents API",
                ["version"] = "v1",
                ["description"] = "Threads, durable agent runs with tools and approvals, event streams, usage and limits, API keys, admin policies, "
                    + "and an OpenAI- and Anthropic-compatible gateway. Errors are RFC 9457 ProblemDetails (the gateway answers in its surface's own error format).",
            },
            ["paths"] = new JsonObject(paths.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["components"] = components,
        };
    }

    /// <summary>The HTTP functions of <paramref name="functions"/> that the document describes.</summary>
    public static IEnumerable<HttpFunction> HttpFunctions(Assembly functions) =>
        from type in functions.GetTypes()
        from method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
        let name = method.GetCustomAttribute<FunctionAttribute>()?.Name
        let trigger = method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(t => t is not null)
        where name is not null && trigger is not null && method.GetCustomAttribute<ExcludeFromDescriptionAttribute>() is null
        orderby trigger.Route, name
        select new HttpFunction(name, method, trigger);

    private static JsonObject Operation(HttpFunction function, string path, string method, SchemaComponents schemas)
    {
        var m = function.Method;
        var operation = new JsonObject { ["operationId"] = function.Name };
        if (m.GetCustomAttribute<EndpointSummaryAttribute>() is { } summary)
        {
            operation["summary"] = summary.Summary;
        }
        if ((m.GetCustomAttribute<TagsAttribute>() ?? m.DeclaringType!.GetCustomAttribute<TagsAttribute>()) is { } tags)
        {
            operation["tags"] = new JsonArray(tags.Tags.Select(t => (JsonNode)t).ToArray());
        }
        var parameters = new JsonArray();
        foreach (Match p in PathParameter().Matches(function.Trigger.Route ?? ""))
        {
            parameters.Add(new JsonObject { ["name"] = p.Groups[1].Value, ["in"] = "path", ["required"] = true, ["schema"] = new JsonObject { ["type"] = "string" } });
        }
        foreach (var q in m.GetCustomAttributes<QueryParameterAttribute>())
        {
            parameters.Add(new JsonObject { ["name"] = q.Name, ["in"] = "query", ["description"] = q.Description, ["schema"] = schemas.For(q.Type) });
        }
        if (parameters.Count > 0)
        {
            operation["parameters"] = parameters;
        }
        var body = m.GetCustomAttribute<RequestBodyAttribute>();
        if (body is not null)
        {
            operation["requestBody"] = new JsonObject
            {
                ["required"] = body.Required,
                ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = body.Type is { } t ? schemas.For(t) : SchemaComponents.Reference(body.Schema!) } },
            };
        }

        var surface = SurfaceOf(path);
        var responses = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var (status, description, type) in TypedResponses(m.ReturnType))
        {
            responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Response(description, type is null ? null : schemas.For(type), "application/json");
        }
        foreach (var r in m.GetCustomAttributes<ResponseAttribute>())
        {
            var key = r.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var schema = r.Type is { } t ? schemas.For(t) : SchemaComponents.Reference(r.Schema!);
            if (responses.TryGetValue(key, out var existing) && existing["content"] is JsonObject content)
            {
                content[r.ContentType] = new JsonObject { ["schema"] = schema };
                existing["description"] = $"{existing["description"]}; or {r.Description}";
            }
            else
            {
                responses[key] = Response(r.Description, schema, r.ContentType);
            }
        }
        if (responses.Count == 0)
        {
            throw new InvalidOperationException($"{function.Name} declares no success response: return a typed result (Ok<T>, Created<T>...) or add [Response].");
        }
        var extra = m.GetCustomAttribute<ProblemsAttribute>()?.Statuses ?? [];
        foreach (var status in Errors(surface, parameters.Any(p => p!["in"]!.GetValue<string>() == "path"), body is not null).Concat(extra).Distinct().Order())
        {
            responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = ErrorResponse(surface, status);
        }
        operation["responses"] = new JsonObject(responses.Select(r => KeyValuePair.Create(r.Key, (JsonNode?)r.Value)));

        if (surface == Surface.Open)
        {
            operation["security"] = new JsonArray();
        }
        else
        {
            operation["security"] = Security(surface);
            if (KeyScopes.For(new PathString(path), method) is { } scope)
            {
                operation["x-api-key-scope"] = scope;
            }
            if (path.StartsWith(ApiPaths.Prefix + "/admin", StringComparison.Ordinal))
            {
                operation["x-required-role"] = Caller.AdminRole;
            }
        }
        return operation;
    }

    /// <summary>The responses a typed result type shows: <c>Task&lt;Results&lt;Ok&lt;A&gt;, Created&lt;B&gt;&gt;&gt;</c> is 200 A and 201 B.</summary>
    private static IEnumerable<(int Status, string Description, Type? Body)> TypedResponses(Type type)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() is var definition && (definition == typeof(Task<>) || definition == typeof(ValueTask<>)))
        {
            return TypedResponses(type.GetGenericArguments()[0]);
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition().FullName!.StartsWith("Microsoft.AspNetCore.Http.HttpResults.Results`", StringComparison.Ordinal))
        {
            return type.GetGenericArguments().SelectMany(TypedResponses);
        }
        var generic = type.IsGenericType ? type.GetGenericTypeDefinition() : null;
        return generic == typeof(Ok<>) ? [(200, "OK", type.GetGenericArguments()[0])]
            : generic == typeof(Created<>) ? [(201, "Created (its URL in Location)", type.GetGenericArguments()[0])]
            : generic == typeof(Accepted<>) ? [(202, "Accepted", type.GetGenericArguments()[0])]
            : type == typeof(NoContent) ? [(204, "No content", null)]
            : type == typeof(Ok) ? [(200, "OK", null)]
            : [];
    }

    private enum Surface
    {
        Open,
        Api,
        OpenAi,
        Anthropic,
    }

    private static Surface SurfaceOf(string path) =>
        path.StartsWith(ApiPaths.Prefix + "/", StringComparison.Ordinal) || path == ApiPaths.Prefix ? Surface.Api
        : path.StartsWith(GatewayRoutes.OpenAiPrefix + "/", StringComparison.Ordinal) ? Surface.OpenAi
        : path.StartsWith(GatewayRoutes.AnthropicPrefix + "/", StringComparison.Ordinal) ? Surface.Anthropic
        : Surface.Open;

    /// <summary>
    /// The error statuses every operation of a kind has: under /api/v1, a bad request, no or a bad credential, a
    /// missing role or key scope, a body over the size limit (refused before the route reads it), the rate limit, and a
    /// dependency outage, plus not found for a path with ids and a non-JSON body where there is a body; on the gateway,
    /// also the upstream model's failures.
    /// </summary>
    private static IEnumerable<int> Errors(Surface surface, bool hasPathIds, bool hasBody) => surface switch
    {
        Surface.Open => [],
        Surface.Api => [400, 401, 403, .. hasPathIds ? [404] : Array.Empty<int>(), 413, .. hasBody ? [415] : Array.Empty<int>(), 429, 503],
        _ => [400, 401, 403, 404, 413, 415, 429, 502, 503, 504],
    };

    private static JsonObject ErrorResponse(Surface surface, int status)
    {
        var (schema, type) = surface switch
        {
            Surface.OpenAi => (NamedSchemas.OpenAiError, "application/json"),
            Surface.Anthropic => (NamedSchemas.AnthropicError, "application/json"),
            _ => (NamedSchemas.Problem, "application/problem+json"),
        };
        return Response(Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status), SchemaComponents.Reference(schema), type);
    }

    private static JsonObject Response(string description, JsonNode? schema, string contentType)
    {
        var response = new JsonObject { ["description"] = description };
        if (schema is not null)
        {
            response["content"] = new JsonObject { [contentType] = new JsonObject { ["schema"] = schema } };
        }
        return response;
    }

    private static JsonObject SecuritySchemes() => new()
    {
        ["bearer"] = new JsonObject
        {
            ["type"] = "http", ["scheme"] = "bearer", ["bearerFormat"] = "JWT",
            ["description"] = "An access token from Entra ID or the configured OpenID Connect provider (RS256).",
        },
        ["apiKey"] = new JsonObject
        {
            ["type"] = "apiKey", ["in"] = "header", ["name"] = CallerAuthenticator.ApiKeyHeader,
            ["description"] = "An API key (agk_...) from POST /api/v1/api-keys; it may do what its scopes (x-api-key-scope) and its owner's roles allow.",
        },
        ["anthropicApiKey"] = new JsonObject
        {
            ["type"] = "apiKey", ["in"] = "header", ["name"] = CallerAuthenticator.AnthropicApiKeyHeader,
            ["description"] = "The same API key in Anthropic's header (the Anthropic surface only).",
        },
    };

    private static JsonArray Security(Surface surface)
    {
        var options = new JsonArray(new JsonObject { ["bearer"] = new JsonArray() }, new JsonObject { ["apiKey"] = new JsonArray() });
        if (surface == Surface.Anthropic)
        {
            options.Add(new JsonObject { ["anthropicApiKey"] = new JsonArray() });
        }
        return options;
    }

    [GeneratedRegex(@"\{\*?([A-Za-z0-9_]+)[^}]*\}")]
    private static partial Regex PathParameter();
}

/// <summary>An HTTP function as the document sees it.</summary>
public sealed record HttpFunction(string Name, MethodInfo Method, HttpTriggerAttribute Trigger);
