using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Agents.Benchmarks.Support;

/// <summary>The few calls of our HTTP API the benchmarks make, as one user (its access token from <c>token</c>).</summary>
public sealed class AgentsApi(HttpClient http, Func<CancellationToken, Task<string>> token)
{
    public HttpClient Http => http;

    public async Task<string> CreateThreadAsync(CancellationToken ct)
    {
        using var request = await RequestAsync(HttpMethod.Post, "/api/v1/threads", new { title = "bench" }, ct);
        return (await SendJsonAsync(request, HttpStatusCode.Created, ct))["id"]!.GetValue<string>();
    }

    /// <summary>Starts a run without streaming (202) and returns its id.</summary>
    public async Task<string> StartRunAsync(string threadId, string message, CancellationToken ct)
    {
        using var request = await RequestAsync(HttpMethod.Post, $"/api/v1/threads/{threadId}/runs", new { message }, ct);
        return (await SendJsonAsync(request, HttpStatusCode.Accepted, ct))["id"]!.GetValue<string>();
    }

    /// <summary>
    /// POST .../runs?wait=true: the API waits for the end of the run (up to Runs:MaxWaitSeconds) and answers 201 with the
    /// finished run, or 202 with the run as it is then.
    /// </summary>
    public async Task<JsonNode> StartRunAndWaitAsync(string threadId, string message, CancellationToken ct)
    {
        using var request = await RequestAsync(HttpMethod.Post, $"/api/v1/threads/{threadId}/runs?wait=true", new { message }, ct);
        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted
            ? JsonNode.Parse(text)!
            : throw new HttpRequestException($"POST {request.RequestUri} answered {(int)response.StatusCode}: {text}");
    }

    /// <summary>POST .../runs with stream=true; the caller reads the response body as SSE.</summary>
    public async Task<HttpResponseMessage> StreamRunAsync(string threadId, string message, CancellationToken ct)
    {
        using var request = await RequestAsync(HttpMethod.Post, $"/api/v1/threads/{threadId}/runs", new { message, stream = true }, ct);
        return await SendStreamAsync(request, ct);
    }

    /// <summary>GET .../events: a subscriber of a run's events from its start.</summary>
    public async Task<HttpResponseMessage> SubscribeAsync(string threadId, string runId, CancellationToken ct)
    {
        using var request = await RequestAsync(HttpMethod.Get, $"/api/v1/threads/{threadId}/runs/{runId}/events", null, ct);
        return await SendStreamAsync(request, ct);
    }

    public async Task<JsonNode> GetRunAsync(string threadId, string runId, CancellationToken ct)
    {
        using var request = await RequestAsync(HttpMethod.Get, $"/api/v1/threads/{threadId}/runs/{runId}", null, ct);
        return await SendJsonAsync(request, HttpStatusCode.OK, ct);
    }

    /// <summary>Polls the run until its status is <paramref name="status"/> (at most <paramref name="timeout"/>).</summary>
    public async Task<JsonNode> WaitForStatusAsync(string threadId, string runId, string status, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var run = await GetRunAsync(threadId, runId, ct);
            if (run["status"]?.GetValue<string>() == status)
            {
                return run;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"run {runId} is not {status} after {timeout.TotalSeconds} s: {run.ToJsonString()}");
            }
            await Task.Delay(100, ct);
        }
    }

    public async Task ApproveAsync(string threadId, string runId, string toolCallId, CancellationToken ct)
    {
        using var request = await RequestAsync(HttpMethod.Post, $"/api/v1/threads/{threadId}/runs/{runId}/approvals", new { toolCallId, approve = true }, ct);
        await SendJsonAsync(request, HttpStatusCode.Accepted, ct);
    }

    private async Task<HttpRequestMessage> RequestAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await token(ct));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        return request;
    }

    private async Task<JsonNode> SendJsonAsync(HttpRequestMessage request, HttpStatusCode expected, CancellationToken ct)
    {
        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return response.StatusCode == expected
            ? JsonNode.Parse(text)!
            : throw new HttpRequestException($"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}: {text}");
    }

    private async Task<HttpResponseMessage> SendStreamAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            response.Dispose();
            throw new HttpRequestException($"{request.Method} {request.RequestUri} answered {(int)response.StatusCode}: {text}");
        }
        return response;
    }
}
