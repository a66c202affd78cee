using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using Agents.Domain.Conversations;
using Agents.Domain.Errors;
using Agents.Domain.Runs;
using Agents.Domain.Usage;
using Azure.Core;
using OpenAI;
using OpenAI.Chat;
using DomainToolCall = Agents.Domain.Conversations.ToolCall;

namespace Agents.Application.Models;

/// <summary>
/// One streamed chat completion through the OpenAI .NET SDK, translated to and from the domain. No retries here:
/// <see cref="ResilientModelClient"/> owns them (the SDK's own retry policy is switched off so there is one place).
/// </summary>
public sealed class ModelClient
{
    private readonly OpenAIClient client;

    public ModelClient(ModelOptions options, TokenCredential? credential, HttpClient http)
    {
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = options.Endpoint,
            RetryPolicy = new ClientRetryPolicy(0),
            Transport = new HttpClientPipelineTransport(http),
            NetworkTimeout = Timeout.InfiniteTimeSpan,
        };
        if (options.UseEntraId)
        {
            var tokens = credential ?? throw new InvalidOperationException("Model:UseEntraId needs a token credential.");
            // The SDK's documented way to use Entra ID with Azure OpenAI's v1 endpoint; marked experimental (OPENAI001).
#pragma warning disable OPENAI001
            client = new OpenAIClient(new BearerTokenPolicy(tokens, "https://cognitiveservices.azure.com/.default"), clientOptions);
#pragma warning restore OPENAI001
        }
        else
        {
            client = new OpenAIClient(new ApiKeyCredential(options.ApiKey is { Length: > 0 } key ? key : "unused"), clientOptions);
        }
    }

    /// <summary>
    /// Streams a completion; <paramref name="onDelta"/> receives each text fragment as it arrives. A failure before any
    /// text arrived is thrown (transient ones are tried again by <see cref="ResilientModelClient"/>); once text reached
    /// the client the call is not repeated, and a failure ends it <see cref="ModelFinish.Interrupted"/> with that text.
    /// </summary>
    /// <returns>
    /// The turn; with <see cref="ModelFinish.Cancelled"/> and the text so far if <paramref name="cancel"/> fired. Usage
    /// the provider did not report (cancelled, interrupted) is estimated (<see cref="TokenEstimate"/>).
    /// </returns>
    public async Task<ModelTurn> StreamAsync(ModelCall call, string deployment, Func<string, ValueTask> onDelta, CancellationToken cancel, CancellationToken timeout)
    {
        var chat = client.GetChatClient(deployment);
        var content = new StringBuilder();
        var calls = new SortedDictionary<int, ToolCallBuilder>();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        var model = deployment;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, timeout);
        try
        {
            await foreach (var update in chat.CompleteChatStreamingAsync(ToMessages(call.Messages), ToOptions(call), linked.Token).ConfigureAwait(false))
            {
                model = update.Model ?? model;
                foreach (var part in update.ContentUpdate)
                {
                    if (!string.IsNullOrEmpty(part.Text))
                    {
                        content.Append(part.Text);
                        await onDelta(part.Text).ConfigureAwait(false);
                    }
                }
                foreach (var tc in update.ToolCallUpdates)
                {
                    if (!calls.TryGetValue(tc.Index, out var builder))
                    {
                        calls[tc.Index] = builder = new ToolCallBuilder();
                    }
                    builder.Id ??= tc.ToolCallId;
                    builder.Name ??= tc.FunctionName;
                    if (tc.FunctionArgumentsUpdate is { } args && !args.ToMemory().IsEmpty)
                    {
                        builder.Arguments.Append(args.ToString());
                    }
                }
                finish = update.FinishReason ?? finish;
                usage = update.Usage ?? usage;
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // Cancelled by the user: keep what arrived, and count it (the provider bills for it too).
            return new ModelTurn(content.ToString(), [], EstimateUsage(call, OutputChars(content, calls)), ModelFinish.Cancelled, model);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            if (content.Length > 0)
            {
                return Interrupted(call, content, calls, model, ModelProblems.TimedOutMidAnswer(call.TimeoutSeconds));
            }
            throw Failure(504, "model_timeout", "The model did not answer in time", $"No answer within {call.TimeoutSeconds} s.", transient: true);
        }
        catch (Exception e) when (content.Length > 0 && e is ClientResultException or HttpRequestException or IOException)
        {
            return Interrupted(call, content, calls, model, ModelProblems.Interrupted);
        }
        catch (ClientResultException e)
        {
            throw Translate(e);
        }
        catch (HttpRequestException e)
        {
            throw Failure(502, "model_unreachable", "The model endpoint could not be reached", "The connection to the model endpoint failed.", transient: true, e);
        }
        catch (IOException e)
        {
            throw Failure(502, "model_stream_interrupted", "The model's stream broke off", "The model endpoint closed the connection before it answered.", transient: true, e);
        }

        var toolCalls = calls.Values.Select((b, i) => new DomainToolCall(b.Id ?? $"call_{call.Position}_{i}", b.Name ?? "", b.Arguments.Length == 0 ? "{}" : b.Arguments.ToString())).ToList();
        var tokens = usage is null
            ? EstimateUsage(call, OutputChars(content, calls))
            : new TokenUsage(usage.InputTokenCount, usage.OutputTokenCount, usage.InputTokenDetails?.CachedTokenCount ?? 0);
        return new ModelTurn(content.ToString(), toolCalls, tokens, MapFinish(finish, toolCalls.Count), model);
    }

    /// <summary>A call that broke off after text reached the client: that text, the usage a provider would bill for it (estimated), and the problem.</summary>
    private static ModelTurn Interrupted(ModelCall call, StringBuilder content, SortedDictionary<int, ToolCallBuilder> calls, string model, ApiProblem problem) =>
        new(content.ToString(), [], EstimateUsage(call, OutputChars(content, calls)), ModelFinish.Interrupted, model, Problem: problem);

    private static long OutputChars(StringBuilder content, SortedDictionary<int, ToolCallBuilder> calls) =>
        content.Length + calls.Values.Sum(c => (long)(c.Name?.Length ?? 0) + c.Arguments.Length);

    private static TokenUsage EstimateUsage(ModelCall call, long outputChars) =>
        new((int)Math.Min(int.MaxValue, TokenEstimate.Prompt(call.Messages, call.Tools)), (int)Math.Min(int.MaxValue, TokenEstimate.Text(outputChars)));

    private static ModelFinish MapFinish(ChatFinishReason? finish, int toolCalls) => finish switch
    {
        ChatFinishReason.ToolCalls => ModelFinish.ToolCalls,
        ChatFinishReason.Length => ModelFinish.Length,
        ChatFinishReason.ContentFilter => ModelFinish.ContentFilter,
        _ when toolCalls > 0 => ModelFinish.ToolCalls,
        _ => ModelFinish.Stop,
    };

    private static ModelCallException Translate(ClientResultException e)
    {
        var status = e.Status;
        TimeSpan? retryAfter = null;
        var raw = e.GetRawResponse();
        if (raw is not null && raw.Headers.TryGetValue("Retry-After", out var value) && int.TryParse(value, out var seconds))
        {
            retryAfter = TimeSpan.FromSeconds(seconds);
        }
        var transient = status is 408 or 429 or >= 500 || status == 0;
        var code = status switch
        {
            429 => "model_rate_limited",
            400 => "model_rejected_request",
            401 or 403 => "model_auth_failed",
            404 => "model_deployment_not_found",
            _ => "model_error",
        };
        return new ModelCallException(
            new ApiProblem(status is 429 ? 429 : 502, code, "The model call failed", $"The model endpoint answered {status}."),
            transient, retryAfter, e);
    }

    private static ModelCallException Failure(int status, string code, string title, string detail, bool transient, Exception? inner = null) =>
        new(new ApiProblem(status, code, title, detail), transient, null, inner);

    private static List<OpenAI.Chat.ChatMessage> ToMessages(IReadOnlyList<Domain.Conversations.ChatMessage> messages) =>
        messages.Select(ToMessage).ToList();

    private static OpenAI.Chat.ChatMessage ToMessage(Domain.Conversations.ChatMessage m) => m.Role switch
    {
        MessageRole.System => new SystemChatMessage(m.Content),
        MessageRole.User => new UserChatMessage(m.Content),
        MessageRole.Tool => new ToolChatMessage(m.ToolCallId ?? "", m.Content),
        _ when m.ToolCalls is { Count: > 0 } calls => WithContent(
            new AssistantChatMessage(calls.Select(c => ChatToolCall.CreateFunctionToolCall(c.Id, c.Name, BinaryData.FromString(c.Arguments))).ToList()),
            m.Content),
        _ => new AssistantChatMessage(m.Content),
    };

    private static AssistantChatMessage WithContent(AssistantChatMessage message, string content)
    {
        if (content.Length > 0)
        {
            message.Content.Add(ChatMessageContentPart.CreateTextPart(content));
        }
        return message;
    }

    private static ChatCompletionOptions ToOptions(ModelCall call)
    {
        var options = new ChatCompletionOptions
        {
            Temperature = (float?)call.Parameters.Temperature,
            TopP = (float?)call.Parameters.TopP,
            MaxOutputTokenCount = call.Parameters.MaxTokens,
        };
        foreach (var tool in call.Tools)
        {
            options.Tools.Add(ChatTool.CreateFunctionTool(tool.Name, tool.Description, BinaryData.FromString(tool.Parameters.GetRawText())));
        }
        return options;
    }

    private sealed class ToolCallBuilder
    {
        public string? Id { get; set; }
        public string? Name { get; set; }
        public StringBuilder Arguments { get; } = new();
    }
}
