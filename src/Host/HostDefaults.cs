using Agents.Application.Http;

namespace Agents.Host;

/// <summary>What the portable host adds around the shared application: logs, limits, JSON, CORS, OpenAPI.</summary>
internal static class HostDefaults
{
    public static WebApplicationBuilder AddHostDefaults(this WebApplicationBuilder builder)
    {
        // Structured JSON logs, one object per line, with scopes (correlation id, path, run id).
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            o.UseUtcTimestamp = true;
        });

        var limits = builder.Configuration.GetSection(RequestLimits.Section).Get<RequestLimits>() ?? new RequestLimits();
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = limits.MaxBodyBytes);


        // CORS for the SPA when it is served from another origin (Static Web Apps, the Vite dev server). No wildcard.
        var origins = builder.Configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
        builder.Services.AddCors(o => o.AddDefaultPolicy(p => p
            .WithOrigins(origins)
            .WithHeaders("Authorization", "Content-Type", "Last-Event-ID", "If-Match", "api-key", "x-api-key", ProblemMiddleware.CorrelationHeader)
            .WithMethods("GET", "POST", "PUT", "PATCH", "DELETE")
            .WithExposedHeaders("Location", "ETag", ProblemMiddleware.CorrelationHeader, "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")));

        builder.Services.AddOpenApi();
        return builder;
    }
}
