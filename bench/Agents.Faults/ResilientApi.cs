using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Agents.Faults;

/// <summary>
/// An answer of the API: its status, its JSON body (null when the body is not JSON), whether it is a ProblemDetails
/// (application/problem+json), and its Retry-After.
/// </summary>
public sealed record Answer(HttpStatusCode Status, JsonNode? Body, bool IsProblem = false, TimeSpan? RetryAfter = null)
{
    public string? Code => Body?["code"]?.GetValue<string>();

    /// <summary>A 503 ProblemDetails with Retry-After: what the API promises while a dependency of it is down.</summary>
    public bool IsRefusal => Status == HttpStatusCode.ServiceUnavailable && IsProblem && RetryAfter is not null;
}

/// <summary>
/// Calls the API as one user the way a client that survives restarts does: a request that finds the host down (no
/// connection, a reset, a timeout, 502-504) is sent again until it gets an answer, after the answer's Retry-After when
/// it has one (at most 1 s here). The counters say which kind of failure each retry met.
/// </summary>
public sealed class ResilientApi(HttpClient http, TokenCache token)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, int> statuses = new(); // answers by status, retried ones included
    private int retries;
    private int refusals;
    private int otherUnavailable;

    /// <summary>Answers of 500 or above other than 502-504: what the API must never give.</summary>
    public int ServerErrors => statuses.Where(s => s.Key >= 500 && s.Key is not (502 or 503 or 504)).Sum(s => s.Value);

    /// <summary>Answers of 500 or above, 502-504 included: with the host and its dependencies up throughout, there must be none.</summary>
    public int AnswersOf5xx => statuses.Where(s => s.Key >= 500).Sum(s => s.Value);

    /// <summary>Requests sent again, for any reason.</summary>
    public int Retries => retries;

    /// <summary>Retries after a 503 ProblemDetails with Retry-After (<see cref="Answer.IsRefusal"/>).</summary>
    public int Refusals => refusals;

    /// <summary>
    /// Retries after a 502-504 that is not a refusal: the Functions host's own bare answers when its worker is not there
    /// (starting, killed), or a 503 of the app's without a ProblemDetails or Retry-After.
    /// </summary>
    public int OtherUnavailable => otherUnavailable;

    /// <summary>One attempt: the answer, or null when there was none (no connection, a reset, a timeout).</summary>
    public async Task<Answer?> SendOnceAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await token.GetAsync(ct));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        try
        {
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
            return new Answer(response.StatusCode,
                text.Length > 0 && text.TrimStart()[0] is '{' or '[' ? JsonNode.Parse(text) : null,
                response.Content.Headers.ContentType?.MediaType == "application/problem+json",
                response.Headers.RetryAfter?.Delta);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is HttpRequestException or TaskCanceledException or IOException)
        {
            return null;
        }
    }

    /// <summary>Sends until an answer below 500 comes back (a 500 is counted in <see cref="ServerErrors"/> and sent again, as a client would).</summary>
    public async Task<Answer> SendAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        while (true)
        {
            var answer = await SendOnceAsync(method, path, body, ct);
            if (answer is not null && (int)answer.Status < 500)
            {
                return answer;
            }
            Interlocked.Increment(ref retries);
            if (answer is { IsRefusal: true })
            {
                Interlocked.Increment(ref refusals);
            }
            else if (answer?.Status is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout)
            {
                Interlocked.Increment(ref otherUnavailable);
            }
            await Task.Delay(answer?.RetryAfter is { } after && after < TimeSpan.FromSeconds(1) ? after : TimeSpan.FromMilliseconds(answer is null ? 250 : 1000), ct);
        }
    }

    public Task<Answer> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, ct);

    public Task<Answer> PostAsync(string path, object? body, CancellationToken ct) => SendAsync(HttpMethod.Post, path, body, ct);
}
