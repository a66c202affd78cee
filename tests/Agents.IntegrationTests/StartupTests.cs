using System.Net;

namespace Agents.IntegrationTests;

/// <summary>Start-up: a missing or invalid app setting keeps the app from serving, with a message naming the setting.</summary>
public sealed class StartupTests
{
    [Theory]
    [InlineData("Model__Endpoint", "", "Model:Endpoint")]
    [InlineData("Runs__MaxSteps", "0", "Runs:MaxSteps")]
    [InlineData("Identity__Providers__0__Issuer", "", "Identity:Providers:0")]
    public async Task MissingOrInvalidSetting_IsNamedInTheLog_AndTheApiIsNotReady(string key, string value, string named)
    {
        await using var settings = HostSettings.Isolated(new Dictionary<string, string> { [key] = value });
        await using var host = await HostProcess.LaunchAsync(settings);

        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!host.Output.Contains($"Invalid configuration: {named}", StringComparison.Ordinal) && !host.Output.Contains(named + ":", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The host never named {named}:\n{host.Output[^Math.Min(host.Output.Length, 4000)..]}");
            }
            await Task.Delay(200);
        }
        host.Output.ShouldContain("Invalid configuration:");
        // The worker stops at start-up, so the host never serves the API: its port refuses, or it answers an error
        // (the host's, not the app's: no OpenAPI document to check it against).
        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            using var ready = await http.GetAsync(new Uri("/api/health/ready", UriKind.Relative));
            ready.StatusCode.ShouldNotBe(HttpStatusCode.OK);
        }
        catch (HttpRequestException)
        {
        }
    }
}
