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

    private readonly OwnerProfiles _owners;

    public ApiKeyServiceTests()
    {
        _owners = new OwnerProfiles(_store, _clock, NullLogger<OwnerProfiles>.Instance);
        _service = new ApiKeyService(_store, _owners, _clock, NullLogger<ApiKeyService>.Instance);
    }

    private Task<CreatedApiKey> Create(string[]? scopes = null, DateTimeOffset? expiresAt = null, Caller? owner = null) =>
        _service.CreateAsync(owner ?? Owner, "ci pipeline", scopes ?? [ApiKeyScopes.Read], expiresAt, default);

    [Fact]
    public async Task CreatedKey_HasTheDocumentedFormat()
    {
        var created = await Create();

        created.Key.ShouldMatch("^agk_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$");
        created.Info.Prefix.ShouldBe(created.Key[..16]);
        created.Info.Prefix.ShouldBe("agk_" + created.Info.KeyId);
        created.Info.Scopes.ShouldBe([ApiKeyScopes.Read]);
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
        outcome.Caller.Scopes.ShouldBe([ApiKeyScopes.Read]);
        outcome.Caller.HasAdminRole.ShouldBeTrue();
        outcome.Caller.IsAdmin.ShouldBeFalse(); // without the admin scope, a key never acts as an admin
    }

    [Fact]
    public async Task NoScopesNamed_GetsTheDefault_WhichLeavesOutAdmin()
    {
        var created = await _service.CreateAsync(Owner, "default", null, null, default);

        created.Info.Scopes.ShouldBe(["read", "runs", "gateway"]);
    }

    [Fact]
    public async Task TheOwnersRoles_AreLookedUpAtUse_AndAnOlderTokenCannotRestoreThem()
    {
        var issued = _clock.GetUtcNow();
        var created = await Create(scopes: [ApiKeyScopes.Runs, ApiKeyScopes.Admin], owner: Owner with { IssuedAt = issued });
        (await _service.ValidateAsync(created.Key, default)).Caller!.IsAdmin.ShouldBeTrue();

        // The owner's next token no longer has the role, nor a tier: the key has neither from its next use on.
        _clock.Advance(TimeSpan.FromMinutes(1));
        await _owners.NoteAsync(Owner with { Roles = [], Tier = null, IssuedAt = issued.AddMinutes(1) }, default);
        var demoted = (await _service.ValidateAsync(created.Key, default)).Caller!;
        demoted.Roles.ShouldBeEmpty();
        demoted.IsAdmin.ShouldBeFalse();
        demoted.Tier.ShouldBeNull();

        // A token issued before that one, still valid and still used somewhere, does not give the role back.
        await _owners.NoteAsync(Owner with { IssuedAt = issued }, default);
        (await _service.ValidateAsync(created.Key, default)).Caller!.IsAdmin.ShouldBeFalse();

        // A newer one does.
        await _owners.NoteAsync(Owner with { IssuedAt = issued.AddMinutes(2) }, default);
        (await _service.ValidateAsync(created.Key, default)).Caller!.IsAdmin.ShouldBeTrue();
    }

    [Fact]
    public async Task ATokenNoNewerThanTheStoredProfile_CostsNoWrite_ANewerOneIsStored()
    {
        var issued = _clock.GetUtcNow();
        await _owners.NoteAsync(Owner with { IssuedAt = issued }, default);
        await _owners.NoteAsync(Owner with { IssuedAt = issued }, default);
        await _owners.NoteAsync(Owner with { Roles = [], IssuedAt = issued.AddMinutes(-1) }, default);
        _store.OwnerSaves.ShouldBe(1);

        await _owners.NoteAsync(Owner with { IssuedAt = issued.AddHours(1) }, default);
        _store.OwnerSaves.ShouldBe(2);
    }

    [Fact]
    public async Task TheStore_KeepsTheNewestTokensProfile_WhicheverInstanceOffersIt()
    {
        var issued = _clock.GetUtcNow();
        var created = await Create(scopes: [ApiKeyScopes.Admin], owner: Owner with { IssuedAt = issued });
        var otherInstance = new OwnerProfiles(_store, _clock, NullLogger<OwnerProfiles>.Instance);

        await otherInstance.NoteAsync(Owner with { Roles = [], IssuedAt = issued.AddMinutes(2) }, default);
        await _owners.NoteAsync(Owner with { IssuedAt = issued.AddMinutes(1) }, default); // older than what the other stored

        (await _service.ValidateAsync(created.Key, default)).Caller!.IsAdmin.ShouldBeFalse();
    }

    [Fact]
    public async Task RevokingAnIdThatIsNoKeyId_RevokesNothing_AndLeavesTheProfile()
    {
        await Create();

        (await _service.RevokeAsync(Owner, "owner", default)).ShouldBeFalse();
        (await _service.RevokeAsync(Owner, "../owner", default)).ShouldBeFalse();
        (await _store.FindOwnerAsync(Owner.UserId, default)).ShouldNotBeNull();
    }

    [Fact]
    public async Task AnApplication_CannotCreateKeys()
    {
        var ex = await Should.ThrowAsync<ApiProblemException>(() => Create(owner: Owner with { Kind = CallerKind.Application }));

        ex.Problem.Status.ShouldBe(403);
    }

    [Fact]
    public async Task AKeyMadeBeforeScopesExisted_ActsWithTheDefaultScopes_NotAdmin()
    {
        var created = await Create();
        var legacy = _store.Stored.Single() with { Scopes = ["Agents.Access"] };
        await _store.DeleteAsync(legacy.OwnerUserId, legacy.KeyId, default);
        await _store.CreateAsync(legacy, default);

        var caller = (await _service.ValidateAsync(created.Key, default)).Caller!;

        caller.Scopes.ShouldBe(ApiKeyScopes.Default);
        caller.IsAdmin.ShouldBeFalse();
    }

    [Fact]
    public async Task AKeyWhoseOwnerHasNoProfile_HasNoRoles()
    {
        var created = await Create(scopes: [ApiKeyScopes.Admin]);
        _store.ForgetOwners();

        var caller = (await _service.ValidateAsync(created.Key, default)).Caller!;

        caller.Roles.ShouldBeEmpty();
        caller.IsAdmin.ShouldBeFalse();
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

    [Theory]
    [InlineData("Agents.Use")]
    [InlineData("write")]
    [InlineData("READ")]
    public async Task UnknownScopes_AreRefused_NamingTheKnownOnes(string scope)
    {
        var ex = await Should.ThrowAsync<ApiProblemException>(() => Create(scopes: [ApiKeyScopes.Read, scope]));

        ex.Problem.Status.ShouldBe(400);
        ex.Problem.Extensions!["field"].ShouldBe("scopes");
        ex.Problem.Detail.ShouldBe($"Unknown scope '{scope}'; a key's scopes are read, runs, gateway, admin.");
        _store.Stored.ShouldBeEmpty();
    }

    [Fact]
    public async Task TheAdminScope_WithoutTheAdminRole_IsRefused()
    {
        var ex = await Should.ThrowAsync<ApiProblemException>(() => Create(scopes: [ApiKeyScopes.Admin], owner: Owner with { Roles = [] }));

        ex.Problem.Status.ShouldBe(400);
        ex.Problem.Detail.ShouldBe("The scope 'admin' needs the Agents.Admin role, which you do not have.");
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
