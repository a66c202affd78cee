using System.Diagnostics;
using System.Net;

namespace Agents.IntegrationTests;

/// <summary>Start-up: bad configuration stops the host with a message naming the setting; the OpenAPI document is served.</summary>
public sealed class StartupTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    [Theory]
    [InlineData("Model__Endpoint", "", "Model:Endpoint")]
    [InlineData("Storage__MaxDequeueCount", "0", "Storage:MaxDequeueCount")]
    [InlineData("Identity__Providers__0__Issuer", "", "Identity:Providers:0")]
    public async Task MissingOrInvalidSetting_StopsTheHost_NamingIt(string key, string value, string named)
    {
        var dll = Path.Combine(Path.GetDirectoryName(typeof(StartupTests).Assembly.Location)!, "..", "..", "..", "..", "..", "src", "Host", "bin",
            new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name, "net10.0", "Agents.Host.dll");
        var info = new ProcessStartInfo("dotnet", [Path.GetFullPath(dll), "--urls", $"http://127.0.0.1:{HostProcess.FreePort()}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var stack = StackEnvironment.Current;
        info.Environment["Cosmos__Endpoint"] = stack.CosmosEndpoint.ToString();
        info.Environment["Cosmos__Emulator"] = "true";
        info.Environment["Storage__ConnectionString"] = stack.StorageConnection;
        info.Environment["Model__Endpoint"] = stack.ModelEndpoint.ToString();
        info.Environment["Model__Deployment"] = "sim-small";
        info.Environment["Identity__Providers__0__Name"] = "local";
        info.Environment["Identity__Providers__0__Kind"] = "Oidc";
        info.Environment["Identity__Providers__0__Issuer"] = stack.Issuer;
        info.Environment["Identity__Providers__0__Audiences__0"] = "api://agents";
        info.Environment["Identity__Providers__0__RequiredScope"] = "Agents.Access";
        info.Environment["Identity__Providers__0__RequireHttpsMetadata"] = "false";
        info.Environment[key] = value;

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        process.ExitCode.ShouldNotBe(0);
        var output = await stdout + await stderr;
        output.ShouldContain(named);
    }

    [Fact]
    public async Task OpenApiDocument_IsServed_AndListsTheRoutes()
    {
        using var http = fixture.Host.CreateClient();
        using var response = await http.GetAsync(new Uri("/api/openapi/v1.json", UriKind.Relative));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var text = await response.Content.ReadAsStringAsync();
        text.ShouldContain("/api/v1/threads/{threadId}/runs");
        text.ShouldContain("/api/v1/agents");
    }
}
