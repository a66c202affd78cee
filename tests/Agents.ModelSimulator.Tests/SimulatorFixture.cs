using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using OpenAI;
using OpenAI.Chat;

namespace Agents.ModelSimulator.Tests;

/// <summary>One simulator per test class, started in-process with Kestrel on a free loopback port.</summary>
public sealed class SimulatorFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public Uri BaseUri { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _app = SimulatorApp.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"]);
        await _app.StartAsync();
        BaseUri = new Uri(_app.Urls.Single());
        Http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>The real OpenAI SDK pointed at the simulator. Retries are off unless a test wants the SDK's own retry.</summary>
    public ChatClient Chat(string model = "sim-small", int maxRetries = 0, TimeSpan? networkTimeout = null)
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = new Uri(BaseUri, "v1"),
            RetryPolicy = new ClientRetryPolicy(maxRetries),
        };
        if (networkTimeout is { } timeout)
        {
            options.NetworkTimeout = timeout;
        }

        return new ChatClient(model, new ApiKeyCredential("sim"), options);
    }

    /// <summary>POSTs a raw chat completion body, optionally with an x-sim header.</summary>
    public async Task<HttpResponseMessage> PostChatAsync(string json, string? simHeader = null, string path = "/v1/chat/completions")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sim");
        if (simHeader is not null)
        {
            request.Headers.Add("x-sim", simHeader);
        }

        return await Http.SendAsync(request);
    }

    /// <summary>A request body with one user message.</summary>
    public static string UserRequest(string userText, bool stream = false, bool includeUsage = false, string model = "sim-small") =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["model"] = model,
            ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = userText } },
            ["stream"] = stream,
            ["stream_options"] = stream ? new Dictionary<string, bool> { ["include_usage"] = includeUsage } : null,
        });

    /// <summary>The JSON objects of an SSE body, in order; "[DONE]" comes back as null.</summary>
    public static List<JsonElement?> ParseSse(string body) =>
        [.. body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(evt => evt.StartsWith("data: ", StringComparison.Ordinal) ? evt[6..] : throw new FormatException($"Not an SSE data event: {evt}"))
            .Select(data => data == "[DONE]" ? (JsonElement?)null : JsonDocument.Parse(data).RootElement.Clone())];

    /// <summary>What the simulator charges for a prompt of one user message (docs/model-simulator.md).</summary>
    public static int PromptTokensForOneUserMessage(string text) => 4 + ((text.Length + 3) / 4);
}
