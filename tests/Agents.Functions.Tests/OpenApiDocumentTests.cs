using System.Text.Json.Nodes;
using Agents.Application.Hosting;
using Agents.Functions.OpenApi;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Agents.Functions.Tests;

/// <summary>
/// The OpenAPI document the app serves, built from its functions with the JSON settings its responses are written
/// with: valid OpenAPI (read back and validated by Microsoft.OpenApi), complete (a summary and a success response for
/// every operation), and true to the serializer where the integration tests cannot tell (what is optional).
/// </summary>
public sealed class OpenApiDocumentTests
{
    private static readonly int[] EveryApiOperationsErrors = [400, 401, 403, 429, 503];

    private static readonly Lazy<JsonObject> Document = new(() => OpenApiDocumentBuilder.Build(typeof(OpenApiFunctions).Assembly, ResponseJson()));

    [Fact]
    public void IsValidOpenApi31_WithoutErrorsOrWarnings()
    {
        var result = OpenApiDocument.Parse(Document.Value.ToJsonString(), "json", new OpenApiReaderSettings());

        result.Diagnostic.ShouldNotBeNull();
        result.Diagnostic.Errors.Select(e => $"{e.Pointer}: {e.Message}").ShouldBeEmpty();
        result.Diagnostic.SpecificationVersion.ShouldBe(OpenApiSpecVersion.OpenApi3_1);
        var errors = result.Document!.Validate(ValidationRuleSet.GetDefaultRuleSet())?.ToList() ?? [];
        errors.Select(e => $"{e.Pointer}: {e.Message}").ShouldBeEmpty();
    }

    [Fact]
    public void DescribesEveryHttpFunction_WithASummary_ASuccessResponse_AndItsErrors()
    {
        var operations = Operations().ToList();
        var functions = OpenApiDocumentBuilder.HttpFunctions(typeof(OpenApiFunctions).Assembly).Select(f => f.Name).Order().ToList();

        operations.Select(o => o.Operation["operationId"]!.GetValue<string>()).Order().ShouldBe(functions);
        functions.Count.ShouldBeGreaterThan(35);
        foreach (var (path, method, operation) in operations)
        {
            var name = $"{method.ToUpperInvariant()} {path}";
            operation["summary"].ShouldNotBeNull(name);
            var statuses = operation["responses"]!.AsObject().Select(r => int.Parse(r.Key, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            statuses.ShouldContain(s => s >= 200 && s < 300, name);
            statuses.ShouldNotContain(500, name);
            if (path.StartsWith("/api/v1/", StringComparison.Ordinal))
            {
                EveryApiOperationsErrors.Except(statuses).ShouldBeEmpty(name);
                if (path != "/api/v1/me")
                {
                    operation["x-api-key-scope"].ShouldNotBeNull(name); // who am I: any key may ask
                }
                operation["responses"]!["401"]!["content"]!["application/problem+json"]!["schema"]!["$ref"]!.GetValue<string>().ShouldBe("#/components/schemas/Problem");
            }
        }
    }

    [Fact]
    public void CatchAllRoutes_AreNotOperations()
    {
        var paths = Document.Value["paths"]!.AsObject().Select(p => p.Key).ToList();

        paths.ShouldNotContain(p => p.Contains('*', StringComparison.Ordinal));
        paths.ShouldContain("/api/v1/threads/{threadId}/runs/{runId}/events");
        paths.ShouldContain("/api/openai/v1/chat/completions");
    }

    [Fact]
    public void RunCreation_ShowsAccepted_Created_AndTheEventStream()
    {
        var responses = Document.Value["paths"]!["/api/v1/threads/{threadId}/runs"]!["post"]!["responses"]!;

        Ref(responses["202"]!["content"]!["application/json"]!["schema"]).ShouldBe("Run");
        Ref(responses["201"]!["content"]!["application/json"]!["schema"]).ShouldBe("Run");
        Ref(responses["200"]!["content"]!["text/event-stream"]!["schema"]).ShouldBe(NamedSchemas.RunEventStream);
        Ref(Document.Value["paths"]!["/api/v1/threads/{threadId}/runs"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]).ShouldBe("CreateRunRequest");
    }

    [Fact]
    public void APage_HasItsItems_AndANextCursorOnlyWhenThereIsMore()
    {
        var page = Schema("ChatThreadList");

        page["required"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldBe(["data"]);
        page["properties"]!["nextCursor"]!["type"]!.AsArray().Select(t => t!.GetValue<string>()).ShouldBe(["string", "null"]);
    }

    [Fact]
    public void RequestBodies_RefuseUnknownMembers_AsTheApiDoes()
    {
        Schema("CreateRunRequest")["additionalProperties"]!.GetValue<bool>().ShouldBeFalse();
        Schema("CreateRunRequest")["properties"]!["parameters"].ShouldNotBeNull();
    }

    /// <summary>
    /// The chat app generates its API types from its copy of the document (openapi-typescript in its typecheck), so the
    /// copy must be the document the app builds. With AGENTS_UPDATE_OPENAPI=1 (<c>./dev openapi</c>) this writes it instead.
    /// </summary>
    [Fact]
    public void ChatAppsCopy_IsTheDocumentTheAppBuilds()
    {
        var copy = Path.Combine(RepositoryRoot(), "src", "Web", "src", "api", "openapi.json");
        var built = Document.Value.ToJsonString(OpenApiDocumentBuilder.Indented) + "\n";
        if (Environment.GetEnvironmentVariable("AGENTS_UPDATE_OPENAPI") == "1")
        {
            File.WriteAllText(copy, built);
            return;
        }
        (File.Exists(copy) && File.ReadAllText(copy) == built).ShouldBeTrue(
            "src/Web/src/api/openapi.json is not the document the app builds: run `./dev openapi` and commit the result");
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Agents.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException($"No Agents.sln above {AppContext.BaseDirectory}.");
    }

    private static string Ref(JsonNode? schema) => schema!["$ref"]!.GetValue<string>()["#/components/schemas/".Length..];

    private static JsonObject Schema(string name) => Document.Value["components"]!["schemas"]![name]!.AsObject();

    private static IEnumerable<(string Path, string Method, JsonObject Operation)> Operations() =>
        from path in Document.Value["paths"]!.AsObject()
        from operation in path.Value!.AsObject()
        select (path.Key, operation.Key, operation.Value!.AsObject());

    /// <summary>The JSON settings the app writes responses with (its ConfigureHttpJsonOptions), from its own service registration.</summary>
    private static System.Text.Json.JsonSerializerOptions ResponseJson()
    {
        var services = new ServiceCollection();
        services.AddOptions();
        ApplicationServices.ConfigureResponseJson(services);
        return services.BuildServiceProvider().GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
    }
}
