using Agents.Domain.Errors;
using Agents.Domain.Identity;
using Microsoft.Extensions.Logging;

namespace Agents.Identity.ApiKeys;

/// <summary>
/// Creates, lists, revokes and validates API keys. A key acts as its owner, with the roles, tier and name of the owner's
/// <see cref="OwnerProfile"/> read at every use, and is limited to its own <see cref="ApiKeyScopes"/>; without the
/// <see cref="ApiKeyScopes.Admin"/> scope it never acts as an admin (<see cref="Caller.IsAdmin"/>). Validation reads the store every time: nothing
/// is cached, so a revocation or a lost role takes effect on the next request.
/// </summary>
public sealed partial class ApiKeyService(IApiKeyStore store, OwnerProfiles owners, TimeProvider time, ILogger<ApiKeyService> logger)
{
    public const int MaxKeysPerOwner = 50;
    public const int MaxNameLength = 100;

    /// <summary>
    /// Creates a key for <paramref name="owner"/> with <paramref name="scopes"/> (<see cref="ApiKeyScopes.Default"/> when
    /// null). Throws <see cref="ApiProblemException"/> (400 <c>validation_failed</c>, 403 <c>api_key_not_allowed</c>,
    /// 409 <c>api_key_limit_reached</c>).
    /// </summary>
    public async Task<CreatedApiKey> CreateAsync(
        Caller owner,
        string name,
        IReadOnlyCollection<string>? scopes,
        DateTimeOffset? expiresAt,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        scopes ??= [.. ApiKeyScopes.Default];
        if (owner.Kind != CallerKind.User)
        {
            // A key could otherwise mint fresh keys that outlive its own revocation; an application's roles reach no
            // profile (only users' tokens update theirs), so its keys would keep them for ever.
            throw new ApiProblemException(new ApiProblem(403, "api_key_not_allowed", "Not allowed with an API key",
                "API keys can only be created by a signed-in user."));
        }

        name = name?.Trim() ?? "";
        if (name.Length is 0 or > MaxNameLength)
        {
            throw Invalid("name", $"The name must have 1 to {MaxNameLength} characters.");
        }

        if (scopes.Count == 0)
        {
            throw Invalid("scopes", "List at least one scope for the key.");
        }

        var unknown = scopes.Where(s => !ApiKeyScopes.IsKnown(s)).ToArray();
        if (unknown.Length > 0)
        {
            throw Invalid("scopes", $"Unknown scope {string.Join(", ", unknown.Select(s => $"'{s}'"))}; a key's scopes are {string.Join(", ", ApiKeyScopes.All)}.");
        }

        if (scopes.Contains(ApiKeyScopes.Admin, StringComparer.Ordinal) && !owner.HasAdminRole)
        {
            throw Invalid("scopes", $"The scope '{ApiKeyScopes.Admin}' needs the {Caller.AdminRole} role, which you do not have.");
        }

        var now = time.GetUtcNow();
        if (expiresAt is { } expiry && expiry <= now)
        {
            throw Invalid("expiresAt", "The expiry must be in the future.");
        }

        var existing = await store.ListAsync(owner.UserId, cancellationToken).ConfigureAwait(false);
        if (existing.Count >= MaxKeysPerOwner)
        {
            throw new ApiProblemException(new ApiProblem(409, "api_key_limit_reached", "Too many API keys",
                $"An owner can have at most {MaxKeysPerOwner} keys; revoke one first."));
        }

        await owners.NoteAsync(owner, cancellationToken).ConfigureAwait(false); // what the key will act with
        var (keyId, secret, key) = ApiKeyFormat.Generate();
        var record = new ApiKeyRecord(
            keyId, owner.UserId, owner.TenantId, owner.DisplayName, [.. owner.Roles], owner.Tier,
            name, [.. scopes.Distinct(StringComparer.Ordinal)], ApiKeyFormat.HashSecret(secret), now, expiresAt);
        await store.CreateAsync(record, cancellationToken).ConfigureAwait(false);
        LogCreated(keyId, owner.UserId);
        return new CreatedApiKey(record.ToInfo(), key);
    }

    /// <summary>The owner's keys, without secrets.</summary>
    public async Task<IReadOnlyList<ApiKeyInfo>> ListAsync(Caller owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var keys = await store.ListAsync(owner.UserId, cancellationToken).ConfigureAwait(false);
        return [.. keys.OrderBy(k => k.CreatedAt).Select(k => k.ToInfo())];
    }

    /// <summary>Revokes one of the owner's keys at once. False when the owner has no such key (someone else's included).</summary>
    public async Task<bool> RevokeAsync(Caller owner, string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(keyId);
        if (!ApiKeyFormat.IsKeyId(keyId))
        {
            return false; // not a key id (the owner's other documents share the partition): nothing to revoke
        }
        var revoked = await store.DeleteAsync(owner.UserId, keyId, cancellationToken).ConfigureAwait(false);
        if (revoked)
        {
            LogRevoked(keyId, owner.UserId);
        }

        return revoked;
    }

    /// <summary>
    /// Authenticates a presented key: the owner as <see cref="CallerKind.ApiKey"/>, as their profile is now, with the
    /// key's scopes; or 401 <c>invalid_token</c> (unknown, wrong secret, revoked or expired).
    /// </summary>
    public async Task<AuthenticationOutcome> ValidateAsync(string presentedKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(presentedKey);
        if (!ApiKeyFormat.TryParse(presentedKey, out var keyId, out var secret))
        {
            LogRejected("", "Malformed");
            return AuthenticationOutcome.InvalidToken("The API key is invalid.");
        }

        var record = await store.FindAsync(keyId, cancellationToken).ConfigureAwait(false);
        // Unknown id and wrong secret answer alike: the response does not tell which key ids exist.
        if (record is null || !ApiKeyFormat.SecretMatches(secret, record.SecretHash))
        {
            LogRejected(keyId, record is null ? "UnknownKey" : "WrongSecret");
            return AuthenticationOutcome.InvalidToken("The API key is invalid.");
        }

        if (record.ExpiresAt is { } expiry && expiry <= time.GetUtcNow())
        {
            LogRejected(keyId, "Expired");
            return AuthenticationOutcome.InvalidToken("The API key has expired.");
        }

        // Without a profile (a key made before profiles existed, until its owner's next token) a key has no roles:
        // what the owner had at creation may no longer be true.
        var owner = await store.FindOwnerAsync(record.OwnerUserId, cancellationToken).ConfigureAwait(false)
            ?? new OwnerProfile(record.OwnerUserId, record.OwnerTenantId, record.OwnerDisplayName, [], record.OwnerTier, record.CreatedAt);
        return AuthenticationOutcome.Success(new Caller(
            owner.UserId, owner.TenantId, owner.DisplayName, CallerKind.ApiKey, owner.Roles, ApiKeyScopes.Effective(record.Scopes),
            record.KeyId, owner.Tier));
    }

    private static ApiProblemException Invalid(string field, string detail) =>
        new(new ApiProblem(400, "validation_failed", "Invalid API key request", detail,
            new Dictionary<string, object?> { ["field"] = field }));

    [LoggerMessage(Level = LogLevel.Information, Message = "API key {KeyId} created for {UserId}")]
    private partial void LogCreated(string keyId, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "API key {KeyId} revoked by {UserId}")]
    private partial void LogRevoked(string keyId, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "API key {KeyId} rejected: {Reason}")]
    private partial void LogRejected(string keyId, string reason);
}
