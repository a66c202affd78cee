using System.Net;
using System.Text.Json.Nodes;

namespace Agents.IntegrationTests;

/// <summary>
/// The Azure OpenAI path (Model:Provider AzureOpenAI) against the simulator: runs go through Azure.AI.OpenAI to the
/// deployment route, the gateway to the resource's OpenAI-compatible /openai/v1/, and the simulator counts each route.
/// </summary>
public sealed class ModelProviderTests(ModelProviderTests.AzureHost fixture) : IClassFixture<ModelProviderTests.AzureHost>
{
    private Api Alice => fixture.Alice;

    [Fact]
    public async Task AzureOpenAi_RunWithAToolCall_GoesToTheDeploymentRoute_AndCompletes()
    {
        var thread = await Alice.CreateThreadAsync();
        var run = await Alice.StartRunAsync(thread, "compute [[sim steps=1 tool=calculator args='{\"expression\":\"6*7\"}' reply=\"It is 42.\"]]");
        var done = await Alice.WaitRunAsync(thread, run);

        done["status"]!.GetValue<string>().ShouldBe("completed");
        var messages = await Alice.MessagesAsync(thread);
        messages.Select(m => m!["role"]!.GetValue<string>()).ShouldBe(["user", "assistant", "tool", "assistant"]);
        messages[1]!["toolCalls"]![0]!["arguments"]!.GetValue<string>().ShouldBe("{\"expression\":\"6*7\"}");
        messages[2]!["content"]!.GetValue<string>().ShouldBe("42");
        messages[3]!["content"]!.GetValue<string>().ShouldBe("It is 42.");
        (await RouteCountsAsync()).GetValueOrDefault("/openai/deployments/{deployment}/chat/completions").ShouldBe(2); // one per model call
    }

    [Fact]
    public async Task AzureOpenAi_GatewayRequest_GoesToTheResourcesV1Route()
    {
        var before = (await RouteCountsAsync()).GetValueOrDefault("/openai/v1/chat/completions");

        var response = await Alice.PostAsync("/api/openai/v1/chat/completions", new
        {
            model = fixture.Deployment,
            messages = new[] { new { role = "user", content = "hi [[sim reply=\"hello\"]]" } },
        });

        response.Status.ShouldBe(HttpStatusCode.OK);
        response.Body!["choices"]![0]!["message"]!["content"]!.GetValue<string>().ShouldBe("hello");
        (await RouteCountsAsync()).GetValueOrDefault("/openai/v1/chat/completions").ShouldBe(before + 1);
    }

    /// <summary>How many requests for this class's deployment the simulator got on each route.</summary>
    private async Task<Dictionary<string, long>> RouteCountsAsync()
    {
        using var http = new HttpClient();
        var stats = JsonNode.Parse(await http.GetStringAsync(new Uri(StackEnvironment.Current.ModelEndpoint, "/stats")))!;
        return stats["models"]?[fixture.Deployment]?["routes"]?.AsObject().ToDictionary(r => r.Key, r => r.Value!.GetValue<long>()) ?? [];
    }

    /// <summary>A host whose model endpoint is the simulator as an Azure OpenAI resource, with a deployment of its own.</summary>
    public sealed class AzureHost : HostFixture
    {
        public string Deployment { get; } = "azure-" + Guid.NewGuid().ToString("N")[..8];

        protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
        {
            ["Model__Provider"] = "AzureOpenAI",
            ["Model__Endpoint"] = new Uri(StackEnvironment.Current.ModelEndpoint, "/").ToString(),
            ["Model__Deployment"] = Deployment,
        };
    }
}
