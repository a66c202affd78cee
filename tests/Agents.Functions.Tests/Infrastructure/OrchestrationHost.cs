using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Agents.Application.Runs;
using Agents.Application.Storage.Cosmos;
using Agents.Domain.Agents;
using Agents.Domain.Conversations;
using Agents.Domain.Runs;
using Agents.Functions.Runs;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agents.Functions.Tests.Infrastructure;

/// <summary>
/// The in-process Durable Task host with the real <see cref="AgentOrchestrator"/> and in-memory activities, one host per
/// test class. Functions-style [Function] methods are not discovered here, so the orchestrator and every activity are
/// registered by the names the Functions app gives them. Each activity routes to the <see cref="RunScenario"/> of its
/// run and goes through the same <see cref="TransientFailures"/> wrapper as <see cref="RunActivityFunctions"/>, so a
/// fake's exception reaches the orchestrator as it would in production (marked transient or not, or as an outcome's
/// problem). Payloads use the app's serializer: System.Text.Json with <see cref="CosmosDatabase.Json"/>.
/// </summary>
public sealed class OrchestrationHost : IAsyncLifetime
{
    /// <summary>The longest any test waits for an orchestration.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Generous settings, as the deployment's defaults: a long approval wait and a high step cap.</summary>
    public static readonly RunSettings DefaultSettings = new(ApprovalTimeoutSeconds: 1800, MaxSteps: 100);

    private readonly ConcurrentDictionary<string, RunScenario> scenarios = new(StringComparer.Ordinal);
    private DurableTaskTestHost? host;

    public DurableTaskClient Client => host?.Client ?? throw new InvalidOperationException("The host has not started.");

    public async Task InitializeAsync()
    {
        host = await DurableTaskTestHost.StartAsync(
            tasks =>
            {
                tasks.AddOrchestratorFunc<RunOrchestrationInput, RunStatus>(nameof(AgentOrchestrator), (ctx, _) =>
                {
                    Find(ctx.InstanceId).CountEpisode(ctx.IsReplaying);
                    return AgentOrchestrator.RunAsync(ctx);
                });
                tasks.AddActivityFunc<RunRef, Outcome<RunInput>>(nameof(RunActivityFunctions.LoadRunInput), (_, run) =>
                    TransientFailures.OutcomeAsync(() => Find(run.RunId).LoadAsync(run)));
                tasks.AddActivityFunc<ModelStep, Outcome<ModelTurn>>(nameof(RunActivityFunctions.CallModel), (_, step) =>
                    TransientFailures.OutcomeAsync(async () =>
                    {
                        // As RunActivityFunctions.CallModel: the deferred save first, in the same activity.
                        if (step.Before is { } save)
                        {
                            await Find(save.Run.RunId).SaveAsync(save);
                        }
                        return await Find(step.Run.RunId).CallModelAsync(step);
                    }));
                tasks.AddActivityFunc<ReviewStep, ToolReview>(nameof(RunActivityFunctions.ReviewToolCall), (_, step) =>
                    TransientFailures.GuardAsync(() => Find(step.Run.RunId).ReviewAsync(step)));
                tasks.AddActivityFunc<ToolStep, ToolResult>(nameof(RunActivityFunctions.CallTool), (_, step) =>
                    TransientFailures.GuardAsync(() => Find(step.Run.RunId).CallToolAsync(step)));
                tasks.AddActivityFunc<SaveStep>(nameof(RunActivityFunctions.SaveRun), (_, step) =>
                    TransientFailures.GuardAsync(() => Find(step.Run.RunId).SaveAsync(step)));
                tasks.AddActivityFunc<FailStep>(nameof(RunActivityFunctions.FailRun), (_, step) =>
                    TransientFailures.GuardAsync(() => Find(step.Run.RunId).FailAsync(step)));
            },
            new DurableTaskTestHostOptions
            {
                // A port the OS hands out, rather than the host's random pick, so parallel hosts do not collide.
                Port = FreePort(),
                // Both the worker and the client take a DataConverter service when none is set explicitly.
                ConfigureServices = services => services.AddSingleton<DataConverter>(new JsonDataConverter(CosmosDatabase.Json)),
            });
    }

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    /// <summary>A new run (a fresh run id) whose activities this host answers from the returned scenario.</summary>
    public RunScenario NewRun(AgentDefinition agent, IReadOnlyList<ChatMessage>? history = null)
    {
        var scenario = new RunScenario($"run-{Guid.NewGuid():N}", agent, history);
        scenarios[scenario.Ref.RunId] = scenario;
        return scenario;
    }

    /// <summary>The production scheduler over the test host's client: it starts runs and raises approval and cancel events.</summary>
    public DurableRunScheduler Scheduler(RunSettings? settings = null)
    {
        var s = settings ?? DefaultSettings;
        var options = new RunEngineOptions { ApprovalTimeoutSeconds = s.ApprovalTimeoutSeconds, MaxSteps = s.MaxSteps };
        return new DurableRunScheduler(Client, options, NullLogger.Instance);
    }

    public async Task StartAsync(RunScenario run, RunSettings? settings = null)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await Scheduler(settings).StartAsync(run.Ref, cts.Token);
    }

    /// <summary>Waits for the orchestration to end; it must have completed (not failed), whatever the run's status.</summary>
    /// <param name="run">The run.</param>
    /// <param name="timeout">How long to wait; <see cref="Timeout"/> when not given.</param>
    public async Task<OrchestrationMetadata> WaitAsync(RunScenario run, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        var metadata = await Client.WaitForInstanceCompletionAsync(run.Ref.RunId, getInputsAndOutputs: true, cts.Token);
        metadata.RuntimeStatus.ShouldBe(OrchestrationRuntimeStatus.Completed, metadata.FailureDetails?.ToString());
        return metadata;
    }

    /// <summary>Starts the run, waits for its orchestration and returns the status the orchestrator returned.</summary>
    public async Task<RunStatus> RunToEndAsync(RunScenario run, RunSettings? settings = null, TimeSpan? timeout = null)
    {
        await StartAsync(run, settings);
        return (await WaitAsync(run, timeout)).ReadOutputAs<RunStatus>();
    }

    public async Task RaiseApprovalAsync(RunScenario run, string toolCallId, ApprovalDecision decision)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await Scheduler().RaiseApprovalAsync(run.Ref, toolCallId, decision, cts.Token);
    }

    public async Task RaiseCancelAsync(RunScenario run)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await Scheduler().RaiseCancelAsync(run.Ref, cts.Token);
    }

    private RunScenario Find(string runId) =>
        scenarios.TryGetValue(runId, out var scenario) ? scenario : throw new InvalidOperationException($"No scenario for run {runId}.");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
