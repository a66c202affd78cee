using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Agents.Functions.OpenApi;

/// <summary>
/// The API's contract, open to anyone like health: the OpenAPI document at <c>/api/openapi/v1.json</c> (built once,
/// from the functions, with the JSON settings responses are written with) and an API reference page on it (Scalar).
/// </summary>
[Tags("meta")]
public sealed class OpenApiFunctions(IOptions<JsonOptions> json)
{
    private static string? document;

    [Function(nameof(OpenApiDocument))]
    [EndpointSummary("This OpenAPI document")]
    [Response(200, NamedSchemas.OpenApiDocument, "The OpenAPI 3.1 document of the API")]
    public ContentHttpResult OpenApiDocument([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi/v1.json")] HttpRequest req) =>
        TypedResults.Text(document ??= OpenApiDocumentBuilder.Build(typeof(OpenApiFunctions).Assembly, json.Value.SerializerOptions).ToJsonString(OpenApiDocumentBuilder.Indented), "application/json");

    [Function(nameof(ApiReference))]
    [EndpointSummary("The API reference page (Scalar) over this document")]
    [Response(200, NamedSchemas.Html, "An HTML page", "text/html")]
    public ContentHttpResult ApiReference([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "docs")] HttpRequest req) =>
        TypedResults.Text(ReferencePage, "text/html; charset=utf-8");

    // Scalar's standalone page: the script from its CDN renders the document (an offline browser shows the page without it).
    private const string ReferencePage = """
        <!doctype html>
        <html lang="en">
          <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <title>Agents API reference</title>
          </head>
          <body>
            <script id="api-reference" data-url="/api/openapi/v1.json"></script>
            <script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference"></script>
          </body>
        </html>
        """;
}
