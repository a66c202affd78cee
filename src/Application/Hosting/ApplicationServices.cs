using System.ComponentModel.DataAnnotations;
using Agents.Application.Agents;
using Agents.Application.Api;
using Agents.Application.Conversations;
using Agents.Application.Gateway;
using Agents.Application.Gateway.Activity;
using Agents.Application.Http;
using Agents.Application.Limits;
using Agents.Application.Models;
using Agents.Application.Policies;
using Agents.Application.Runs;
using Agents.Application.Runs.Persistence;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Storage.Queues;
using Agents.Application.Streaming;
using Agents.Application.Tools;
using Agents.Application.Usage;
using Agents.Identity;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Agents.Application.Hosting;

/// <summary>
/// The application's services, registered by the Functions app (src/Functions/Program.cs) and by tests: options
/// (validated at start-up, naming the bad setting), stores, clients, the agent loop's activities, identity.
/// </summary>
public static class ApplicationServices
{
    public static IServiceCollection AddAgentsApplication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<CosmosOptions>(CosmosOptions.Section);
        services.AddValidatedOptions<ModelOptions>(ModelOptions.Section, o => o.UseEntraId || o.Endpoint?.IsLoopback == true || !string.IsNullOrEmpty(o.ApiKey),
            "Set Model:ApiKey, or Model:UseEntraId=true for Azure OpenAI with a managed identity.");
        services.AddValidatedOptions<RunEngineOptions>(RunEngineOptions.Section);
        services.AddValidatedOptions<StreamingOptions>(StreamingOptions.Section);
        services.AddValidatedOptions<RequestLimits>(RequestLimits.Section);
        services.AddValidatedOptions<LimitsOptions>(LimitsOptions.Section);
        services.AddValidatedOptions<PolicyOptions>(PolicyOptions.Section);
        services.AddValidatedOptions<GatewayOptions>(GatewayOptions.Section);
        services.AddValidatedOptions<ActivityOptions>(ActivityOptions.Section);

        ConfigureResponseJson(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TokenCredential>(_ => new DefaultAzureCredential());

        services.AddSingleton(sp => new CosmosDatabase(sp.GetRequiredService<CosmosOptions>(), Credential(sp, string.IsNullOrEmpty(sp.GetRequiredService<CosmosOptions>().Key))));
        services.AddStorageQueues(configuration);
        services.AddModelEndpoint();

        services.AddSingleton<OptimisticUpdates>();
        services.AddSingleton<ThreadStore>();
        services.AddSingleton<MessageStore>();
        services.AddSingleton<RunStore>();
        services.AddSingleton<AgentStore>();
        services.AddSingleton<UsageLedger>();
        services.AddSingleton<ExpiredDocuments>();
        services.AddSingleton(sp => new AgentDefaults(sp.GetRequiredService<ModelOptions>().Deployment));
        services.AddSingleton<RunEventHub>();
        services.AddSingleton<RunEventLog>();
        services.AddSingleton<RunEventFeeds>();
        services.AddSingleton<RunEventStreamer>();
        services.AddSingleton<PersistenceSender>();
        services.AddSingleton<RunPersistence>();
        services.AddSingleton<RunSignals>();
        services.AddAgentsLimits();
        services.AddSingleton<RunActivities>();
        services.AddSingleton<RunService>();
        services.AddSingleton<ModelProbe>();
        services.AddReadinessChecks();
        services.AddAgentsPoliciesAndGateway(); // the policy chain is the runs' IToolReviewer (instead of AllowAllReviewer)

        services.AddSingleton<IToolProvider, BuiltInTools>();
        services.AddSingleton<ToolCatalog>();

        services.AddAgentsIdentity(configuration);
        services.AddCosmosApiKeyStore(sp => sp.GetRequiredService<CosmosDatabase>().Container(Containers.ApiKeys));

        services.AddSingleton<StoreInitializer>();
        services.AddHostedService(sp => sp.GetRequiredService<StoreInitializer>());
        return services;
    }

    /// <summary>
    /// Responses (the handlers' IResults) use the documents' JSON conventions: camelCase, enums as snake_case strings,
    /// no nulls. The OpenAPI document's schemas are generated with the same settings.
    /// </summary>
    public static void ConfigureResponseJson(IServiceCollection services) => services.ConfigureHttpJsonOptions(o =>
    {
        foreach (var converter in CosmosDatabase.Json.Converters)
        {
            o.SerializerOptions.Converters.Add(converter);
        }
        o.SerializerOptions.DefaultIgnoreCondition = CosmosDatabase.Json.DefaultIgnoreCondition;
    });

    private static TokenCredential? Credential(IServiceProvider sp, bool needed) => needed ? sp.GetRequiredService<TokenCredential>() : null;

    /// <summary>Binds a section, validates data annotations (and an optional rule) at start-up, and registers the value.</summary>
    private static void AddValidatedOptions<T>(this IServiceCollection services, string section, Func<T, bool>? rule = null, string? ruleMessage = null)
        where T : class
    {
        var builder = services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
        if (rule is not null)
        {
            builder.Validate(rule, ruleMessage!);
        }
        services.AddSingleton<IValidateOptions<T>>(new SectionValidator<T>(section));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<T>>().Value);
    }

    private static bool Validate<T>(T options, string section, out List<string> errors)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options!, new ValidationContext(options!), results, validateAllProperties: true);
        errors = results.Select(r => $"{section}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}").ToList();
        return errors.Count == 0;
    }

    /// <summary>Reports each invalid setting by its configuration path, e.g. "Cosmos:Endpoint: The Endpoint field is required.".</summary>
    private sealed class SectionValidator<T>(string section) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options) =>
            ApplicationServices.Validate(options, section, out var errors) ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
