using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Agents.IntegrationTests.Infrastructure;

/// <summary>A response: status, headers and the JSON body (null when there is none).</summary>
public sealed record ApiResponse(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Raw)
{
    public string? Code => Body?["code"]?.GetValue<string>();

    public string Text(string property) => Body?[property]?.GetValue<string>() ?? throw new InvalidOperationException($"no '{property}' in {Body?.ToJsonString()}");
}

/// <summary>The API as one user calls it.</summary>
public sealed class Api(HttpClient http) : IDisposable
{
    public HttpClient Http => http;

    public Task<ApiResponse> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null);

    public Task<ApiResponse> PostAsync(string path, object? body = null) => SendAsync(HttpMethod.Post, path, body);

    public Task<ApiResponse> PatchAsync(string path, object body) => SendAsync(HttpMethod.Patch, path, body);

    public Task<ApiResponse> PutAsync(string path, object body) => SendAsync(HttpMethod.Put, path, body);

    public Task<ApiResponse> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path, null);

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = body as HttpContent ?? JsonContent.Create(body);
        }
        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse(response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response);
    }

    public async Task<string> CreateThreadAsync(string title = "test")
    {
        var created = await PostAsync("/api/v1/threads", new { title });
        created.Status.ShouldBe(HttpStatusCode.Created, created.Body?.ToJsonString());
        return created.Text("id");
    }

    /// <summary>Starts a run and returns its id (202).</summary>
    public async Task<string> StartRunAsync(string threadId, string message, object? extra = null)
    {
        var body = JsonSerializer.SerializeToNode(extra ?? new { })!.AsObject();
        body["message"] = message;
        var started = await PostAsync($"/api/v1/threads/{threadId}/runs", body);
        started.Status.ShouldBe(HttpStatusCode.Accepted, started.Body?.ToJsonString());
        return started.Text("id");
    }

    /// <summary>Polls the run until <paramref name="until"/> holds (default: a terminal status).</summary>
    public async Task<JsonNode> WaitRunAsync(string threadId, string runId, Func<JsonNode, bool>? until = null, int timeoutSeconds = 60)
    {
        until ??= r => r["status"]!.GetValue<string>() is "completed" or "failed" or "cancelled" or "expired";
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        JsonNode? last = null;
        while (DateTime.UtcNow < deadline)
        {
            var run = await GetAsync($"/api/v1/threads/{threadId}/runs/{runId}");
            run.Status.ShouldBe(HttpStatusCode.OK);
            last = run.Body!;
            if (until(last))
            {
                return last;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"run {runId} did not reach the expected state in {timeoutSeconds} s; last: {last?.ToJsonString()}");
    }

    public async Task<JsonArray> MessagesAsync(string threadId)
    {
        var page = await GetAsync($"/api/v1/threads/{threadId}/messages?limit=100");
        page.Status.ShouldBe(HttpStatusCode.OK);
        return page.Body!["data"]!.AsArray();
    }

    public void Dispose() => http.Dispose();
}
