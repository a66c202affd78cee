using Agents.Application.Hosting;
using Agents.Host;

// The portable host: the same handlers, queue workers and run engine as the Azure Functions app, on plain ASP.NET Core.
var builder = WebApplication.CreateBuilder(args);
builder.AddHostDefaults();
builder.AddTelemetry();
builder.Services.AddAgentsApplication(builder.Configuration);
if (builder.Configuration.GetValue("Runs:EngineEnabled", true))
{
    builder.Services.AddLocalRunEngine();
}

var app = builder.Build();
app.UseAgentsErrorHandling();
app.UseCors();
app.MapAgentsApi();
app.MapOpenApi("/api/openapi/{documentName}.json");
app.MapWebApp();
try
{
    await app.RunAsync();
    return 0;
}
catch (Microsoft.Extensions.Options.OptionsValidationException invalid)
{
    // A missing or invalid setting: say which, plainly, and stop.
    await Console.Error.WriteLineAsync($"Invalid configuration: {string.Join(" | ", invalid.Failures)}");
    return 1;
}
