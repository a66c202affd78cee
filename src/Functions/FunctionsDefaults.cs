using Agents.Application.Storage.Cosmos;
using Azure.Core.Serialization;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Agents.Functions;

/// <summary>What the Functions app adds around the shared application: JSON conventions and telemetry.</summary>
internal static class FunctionsDefaults
{
    private const string ApplicationInsightsLoggerProvider = "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider";

    public static FunctionsApplicationBuilder AddFunctionsDefaults(this FunctionsApplicationBuilder builder)
    {
        // Orchestration inputs, activity inputs and results, and event payloads use the documents' JSON conventions
        // (camelCase, enums as snake_case strings), the same records the stores write.
        builder.Services.Configure<WorkerOptions>(o => o.Serializer = new JsonObjectSerializer(CosmosDatabase.Json));

        if (!string.IsNullOrEmpty(builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]))
        {
            // Entra-authenticated ingestion comes from APPLICATIONINSIGHTS_AUTHENTICATION_STRING (read by the worker package).
            builder.Services.AddApplicationInsightsTelemetryWorkerService().ConfigureFunctionsApplicationInsights();
            // The SDK's default filter keeps only warnings; let the worker's Logging configuration decide instead.
            builder.Logging.Services.Configure<LoggerFilterOptions>(o =>
            {
                if (o.Rules.FirstOrDefault(r => r.ProviderName == ApplicationInsightsLoggerProvider) is { } rule)
                {
                    o.Rules.Remove(rule);
                }
            });
        }
        return builder;
    }
}
