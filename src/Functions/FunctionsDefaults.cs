using Agents.Application.Storage.Cosmos;
using Azure.Core.Serialization;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Functions;

/// <summary>What the Functions app adds around the shared application: JSON conventions and telemetry (<see cref="FunctionsTelemetry"/>).</summary>
internal static class FunctionsDefaults
{
    public static FunctionsApplicationBuilder AddFunctionsDefaults(this FunctionsApplicationBuilder builder)
    {
        // Orchestration inputs, activity inputs and results, and event payloads use the documents' JSON conventions
        // (camelCase, enums as snake_case strings), the same records the stores write.
        builder.Services.Configure<WorkerOptions>(o => o.Serializer = new JsonObjectSerializer(CosmosDatabase.Json));

        builder.AddTelemetry();
        return builder;
    }
}
