using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Agents.ModelSimulator.Tests;

public sealed class ConfigurationTests
{
    [Fact]
    public async Task ConfiguredModelsAndDefaultTokens_ReplaceTheDefaults()
    {
        await using var app = SimulatorApp.Build(
            ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning", "--Simulator:Models:0=custom-a", "--Simulator:Models:1=custom-b", "--Simulator:DefaultTokens=3"]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

        using var models = JsonDocument.Parse(await http.GetStringAsync("/v1/models"));
        using var response = await http.PostAsync("/v1/chat/completions", new StringContent(SimulatorFixture.UserRequest("hello")));
        using var completion = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        models.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ShouldBe(["custom-a", "custom-b"]);
        completion.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32().ShouldBe(3);
    }

    [Fact]
    public async Task InvalidDefaultTokens_FailsAtStartNamingTheSetting()
    {
        await using var app = SimulatorApp.Build(["--urls", "http://127.0.0.1:0", "--Simulator:DefaultTokens=-1"]);

        var error = await Should.ThrowAsync<OptionsValidationException>(() => app.StartAsync());

        error.Message.ShouldContain("Simulator:DefaultTokens");
    }
}
