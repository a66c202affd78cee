namespace Agents.Functions.OpenApi;

// What the OpenAPI document (OpenApiDocumentBuilder) cannot read from an HTTP function itself: its method, route and
// path parameters come from [HttpTrigger], its success responses from its typed result (Ok<T>, Created<T>, ...), its
// summary and tag from ASP.NET Core's [EndpointSummary] and [Tags]; these attributes add the rest.

/// <summary>The JSON body the function reads: a type (its schema is generated) or a named schema of <see cref="NamedSchemas"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequestBodyAttribute : Attribute
{
    public RequestBodyAttribute(Type type) => Type = type;

    public RequestBodyAttribute(string schema) => Schema = schema;

    public Type? Type { get; }

    public string? Schema { get; }

    /// <summary>False where an empty body means the defaults (creating a thread).</summary>
    public bool Required { get; init; } = true;
}

/// <summary>A query parameter the function reads (through <c>Query</c>).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class QueryParameterAttribute(string name, Type type, string description) : Attribute
{
    public string Name { get; } = name;

    public Type Type { get; } = type;

    public string Description { get; } = description;
}

/// <summary>
/// A response the typed result does not show: a stream, a status chosen at run time, or a pass-through body of the
/// gateway (a named schema of <see cref="NamedSchemas"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ResponseAttribute : Attribute
{
    public ResponseAttribute(int status, Type type, string description)
    {
        Status = status;
        Type = type;
        Description = description;
    }

    public ResponseAttribute(int status, string schema, string description, string contentType = "application/json")
    {
        Status = status;
        Schema = schema;
        Description = description;
        ContentType = contentType;
    }

    public int Status { get; }

    public Type? Type { get; }

    public string? Schema { get; }

    public string Description { get; }

    public string ContentType { get; } = "application/json";
}

/// <summary>Error statuses of this operation beyond those every operation of its kind has (see <c>OpenApiDocumentBuilder.Errors</c>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ProblemsAttribute(params int[] statuses) : Attribute
{
    public IReadOnlyList<int> Statuses { get; } = statuses;
}
