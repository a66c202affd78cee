using Agents.Application.Hosting;
using Agents.Functions;
using Agents.Functions.Http;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

// The Azure Functions app: HTTP functions over the shared handlers (inside HttpPipelineMiddleware), runs as Durable
// Functions orchestrations of the agent loop, queue-triggered persistence, timers for the sweeps.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<HttpPipelineMiddleware>();
builder.Services.AddAgentsApplication(builder.Configuration);
builder.AddFunctionsDefaults();
try
{
    await builder.Build().RunAsync();
    return 0;
}
catch (OptionsValidationException invalid)
{
    // A missing or invalid app setting: say which, plainly (the host logs the worker's output), and stop.
    await Console.Error.WriteLineAsync($"Invalid configuration: {string.Join(" | ", invalid.Failures)}");
    return 1;
}
