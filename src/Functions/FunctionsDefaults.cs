using Agents.Application.Storage.Cosmos;
using Agents.Application.Storage.Queues;
using Azure.Core.Serialization;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Agents.Functions;

/// <summary>What the Functions app adds around the shared application: JSON conventions, telemetry, one settings check.</summary>
internal static class FunctionsDefaults
{
    private const string ApplicationInsightsLoggerProvider = "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider";

    public static FunctionsApplicationBuilder AddFunctionsDefaults(this FunctionsApplicationBuilder builder)
    {
        // Orchestration inputs, activity inputs and results, and event payloads use the documents' JSON conventions:
        // the local engine's journal round-trips the same records with them.
        builder.Services.Configure<WorkerOptions>(o => o.Serializer = new JsonObjectSerializer(CosmosDatabase.Json));

        // Response bodies as the portable host writes them (src/Host/HostDefaults.cs): enums as strings, no nulls.

        // The queue triggers bind the plain queue names, so the app must send to exactly those.
        builder.Services.AddOptions<QueueOptions>().Validate(o => o.QueuePrefix.Length == 0,
            "Storage:QueuePrefix must be empty in the Functions app: its queue triggers bind the plain queue names.");

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
