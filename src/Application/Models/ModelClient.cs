using System.ClientModel;
using System.Text;
using Agents.Domain.Errors;
using Agents.Domain.Runs;
using Agents.Domain.Usage;
using Microsoft.Extensions.AI;
using AiMessage = Microsoft.Extensions.AI.ChatMessage;
using DomainToolCall = Agents.Domain.Conversations.ToolCall;

namespace Agents.Application.Models;

/// <summary>
/// Model calls of runs and of the judge: an <see cref="IChatClient"/> per deployment (<see cref="ChatClients"/>) within
/// the one retry policy (<see cref="ModelResilience"/>), translated to and from the domain.
/// </summary>
public sealed class ModelClient(ChatClients chat, ModelResilience resilience, ModelOptions options)
{
    /// <summary>
    /// Streams a completion; <paramref name="onDelta"/> receives each text fragment as it arrives. A failure before any
    /// text arrived is tried again within the policy; once text reached the client the call is not repeated, and a
    /// failure ends it <see cref="ModelFinish.Interrupted"/> with that text.
    /// </summary>
    /// <returns>
    /// The turn; with <see cref="ModelFinish.Cancelled"/> and the text so far if <paramref name="cancel"/> fired. Usage
    /// the provider did not report (cancelled, interrupted) is estimated (<see cref="TokenEstimate"/>).
    /// </returns>
    public Task<ModelTurn> StreamAsync(ModelCall call, Func<string, ValueTask> onDelta, CancellationToken cancel)
    {
        var deployment = string.IsNullOrEmpty(call.Model) ? options.Deployment : call.Model;
        return resilience.ExecuteAsync(deployment, options.FallbackDeployment, (d, token) => AttemptAsync(call, d, onDelta, token), cancel);
    }

    /// <summary>
    /// A completion that is not streamed (the judge's), within the policy; the fallback deployment stands in only for
    /// the default one. Returns the answer's text.
    /// </summary>
    public Task<string> CompleteAsync(string deployment, IReadOnlyList<AiMessage> messages, ChatOptions chatOptions, CancellationToken ct) =>
        resilience.ExecuteAsync(deployment, deployment == options.Deployment ? options.FallbackDeployment : null, async (d, token) =>
        {
            try
            {
                return (await chat.For(d).GetResponseAsync(messages, chatOptions, token).ConfigureAwait(false)).Text;
            }
            catch (ClientResultException e)
            {
                throw ChatTranslation.Translate(e);
            }
            catch (HttpRequestException e)
            {
                throw Unreachable(e);
            }
        }, ct);

    private async ValueTask<ModelTurn> AttemptAsync(ModelCall call, string deployment, Func<string, ValueTask> onDelta, CancellationToken cancel)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Max(1, call.TimeoutSeconds)));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, timeout.Token);
        var content = new StringBuilder();
        var calls = new List<FunctionCallContent>();
        UsageDetails? usage = null;
        ChatFinishReason? finish = null;
        var model = deployment;
        try
        {
            await foreach (var update in chat.For(deployment).GetStreamingResponseAsync(ChatTranslation.ToMessages(call.Messages), ChatTranslation.ToOptions(call), linked.Token).ConfigureAwait(false))
            {
                model = update.ModelId ?? model;
                foreach (var part in update.Contents)
                {
                    switch (part)
                    {
                        case TextContent { Text.Length: > 0 } text:
                            content.Append(text.Text);
                            await onDelta(text.Text).ConfigureAwait(false);
                            break;
                        case FunctionCallContent toolCall:
                            calls.Add(toolCall);
                            break;
                        case UsageContent reported:
                            usage = reported.Details;
                            break;
                    }
                }
                finish = update.FinishReason ?? finish;
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // Cancelled by the user: keep what arrived, and count it (the provider bills for it too).
            return new ModelTurn(content.ToString(), [], EstimateUsage(call, content.Length), ModelFinish.Cancelled, model);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            if (content.Length > 0)
            {
                return Interrupted(call, content, model, ModelProblems.TimedOutMidAnswer(call.TimeoutSeconds));
            }
            throw ChatTranslation.Failure(504, "model_timeout", "The model did not answer in time", $"No answer within {call.TimeoutSeconds} s.", transient: true);
        }
        catch (Exception e) when (content.Length > 0 && e is ClientResultException or HttpRequestException or IOException)
        {
            return Interrupted(call, content, model, ModelProblems.Interrupted);
        }
        catch (ClientResultException e)
        {
            throw ChatTranslation.Translate(e);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e);
        }
        catch (IOException e)
        {
            throw ChatTranslation.Failure(502, "model_stream_interrupted", "The model's stream broke off", "The model endpoint closed the connection before it answered.", transient: true, e);
        }

        var toolCalls = calls.Select((c, i) => new DomainToolCall(
            string.IsNullOrEmpty(c.CallId) ? $"call_{call.Position}_{i}" : c.CallId, c.Name, ChatTranslation.Arguments(c))).ToList();
        var tokens = usage is { InputTokenCount: { } input, OutputTokenCount: { } output }
            ? new TokenUsage(Clamp(input), Clamp(output), Clamp(usage.CachedInputTokenCount ?? 0))
            : EstimateUsage(call, content.Length + toolCalls.Sum(c => (long)c.Name.Length + c.Arguments.Length));
        return new ModelTurn(content.ToString(), toolCalls, tokens, ChatTranslation.Finish(finish, toolCalls.Count), model);
    }

    /// <summary>A call that broke off after text reached the client: that text, the usage a provider would bill for it (estimated), and the problem.</summary>
    private static ModelTurn Interrupted(ModelCall call, StringBuilder content, string model, ApiProblem problem) =>
        new(content.ToString(), [], EstimateUsage(call, content.Length), ModelFinish.Interrupted, model, Problem: problem);

    private static TokenUsage EstimateUsage(ModelCall call, long outputChars) =>
        new(Clamp(TokenEstimate.Prompt(call.Messages, call.Tools)), Clamp(TokenEstimate.Text(outputChars)));

    private static int Clamp(long value) => (int)Math.Min(int.MaxValue, value);

    private static ModelCallException Unreachable(HttpRequestException e) =>
        ChatTranslation.Failure(502, "model_unreachable", "The model endpoint could not be reached", "The connection to the model endpoint failed.", transient: true, e);
}
