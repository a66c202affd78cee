using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Agents.Application.Tests;

/// <summary>
/// An OpenAI-compatible endpoint in memory, behind the model client's HttpClient: each deployment (the request's
/// "model", or the deployment of an Azure route) answers 500 while it is marked failing, else a one-word streamed answer.
/// Counts the requests per deployment and keeps how the last one was addressed and authenticated.
/// </summary>
public sealed class FakeModelEndpoint : HttpMessageHandler
{
    private readonly HashSet<string> failing = [];
    private readonly Dictionary<string, int> requests = [];

    /// <summary>The last request's path, Authorization header and api-key header.</summary>
    public (string Path, string? Authorization, string? ApiKey) Last { get; private set; }

    public void Fail(string deployment) => Change(() => failing.Add(deployment));

    public void Heal(string deployment) => Change(() => failing.Remove(deployment));

    public int Requests(string deployment)
    {
        lock (requests)
        {
            return requests.GetValueOrDefault(deployment);
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var body = JsonDocument.Parse(await request.Content!.ReadAsStringAsync(cancellationToken));
        var model = body.RootElement.TryGetProperty("model", out var named) ? named.GetString()! : request.RequestUri!.Segments[^3].TrimEnd('/');
        bool fails;
        lock (requests)
        {
            Last = (request.RequestUri!.AbsolutePath, request.Headers.Authorization?.ToString(),
                request.Headers.TryGetValues("api-key", out var keys) ? string.Join(",", keys) : null);
            requests[model] = requests.GetValueOrDefault(model) + 1;
            fails = failing.Contains(model);
        }
        if (fails)
        {
            return new HttpResponseMessage(HttpStatusCode.InternalServerError)
            {
                Content = new StringContent("""{"error":{"message":"down","type":"server_error","param":null,"code":"server_error"}}""", Encoding.UTF8, "application/json"),
            };
        }
        var chunk = $$"""{"id":"c","object":"chat.completion.chunk","created":0,"model":"{{model}}","choices":[{"index":0,"delta":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}""";
        // Not seekable, as a network stream is (the SDK treats a seekable one as already buffered).
        var stream = new Pipe();
        await stream.Writer.WriteAsync(Encoding.UTF8.GetBytes($"data: {chunk}\n\ndata: [DONE]\n\n"), cancellationToken);
        await stream.Writer.CompleteAsync();
        var content = new StreamContent(stream.Reader.AsStream());
        content.Headers.ContentType = new MediaTypeHeaderValue("text/event-stream");
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }

    private void Change(Action change)
    {
        lock (requests)
        {
            change();
        }
    }
}
