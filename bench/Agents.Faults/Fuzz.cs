using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Agents.Faults;

/// <summary>
/// Every operation of the OpenAPI document the host serves (<c>/api/openapi/v1.json</c>), and the catch-alls it leaves
/// out, called with bad input as a signed-in admin: malformed JSON, wrong types (for every member of the operation's
/// request schema, a value of another type), a JSON array or null for an object, deep nesting, bad UTF-8, bodies over
/// the limit with and without Content-Length, an empty body, a wrong media type, and route ids that are too long,
/// encoded or path-like. Promised: no answer of 500 or above, every 4xx from the app is a ProblemDetails (on the
/// gateway, the surface's own error format), and every status is one the document lists for the operation. A request
/// the Functions host's own server refuses before the app sees it (a NUL in the path) gets the host's bare 400; those
/// are counted apart.
/// </summary>
public static partial class Fuzz
{
    private const int OverLimit = 2 * 1024 * 1024;

    /// <summary>The header the app's ProblemMiddleware puts on every answer it handles.</summary>
    private const string CorrelationHeader = "x-correlation-id";

    private static readonly (string Name, Func<HttpContent> Body)[] Bodies =
    [
        ("malformed JSON", () => Json("{\"message\": ")),
        ("wrong types", () => Json("""{"message":42,"title":[],"name":{},"tools":"x","messages":5,"model":7,"scopes":1,"toolCallId":3,"approve":"yes","tier":9,"policies":3,"stream":"no","parameters":[1]}""")),
        ("an array", () => Json("[1,2,3]")),
        ("null", () => Json("null")),
        ("deep nesting", () => Json(new string('[', 10_000) + new string(']', 10_000))),
        ("bad UTF-8", () => new ByteArrayContent([.. "{\"message\":\""u8, 0xC3, 0x28, 0xFF, .. "\"}"u8]) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } }),
        ("over the limit", () => Json("{\"message\":\"" + new string('a', OverLimit) + "\"}")),
        ("over the limit, chunked", () => Chunked("{\"message\":\"" + new string('a', OverLimit) + "\"}")),
        ("empty", () => Json("")),
        ("text/plain", () => new StringContent("{\"message\":\"hi\"}", Encoding.UTF8, "text/plain")),
    ];

    private const string Nul = "%00";

    private static readonly string[] BadIds = ["x_none", new string('a', 2000), "%2e%2e%2f%2e%2e%2fetc", Nul, "%C3%BC%C3%AF", "'%20OR%201=1--", "thr_" + new string('f', 64)];

    public static async Task<ScenarioReport> RunAsync(string repo, string work, CancellationToken ct)
    {
        Directory.CreateDirectory(work);
        var loadBefore = MachineInfo.LoadAverage();
        await using var standIns = await LocalStandIns.StartAsync(repo, work, null, null, ct);
        await using var host = await FunctionsHost.StartAsync(new FunctionsHostOptions
        {
            Repo = repo, WorkDirectory = work, Name = "fuzz", Stack = standIns.Env, ModelEndpoint = standIns.ModelEndpoint, Settings = FunctionsHost.NoLimits,
        }, ct);
        using var tokens = new TokenCache(c => standIns.TokenAsync("alice", c));
        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

        var document = await http.GetFromJsonAsync<JsonObject>("/api/openapi/v1.json", ct) ?? throw new InvalidOperationException("The host serves no OpenAPI document.");
        var routes = Operations(document);
        Console.Error.WriteLine($"fuzz: {routes.Count} operations and {CatchAlls.Length} catch-alls");
        var clock = Stopwatch.StartNew();
        var statuses = new SortedDictionary<int, int>();
        var offenders = new List<string>();
        var requests = 0;
        var badFormat = 0;
        var undocumented = new SortedSet<string>(StringComparer.Ordinal);
        var byHost = 0;
        var hostExamples = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (function, method, template, requestSchema, responses) in routes)
        {
            var paths = template.Contains('{', StringComparison.Ordinal)
                ? BadIds.Select(id => ParameterPattern().Replace(template, id)).ToList()
                : [template];
            var withBody = method != HttpMethod.Get && method != HttpMethod.Delete;
            // The host's server refuses a NUL in the path before reading any body, and closes the connection: a large
            // body then never finishes sending, so such paths get only the small bodies.
            var bodies = Bodies.Concat(WrongTypes(requestSchema, document)).ToList();
            var cases = paths.SelectMany(path => withBody
                ? bodies.Where(b => !path.Contains(Nul, StringComparison.Ordinal) || !b.Name.StartsWith("over", StringComparison.Ordinal))
                    .Select(b => (path, b.Name, (Func<HttpContent>?)b.Body))
                : [(path, "no body", (Func<HttpContent>?)null)]);
            foreach (var (path, name, body) in cases)
            {
                using var request = new HttpRequestMessage(method, "/api/" + path) { Content = body?.Invoke() };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.GetAsync(ct));
                requests++;
                try
                {
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                    var status = (int)response.StatusCode;
                    statuses[status] = statuses.GetValueOrDefault(status) + 1;
                    var fromApp = response.Headers.Contains(CorrelationHeader);
                    // A catch-all answers 404, or refuses first as every route does (credential, body limit, rate limit).
                    if (fromApp && (responses is null ? status is not (404 or 401 or 403 or 413 or 429) : responses[status.ToString(CultureInfo.InvariantCulture)] is null))
                    {
                        undocumented.Add($"{method} /api/{template}: {status}");
                    }
                    var problem = await ProblemOf(response, template, ct);
                    if (problem is not null && status < 500 && !fromApp)
                    {
                        // Refused by the Functions host's own HTTP server before the app saw it (the app tags every
                        // answer with a correlation id): not the app's to format.
                        byHost++;
                        hostExamples.Add($"{method} /api/{Shorten(path)}: {status}");
                    }
                    else if (status >= 500 || problem is not null)
                    {
                        offenders.Add($"{method} /api/{Shorten(path)} ({function}, {name}): {status} {problem}");
                        badFormat += status < 500 ? 1 : 0;
                    }
                }
                catch (HttpRequestException e)
                {
                    statuses[0] = statuses.GetValueOrDefault(0) + 1;
                    offenders.Add($"{method} /api/{Shorten(path)} ({function}, {name}): no answer ({e.Message})");
                }
            }
        }

        var fivexx = statuses.Where(s => s.Key >= 500).Sum(s => s.Value);
        var text = ScenarioReport.Begin(repo, loadBefore, "./dev faults fuzz");
        text.AppendLine(CultureInfo.InvariantCulture, $"| operations (every one in the OpenAPI document the host serves), and catch-alls | {routes.Count - CatchAlls.Length} + {CatchAlls.Length} | |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| requests ({Bodies.Length} kinds of bad body and a wrong type for each member of the request schema on each operation that takes a body, {BadIds.Length} bad ids on each route with ids) | {requests} | |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| answers by status | {string.Join(", ", statuses.Select(s => $"{(s.Key == 0 ? "none" : s.Key.ToString(CultureInfo.InvariantCulture))}: {s.Value}"))} | |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| answers of 500 or above | {fivexx} | 0 |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| 4xx from the app not in the surface's error format | {badFormat} | 0 |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| statuses the document does not list for the operation | {undocumented.Count}{(undocumented.Count > 0 ? $" (e.g. `{undocumented.First()}`)" : "")} | 0 |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| 4xx from the Functions host's HTTP server before the app (no body; e.g. `{hostExamples.FirstOrDefault()}`) | {byHost} | not the app's |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| wall time (s) | {clock.Elapsed.TotalSeconds:F0} | |");
        foreach (var offender in offenders.Take(20))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"\nWrong: {offender}");
        }
        foreach (var offender in offenders)
        {
            Console.Error.WriteLine($"wrong: {offender}");
        }
        foreach (var status in undocumented)
        {
            Console.Error.WriteLine($"undocumented: {status}");
        }
        return new ScenarioReport("fuzz", offenders.Count == 0 && undocumented.Count == 0, text.ToString());
    }

    /// <summary>Null when a 4xx answer is in the route's error format (or the answer is not an error); else what is wrong.</summary>
    private static async Task<string?> ProblemOf(HttpResponseMessage response, string template, CancellationToken ct)
    {
        if ((int)response.StatusCode < 400)
        {
            return null;
        }
        var text = await response.Content.ReadAsStringAsync(ct);
        JsonNode? body;
        try
        {
            body = JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return $"not JSON: {Shorten(text)}";
        }
        var ok = template.StartsWith("openai/", StringComparison.Ordinal) ? body?["error"]?["code"] is not null
            : template.StartsWith("anthropic/", StringComparison.Ordinal) ? body?["type"]?.GetValue<string>() == "error" && body["error"]?["problem_code"] is not null
            : response.Content.Headers.ContentType?.MediaType == "application/problem+json" && body?["status"] is not null && body["code"] is not null && body["title"] is not null;
        var typeName = text.Contains("System.", StringComparison.Ordinal) || text.Contains("Exception", StringComparison.Ordinal);
        return ok && !typeName ? null : $"{response.Content.Headers.ContentType?.MediaType}: {Shorten(text)}";
    }

    /// <summary>Paths the document leaves out: each surface's catch-all, which answers 404 in its own format.</summary>
    private static readonly string[] CatchAlls = ["v1/no-such-route", "openai/v1/no-such-route", "anthropic/v1/no-such-route"];

    /// <summary>
    /// Every operation of the document (its id, method and route below /api/, its request schema, its responses), and
    /// a POST to each catch-all (no responses: a 404 is expected).
    /// </summary>
    private static List<(string Operation, HttpMethod Method, string Route, JsonObject? RequestSchema, JsonObject? Responses)> Operations(JsonObject document)
    {
        var operations = new List<(string, HttpMethod, string, JsonObject?, JsonObject?)>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var schema = operation!["requestBody"]?["content"]?["application/json"]?["schema"];
                operations.Add((operation["operationId"]!.GetValue<string>(), new HttpMethod(method.ToUpperInvariant()), path["/api/".Length..],
                    schema is null ? null : Resolve(schema, document), operation["responses"]!.AsObject()));
            }
        }
        operations.AddRange(CatchAlls.Select(path => ("(catch-all)", HttpMethod.Post, path, (JsonObject?)null, (JsonObject?)null)));
        return operations;
    }

    /// <summary>For each member of the request schema, a body with only that member, holding a value of another type.</summary>
    private static IEnumerable<(string Name, Func<HttpContent> Body)> WrongTypes(JsonObject? schema, JsonObject document)
    {
        foreach (var (member, memberSchema) in schema?["properties"]?.AsObject() ?? [])
        {
            var type = TypeOf(memberSchema is null ? null : Resolve(memberSchema, document));
            JsonNode wrong = type switch
            {
                "string" => 42,
                "integer" or "number" => "many",
                "boolean" => "yes",
                "array" => new JsonObject { ["not"] = "a list" },
                _ => new JsonArray(1, 2),
            };
            var body = new JsonObject { [member] = wrong }.ToJsonString();
            yield return ($"{member}: {type ?? "object"} as {wrong.GetValueKind().ToString().ToLowerInvariant()}", () => Json(body));
        }
    }

    /// <summary>A schema with its $ref (or a nullable anyOf of one) followed into the document's components.</summary>
    private static JsonObject Resolve(JsonNode schema, JsonObject document)
    {
        if (schema["anyOf"] is JsonArray any && any.FirstOrDefault(s => s?["$ref"] is not null) is { } referenced)
        {
            return Resolve(referenced, document);
        }
        return schema["$ref"]?.GetValue<string>() is { } reference
            ? document["components"]!["schemas"]![reference["#/components/schemas/".Length..]]!.AsObject()
            : schema.AsObject();
    }

    private static string? TypeOf(JsonObject? schema) => schema?["type"] switch
    {
        JsonValue single => single.GetValue<string>(),
        JsonArray types => types.Select(t => t!.GetValue<string>()).FirstOrDefault(t => t != "null"),
        _ => schema?["enum"] is not null ? "string" : null,
    };

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    /// <summary>A body sent with Transfer-Encoding: chunked (no Content-Length), as HTTP/2 clients and streams send.</summary>
    private static StreamContent Chunked(string text)
    {
        var content = new StreamContent(new UnseekableStream(Encoding.UTF8.GetBytes(text)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static string Shorten(string text) => text.Length <= 160 ? text : text[..160] + "…";

    [GeneratedRegex("\\{\\*?[^}]+\\}")]
    private static partial Regex ParameterPattern();

    /// <summary>A stream whose length HttpClient cannot know, so it sends the body chunked.</summary>
    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
