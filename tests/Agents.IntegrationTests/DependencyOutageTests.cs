using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Agents.IntegrationTests;

/// <summary>
/// A dependency that does not answer is a 503 ProblemDetails that says when to try again (Retry-After), never a 500.
/// The fault suite (./dev faults cosmos|storage) takes the dependencies away under load; this pins the answer's shape.
/// </summary>
public sealed class DependencyOutageTests
{
    [Fact]
    public async Task CosmosUnreachable_IsNotReady_AndRequestsGet503Problems_WithRetryAfter()
    {
        // A port that was just free and is closed again: every connection to it is refused, as to a database that is gone.
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await using var settings = HostSettings.Isolated(new Dictionary<string, string> { ["Cosmos__Endpoint"] = $"https://127.0.0.1:{port}/" });
        await using var host = await HostProcess.LaunchAsync(settings);
        using var anonymous = host.CreateClient();

        using var ready = await AnswerAsync(() => anonymous.GetAsync(new Uri("/api/health/ready", UriKind.Relative)), host);
        ready.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable, host.Output[^Math.Min(host.Output.Length, 4000)..]);
        var report = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
        report["checks"]!["cosmos"]!["status"]!.GetValue<string>().ShouldBe("down");
        report["checks"]!["cosmos"]!["error"]!.GetValue<string>().ShouldBeOneOf("unreachable or failing", "no answer within 3 s"); // not a .NET type name
        report["checks"]!["queues"]!["status"]!.GetValue<string>().ShouldBe("up");
        report["checks"]!["setup"]!["status"]!.GetValue<string>().ShouldBe("down"); // the database could not be created: the worker waits, not crashes

        using var api = new Api(host.CreateClient(await LocalTokens.AccessTokenAsync("alice")));
        var created = await api.PostAsync("/api/v1/threads", new { title = "while the database is away" });
        created.Status.ShouldBe(HttpStatusCode.ServiceUnavailable, created.Body?.ToJsonString());
        created.Raw.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        created.Code.ShouldBe("dependency_unavailable");
        created.Raw.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(5));
        created.Body!["retryAfter"]!.GetValue<int>().ShouldBe(5);
        created.Body!["detail"]!.GetValue<string>().ShouldNotContain("Exception");
        host.Output.ShouldNotContain("exited with code"); // an instance that starts during an outage stays up
    }

    /// <summary>The first answer of the app's API (the port refuses, and the host answers 404, until the worker is up), within 3 minutes.</summary>
    private static async Task<HttpResponseMessage> AnswerAsync(Func<Task<HttpResponseMessage>> send, HostProcess host)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            try
            {
                var response = await send();
                if (response.StatusCode != HttpStatusCode.NotFound) // the host answers 404 for routes until the worker's are indexed
                {
                    return response;
                }
                response.Dispose();
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline || host.HasExited)
            {
                throw new TimeoutException($"The host never answered:\n{host.Output[^Math.Min(host.Output.Length, 6000)..]}");
            }
            await Task.Delay(250);
        }
    }
}
