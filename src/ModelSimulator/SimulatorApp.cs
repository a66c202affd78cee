using Agents.ModelSimulator.Completions;
using Agents.ModelSimulator.Models;

namespace Agents.ModelSimulator;

/// <summary>Builds the model simulator: an OpenAI-compatible chat completions server driven by directives.</summary>
public static class SimulatorApp
{
    /// <summary>Address used when neither <c>--urls</c> nor <c>ASPNETCORE_URLS</c>/<c>HTTP_PORTS</c> is set.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8091";

    /// <summary>
    /// Builds the application without starting it. Tests start it in-process with
    /// <c>--urls http://127.0.0.1:0</c> and read the bound address from <see cref="WebApplication.Urls"/>.
    /// </summary>
    public static WebApplication Build(string[] args)
    {
        // The slim builder starts faster and leaves out what a simulator never needs (HTTPS setup, regex routes).
        // Content root beside the binaries, so appsettings.json is found whatever the working directory.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (!HasConfiguredAddress(builder.Configuration))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.Services.AddOptions<SimulatorOptions>()
            .BindConfiguration(SimulatorOptions.SectionName)
            .Validate(o => o.DefaultTokens is >= 0 and <= Script.SimScript.MaxTokens,
                $"Simulator:DefaultTokens must be between 0 and {Script.SimScript.MaxTokens}.")
            .Validate(o => o.Models.All(m => !string.IsNullOrWhiteSpace(m)),
                "Simulator:Models must not contain an empty model id.")
            .ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<FailureCounter>();
        builder.Services.AddSingleton<RequestStats>();
        builder.Services.AddSingleton<ChatCompletionHandler>();

        var app = builder.Build();
        app.MapGet("/health", () => TypedResults.Text("ok"));
        var stats = app.Services.GetRequiredService<RequestStats>();
        app.MapGet("/stats", () => TypedResults.Json(stats.Snapshot(), SimJsonContext.Default.SimulatorStats));
        app.MapModels();
        app.MapChatCompletions();
        return app;
    }

    private static bool HasConfiguredAddress(ConfigurationManager configuration) =>
        !string.IsNullOrEmpty(configuration["urls"])
        || !string.IsNullOrEmpty(configuration["http_ports"])
        || !string.IsNullOrEmpty(configuration["https_ports"]);
}
