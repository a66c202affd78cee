namespace Agents.Domain.Errors;

/// <summary>One invalid field of a request: the JSON path the client sent and what is wrong with it.</summary>
public sealed record FieldError(string Field, string Message);
