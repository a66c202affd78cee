using System.Text.Json;
using Agents.Application.Http;
using Agents.Domain.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Application.Policies;

/// <summary>The <c>policies</c> member of an agent as it is saved: only admins may set it (it can loosen the chain), and it is validated.</summary>
public static class AgentPolicies
{
    /// <summary>
    /// What to store: the existing override when the request sends none (so a user's edit keeps what an admin set),
    /// else the validated new one (<c>{}</c> removes the override).
    /// </summary>
    public static async Task<JsonElement?> ForSaveAsync(HttpContext http, JsonElement? requested, JsonElement? existing)
    {
        if (requested is not { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined })
        {
            return existing;
        }
        if (!http.Caller().IsAdmin)
        {
            throw new ApiProblemException(Problems.AdminOnly("set an agent's policies"));
        }
        var configuration = http.RequestServices.GetRequiredService<PolicyConfiguration>();
        var errors = await configuration.ValidateAgentOverrideAsync(requested, "policies", http.RequestAborted).ConfigureAwait(false);
        return errors.Count > 0 ? throw new ApiProblemException(Problems.Validation(errors)) : requested.Value.Clone();
    }
}
