using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace Agents.IntegrationTests.Infrastructure;

/// <summary>
/// The OpenAPI document a host serves (<c>/api/openapi/v1.json</c>), as a check of every response the tests receive:
/// the route and method (under /api; the host's own /admin routes are not the app's) are an operation of the document (or a catch-all's 404), the status is one of the operation's
/// responses, the media type is one it declares, and a JSON body is valid against its schema (JsonSchema.Net, JSON
/// Schema 2020-12, which OpenAPI 3.1 uses). A response that does not match throws <see cref="ContractViolationException"/>,
/// so the test that received it fails.
/// </summary>
public sealed partial class ApiContract
{
    private const string DocumentPath = "/api/openapi/v1.json";

    private static readonly ConcurrentDictionary<string, Lazy<Task<ApiContract>>> Contracts = new(StringComparer.Ordinal);

    private readonly List<(Regex Pattern, string Template, JsonObject Item)> paths;
    private readonly JsonObject definitions;
    private readonly ConcurrentDictionary<string, JsonSchema> schemas = new(StringComparer.Ordinal);

    private ApiContract(JsonObject document)
    {
        Document = document;
        definitions = (JsonObject)JsonNode.Parse(Rebase(document["components"]!["schemas"]!.ToJsonString()))!;
        paths = [.. document["paths"]!.AsObject().Select(p => (Template(p.Key), p.Key, p.Value!.AsObject()))];
    }

    public JsonObject Document { get; }

    /// <summary>The contract of the host at <paramref name="address"/>, read once per host.</summary>
    public static async Task<ApiContract> ForAsync(Uri address)
    {
        var origin = address.GetLeftPart(UriPartial.Authority);
        var load = Contracts.GetOrAdd(origin, o => new Lazy<Task<ApiContract>>(() => LoadAsync(o)));
        try
        {
            return await load.Value;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Contracts.TryRemove(KeyValuePair.Create(origin, load)); // a host that was not up yet, or a later host on the same port
            throw;
        }
    }

    /// <summary>Throws <see cref="ContractViolationException"/> when <paramref name="response"/> is not what the document says.</summary>
    public async Task CheckAsync(HttpRequestMessage request, HttpResponseMessage response)
    {
        var path = request.RequestUri!.AbsolutePath;
        var method = request.Method.Method.ToLowerInvariant();
        var status = (int)response.StatusCode;
        var where = $"{request.Method} {path} answered {status}";
        if (method is "head" or "options" || path == DocumentPath || !path.StartsWith("/api/", StringComparison.Ordinal))
        {
            return;
        }
        var item = paths.FirstOrDefault(p => p.Pattern.IsMatch(path));
        if (item.Item?[method] is not JsonObject operation)
        {
            // No operation: a catch-all answers, with the API's route_not_found or the gateway's not-supported error
            // (after authentication, the body limit and the rate limit, whose refusals are in the same format).
            if (status is not (404 or 401 or 403 or 413 or 429))
            {
                throw new ContractViolationException($"{where}, but the document has no operation {method.ToUpperInvariant()} for this path");
            }
            await CheckBodyAsync(response, ErrorSchemaFor(path), where);
            return;
        }
        var responses = operation["responses"]!.AsObject();
        if (responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] is not JsonObject declared)
        {
            throw new ContractViolationException($"{where}, a status {item.Template} does not declare (it declares {string.Join(", ", responses.Select(r => r.Key))})");
        }
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        var content = declared["content"] as JsonObject;
        if (content is null)
        {
            var length = response.Content.Headers.ContentLength ?? (await response.Content.ReadAsByteArrayAsync()).Length;
            if (length > 0)
            {
                throw new ContractViolationException($"{where} with a body ({mediaType}), where the document declares none");
            }
            return;
        }
        if (mediaType is null || content[mediaType] is not JsonObject media)
        {
            throw new ContractViolationException($"{where} as {mediaType ?? "no media type"}, where the document declares {string.Join(", ", content.Select(c => c.Key))}");
        }
        if (mediaType.EndsWith("json", StringComparison.Ordinal))
        {
            await CheckBodyAsync(response, media["schema"]!, where);
        }
    }

    private static async Task<ApiContract> LoadAsync(string origin)
    {
        using var http = new HttpClient { BaseAddress = new Uri(origin), Timeout = TimeSpan.FromSeconds(30) };
        var document = await http.GetFromJsonAsync<JsonObject>(DocumentPath)
            ?? throw new InvalidOperationException($"{origin}{DocumentPath} is empty");
        return new ApiContract(document);
    }

    private async Task CheckBodyAsync(HttpResponseMessage response, JsonNode schema, string where)
    {
        await response.Content.LoadIntoBufferAsync();
        var text = await response.Content.ReadAsStringAsync();
        JsonElement body;
        try
        {
            body = JsonDocument.Parse(text).RootElement;
        }
        catch (JsonException e)
        {
            throw new ContractViolationException($"{where} with a body that is not JSON ({e.Message}): {Cut(text)}");
        }
        var results = SchemaFor(schema).Evaluate(body, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!results.IsValid)
        {
            var errors = (results.Details ?? []).Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value} ({d.SchemaLocation})"));
            throw new ContractViolationException($"{where} with a body that does not match the document: {string.Join("; ", errors.Take(5))}; body: {Cut(text)}");
        }
    }

    /// <summary>A response schema as a JSON Schema of its own, with the document's components as its $defs.</summary>
    private JsonSchema SchemaFor(JsonNode schema)
    {
        var key = schema.ToJsonString();
        return schemas.GetOrAdd(key, _ =>
        {
            var id = new Uri($"https://contract.test/{Guid.NewGuid():N}");
            var root = new JsonObject
            {
                ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
                ["$id"] = id.AbsoluteUri,
                ["$defs"] = definitions.DeepClone(),
            };
            foreach (var (name, value) in JsonNode.Parse(Rebase(key))!.AsObject())
            {
                root[name] = value?.DeepClone();
            }
            return JsonSchema.FromText(root.ToJsonString(), new BuildOptions { SchemaRegistry = new SchemaRegistry() }, id);
        });
    }

    private static JsonObject ErrorSchemaFor(string path) => new()
    {
        ["$ref"] = "#/components/schemas/" + (path.StartsWith("/api/openai/", StringComparison.Ordinal) ? "OpenAiError"
            : path.StartsWith("/api/anthropic/", StringComparison.Ordinal) ? "AnthropicError" : "Problem"),
    };

    private static string Rebase(string json) => json.Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal);

    private static Regex Template(string template) =>
        new("^" + PathParameter().Replace(Regex.Escape(template).Replace(@"\{", "{", StringComparison.Ordinal), "[^/]+") + "/?$", RegexOptions.CultureInvariant);

    private static string Cut(string text) => text.Length > 600 ? text[..600] + "…" : text;

    [GeneratedRegex(@"\{[A-Za-z0-9_]+\}")]
    private static partial Regex PathParameter();
}

/// <summary>A response the OpenAPI document does not describe.</summary>
public sealed class ContractViolationException(string message) : Exception(message);

/// <summary>Checks every response against the host's <see cref="ApiContract"/> before the test sees it.</summary>
public sealed class ContractHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    public ContractHandler()
        : this(new SocketsHttpHandler())
    {
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var contract = await ApiContract.ForAsync(request.RequestUri!);
        await contract.CheckAsync(request, response);
        return response;
    }
}
