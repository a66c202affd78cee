using Agents.Application.Telemetry;
using Azure.Core;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Agents.Functions;

/// <summary>
/// OpenTelemetry for the worker, as the azd Functions templates set it up: the worker package's defaults (its
/// invocation spans, the resource, and telling the host that the worker exports its own telemetry), the ASP.NET Core,
/// HttpClient and Azure SDK instrumentations, our sources and meters (<c>Agents</c>, <c>Agents.*</c>), and the
/// exporters that are configured: OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, Azure Monitor when
/// APPLICATIONINSIGHTS_CONNECTION_STRING is. The host exports its own (host.json <c>telemetryMode</c>). See docs/observability.md.
/// </summary>
internal static class FunctionsTelemetry
{
    public static FunctionsApplicationBuilder AddTelemetry(this FunctionsApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var azureMonitor = !string.IsNullOrEmpty(builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
        var otel = builder.Services.AddOpenTelemetry();
        if (otlp || azureMonitor)
        {
            // Only with an exporter: the worker defaults tell the host that the worker exports its own telemetry, logs
            // included, and the host then stops passing on the logs of HTTP functions (measured: without an exporter
            // they would be lost; without these defaults the host keeps printing them, as it did before).
            otel.UseFunctionsWorkerDefaults();
        }
        otel.WithTracing(tracing => tracing
                .AddSource(AgentsTelemetry.Sources)
                .AddSource("Azure.*") // the Azure SDK's clients: Storage queues, Cosmos DB (its distributed tracing), Identity
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation())
            .WithMetrics(metrics => metrics
                .AddMeter(AgentsTelemetry.Sources)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation());
        if (otlp)
        {
            otel.UseOtlpExporter(); // endpoint, protocol and headers from the OTEL_EXPORTER_OTLP_* settings
        }
        if (azureMonitor)
        {
            otel.UseAzureMonitorExporter(); // reads the connection string itself
            // Local authentication is off in Azure (infra/bicep): ingestion needs an Entra token, from the app's identity.
            if (builder.Configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]?.Contains("Authorization=AAD", StringComparison.OrdinalIgnoreCase) == true)
            {
                builder.Services.AddOptions<AzureMonitorExporterOptions>().Configure<TokenCredential>((o, credential) => o.Credential = credential);
            }
        }
        return builder;
    }
}
