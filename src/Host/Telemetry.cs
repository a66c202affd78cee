using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Agents.Host;

/// <summary>
/// OpenTelemetry traces, metrics and logs over OTLP, on when OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter reads the
/// standard OTEL_* variables). Built with the SDK directly: OpenTelemetry.Extensions.Hosting is not available here.
/// </summary>
internal static class Telemetry
{
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return builder;
        }
        var resource = ResourceBuilder.CreateDefault().AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "agents-host");
        var tracer = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource("Microsoft.AspNetCore", "System.Net.Http", "Azure.Cosmos.Operation", "Agents")
            .AddOtlpExporter()
            .Build();
        var meter = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", "Agents")
            .AddOtlpExporter()
            .Build();
        // Registered so that the container disposes (and flushes) them at shutdown.
        builder.Services.AddSingleton(tracer);
        builder.Services.AddSingleton(meter);
        builder.Logging.AddOpenTelemetry(o =>
        {
            o.SetResourceBuilder(resource);
            o.IncludeScopes = true;
            o.AddOtlpExporter();
        });
        return builder;
    }
}
