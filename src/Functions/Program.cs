using Agents.Application.Hosting;
using Agents.Functions;
using Agents.Functions.Http;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

// The Azure Functions app: the portable host's shared registration and handlers; runs execute as Durable Functions
// orchestrations instead of the local run engine (so no AddLocalRunEngine), and queue triggers replace its workers.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<HttpPipelineMiddleware>();
builder.Services.AddAgentsApplication(builder.Configuration);
builder.AddFunctionsDefaults();
await builder.Build().RunAsync();
