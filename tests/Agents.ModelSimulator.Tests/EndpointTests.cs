using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Models;

namespace Agents.ModelSimulator.Tests;

public sealed class EndpointTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    [Fact]
    public async Task Models_ThroughTheSdk_ListsTheDefaultModels()
    {
        var client = new OpenAIModelClient(new ApiKeyCredential("sim"), new OpenAIClientOptions { Endpoint = new Uri(sim.BaseUri, "v1") });

        OpenAIModelCollection models = await client.GetModelsAsync();

        models.Select(m => m.Id).ShouldBe(["sim-small", "sim-large", "sim-judge"]);
    }

    [Theory]
    [InlineData("/v1/models")]
    [InlineData("/models")]
    [InlineData("/openai/v1/models")]
    public async Task Models_OnEveryPrefix_ReturnsAList(string path)
    {
        using var body = JsonDocument.Parse(await sim.Http.GetStringAsync(path));

        body.RootElement.GetProperty("object").GetString().ShouldBe("list");
        body.RootElement.GetProperty("data").GetArrayLength().ShouldBe(3);
    }

    [Fact]
    public async Task Model_Unknown_Returns404WithOpenAiErrorShape()
    {
        using var response = await sim.Http.GetAsync("/v1/models/gpt-9");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        body.RootElement.GetProperty("error").GetProperty("code").GetString().ShouldBe("model_not_found");
    }

    [Fact]
    public async Task Health_Returns200()
    {
        using var response = await sim.Http.GetAsync("/health");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("""{"model":"sim-small"}""")]
    [InlineData("""{"model":"sim-small","messages":[]}""")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("""{"model":"sim-small","n":2,"messages":[{"role":"user","content":"hi"}]}""")]
    [InlineData("""{"model":"sim-small","messages":[{"role":"wizard","content":"hi"}]}""")]
    [InlineData("""{"model":"sim-small","messages":[null]}""")]
    [InlineData("""{"model":"sim-small","messages":[{"role":"user","content":"hi"},null]}""")]
    [InlineData("""{"model":"sim-small","messages":[{"role":"user","content":"[[sim tokens=lots]]"}]}""")]
    [InlineData("""{"model":"sim-small","messages":[{"role":"user","content":"[[sim frobnicate=1]]"}]}""")]
    [InlineData("""{"model":"sim-small","messages":[{"role":"user","content":"[[sim tool=a args={oops}]]"}]}""")]
    public async Task InvalidRequest_Returns400WithOpenAiErrorShape(string json)
    {
        using var response = await sim.PostChatAsync(json);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = body.RootElement.GetProperty("error");
        error.GetProperty("message").GetString().ShouldNotBeNullOrEmpty();
        error.GetProperty("type").GetString().ShouldBe("invalid_request_error");
    }

    [Fact]
    public async Task AzureDeploymentPath_WithApiKeyHeader_UsesTheDeploymentAsModel()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21")
        {
            Content = new StringContent("""{"messages":[{"role":"user","content":"hi [[sim tokens=2]]"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("api-key", "anything");

        using var response = await sim.Http.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        body.RootElement.GetProperty("model").GetString().ShouldBe("gpt-4o");
    }

    [Theory]
    [InlineData("/chat/completions")]
    [InlineData("/openai/v1/chat/completions")]
    public async Task ChatCompletions_OnAlternativePaths_Answers(string path)
    {
        using var response = await sim.PostChatAsync(SimulatorFixture.UserRequest("[[sim tokens=1]]"), path: path);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ContentParts_AreReadAsText()
    {
        const string json = """{"model":"sim-small","messages":[{"role":"user","content":[{"type":"text","text":"[[sim reply=parts"},{"type":"text","text":"]]"}]}]}""";

        using var response = await sim.PostChatAsync(json);

        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        body.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString().ShouldBe("parts");
    }
}
