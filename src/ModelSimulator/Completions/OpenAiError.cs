using System.Text.Json;

namespace Agents.ModelSimulator.Completions;

/// <summary>Writes errors in OpenAI's shape, <c>{"error":{"message","type","param","code"}}</c>, which the SDKs parse.</summary>
internal static class OpenAiError
{
    public static Task WriteBadRequestAsync(HttpResponse response, RequestError error) =>
        WriteAsync(response, StatusCodes.Status400BadRequest, error.Message, "invalid_request_error", null, error.Param);

    /// <summary>The error a <c>error=STATUS</c> directive asks for, with the wording OpenAI uses for that status.</summary>
    public static Task WriteScriptedAsync(HttpResponse response, int status, int? retryAfterSeconds)
    {
        if (retryAfterSeconds is { } seconds)
        {
            response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var (message, type, code) = status switch
        {
            400 => ("Invalid request (simulated).", "invalid_request_error", "invalid_value"),
            401 => ("Incorrect API key provided (simulated).", "invalid_request_error", "invalid_api_key"),
            403 => ("You are not allowed to sample from this model (simulated).", "invalid_request_error", "forbidden"),
            404 => ("The model does not exist (simulated).", "invalid_request_error", "model_not_found"),
            429 => ("Rate limit reached for requests (simulated).", "requests", "rate_limit_exceeded"),
            503 => ("The engine is currently overloaded, please try again later (simulated).", "server_error", "service_unavailable"),
            >= 500 => ("The server had an error while processing your request (simulated).", "server_error", "server_error"),
            _ => ("Simulated client error.", "invalid_request_error", "simulated_error"),
        };
        return WriteAsync(response, status, message, type, code, null);
    }

    public static async Task WriteAsync(HttpResponse response, int status, string message, string type, string? code, string? param)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        await using (var json = new Utf8JsonWriter(response.BodyWriter, CompletionJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteString("message", message);
            json.WriteString("type", type);
            WriteStringOrNull(json, "param", param);
            WriteStringOrNull(json, "code", code);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync().ConfigureAwait(false);
    }

    private static void WriteStringOrNull(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}
