using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Agents.Domain.Errors;
using Agents.Domain.Identity;
using Agents.Identity.ApiKeys;
using Agents.Identity.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Shouldly;
using Xunit;

namespace Agents.Identity.Tests;

public sealed class ApiKeyServiceTests
{
    private static readonly Caller Owner = new(
        "oidc_owner", "tenant-1", "Ada Lovelace", CallerKind.User,
        [Caller.AdminRole], ["Agents.Use", "Agents.Read"], Tier: "pro");

    private readonly InMemoryApiKeyStore _store = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly ApiKeyService _service;

    public ApiKeyServiceTests() => _service = new ApiKeyService(_store, _clock, NullLogger<ApiKeyService>.Instance);

    private Task<CreatedApiKey> Create(string[]? scopes = null, DateTimeOffset? expiresAt = null, Caller? owner = null) =>
        _service.CreateAsync(owner ?? Owner, "ci pipeline", scopes ?? ["Agents.Use"], expiresAt, default);

    [Fact]
    public async Task CreatedKey_HasTheDocumentedFormat()
    {
        var created = await Create();

        created.Key.ShouldMatch("^agk_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$");
        created.Info.Prefix.ShouldBe(created.Key[..16]);
        created.Info.Prefix.ShouldBe("agk_" + created.Info.KeyId);
        created.Info.Scopes.ShouldBe(["Agents.Use"]);
        created.Info.CreatedAt.ShouldBe(_clock.GetUtcNow());
    }

    [Fact]
    public async Task Validate_ActsAsTheOwnerWithTheKeysScopes()
    {
        var created = await Create();

        var outcome = await _service.ValidateAsync(created.Key, default);

        outcome.Succeeded.ShouldBeTrue();
        outcome.Caller.ShouldBe(new Caller(
            Owner.UserId, Owner.TenantId, Owner.DisplayName, CallerKind.ApiKey,
            outcome.Caller.Roles, outcome.Caller.Scopes, created.Info.KeyId, "pro"));
        outcome.Caller.Roles.ShouldBe([Caller.AdminRole]);
        outcome.Caller.Scopes.ShouldBe(["Agents.Use"]);
    }

    [Fact]
    public async Task Store_KeepsOnlyTheSha256OfTheSecret()
    {
        var created = await Create();
        var secret = created.Key[17..];

        var stored = _store.Stored.Single();
        stored.SecretHash.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret))));
        JsonSerializer.Serialize(stored).ShouldNotContain(secret);
    }

    [Fact]
    public async Task RevokedKey_IsRejectedAtOnce()
    {
        var created = await Create();
        (await _service.ValidateAsync(created.Key, default)).Succeeded.ShouldBeTrue();

        (await _service.RevokeAsync(Owner, created.Info.KeyId, default)).ShouldBeTrue();

        var outcome = await _service.ValidateAsync(created.Key, default);
        outcome.StatusCode.ShouldBe(401);
        outcome.Problem!.Code.ShouldBe("invalid_token");
        (await _service.ListAsync(Owner, default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task RevokingSomeoneElsesKey_IsNotFound_AndTheKeyKeepsWorking()
    {
        var created = await Create();
        var stranger = Owner with { UserId = "oidc_stranger" };

        (await _service.RevokeAsync(stranger, created.Info.KeyId, default)).ShouldBeFalse();

        (await _service.ValidateAsync(created.Key, default)).Succeeded.ShouldBeTrue();
    }

    [Fact]
    public async Task ExpiredKey_IsRejected()
    {
        var created = await Create(expiresAt: _clock.GetUtcNow().AddDays(1));
        (await _service.ValidateAsync(created.Key, default)).Succeeded.ShouldBeTrue();

        _clock.Advance(TimeSpan.FromDays(1));

        var outcome = await _service.ValidateAsync(created.Key, default);
        outcome.StatusCode.ShouldBe(401);
        outcome.Problem!.Detail.ShouldBe("The API key has expired.");
    }

    [Fact]
    public async Task WrongSecret_IsRejectedLikeAnUnknownKey()
    {
        var created = await Create();
        var other = (await Create()).Key;
        var wrongSecret = created.Key[..17] + other[17..];

        var outcome = await _service.ValidateAsync(wrongSecret, default);
        var unknown = await _service.ValidateAsync("agk_aaaaaaaaaaaa_" + other[17..], default);

        outcome.StatusCode.ShouldBe(401);
        outcome.Problem!.Detail.ShouldBe("The API key is invalid.");
        unknown.Problem!.Detail.ShouldBe(outcome.Problem.Detail);
    }

    [Theory]
    [InlineData("agk_")]
    [InlineData("agk_short_secret")]
    [InlineData("agk_AAAAAAAAAAAA_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task MalformedKey_IsRejected(string key)
    {
        (await _service.ValidateAsync(key, default)).StatusCode.ShouldBe(401);
    }

    [Fact]
    public async Task List_ShowsMetadataButNoSecrets()
    {
        var created = await Create(expiresAt: _clock.GetUtcNow().AddDays(30));

        var listed = await _service.ListAsync(Owner, default);

        var info = listed.ShouldHaveSingleItem();
        info.ShouldBe(created.Info);
        info.ExpiresAt.ShouldBe(_clock.GetUtcNow().AddDays(30));
        var json = JsonSerializer.Serialize(listed);
        json.ShouldNotContain(created.Key[17..]);
        json.ShouldNotContain(_store.Stored.Single().SecretHash);
        typeof(ApiKeyInfo).GetProperties().Select(p => p.Name).ShouldNotContain(n => n.Contains("Secret") || n.Contains("Hash"));
    }

    [Fact]
    public async Task List_OnlyShowsTheCallersOwnKeys()
    {
        await Create();
        await Create(owner: Owner with { UserId = "oidc_other" });

        (await _service.ListAsync(Owner, default)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task ScopesTheOwnerLacks_AreRefused()
    {
        var ex = await Should.ThrowAsync<ApiProblemException>(() => Create(scopes: ["Agents.Use", "Agents.Write"]));

        ex.Problem.Status.ShouldBe(400);
        ex.Problem.Extensions!["field"].ShouldBe("scopes");
        _store.Stored.ShouldBeEmpty();
    }

    [Fact]
    public async Task ExpiryInThePast_IsRefused()
    {
        var ex = await Should.ThrowAsync<ApiProblemException>(() => Create(expiresAt: _clock.GetUtcNow().AddMinutes(-1)));

        ex.Problem.Extensions!["field"].ShouldBe("expiresAt");
    }

    [Fact]
    public async Task AnApiKeyCaller_CannotCreateKeys()
    {
        var viaKey = Owner with { Kind = CallerKind.ApiKey, ApiKeyId = "abcdefghijkl" };

        var ex = await Should.ThrowAsync<ApiProblemException>(() => Create(owner: viaKey));

        ex.Problem.Status.ShouldBe(403);
    }
}
