using Agents.Identity.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Agents.Identity.Tests;

/// <summary>Unknown <c>kid</c>: one refresh and one retry, never more than one JWKS request per interval.</summary>
public sealed class KeyRotationTests : IAsyncLifetime
{
    private LocalOidcServer _server = null!;

    public async Task InitializeAsync() => _server = await LocalOidcServer.StartAsync(TestKeys.Primary);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task UnknownKid_IsRejectedAfterOneRefresh()
    {
        await using var identity = IdentityServices.Create(IdentityServices.OidcSettings(_server.Issuer));
        (await identity.Validator.ValidateAsync(TestTokens.Create(_server.Issuer, TestTokens.UserClaims()), default)).Succeeded.ShouldBeTrue();

        var outcome = await identity.Validator.ValidateAsync(
            TestTokens.Create(_server.Issuer, TestTokens.UserClaims(), key: TestKeys.Unpublished), default);

        outcome.StatusCode.ShouldBe(401);
        outcome.Problem!.Detail.ShouldBe("The token's signing key is not known.");
        _server.JwksRequests.ShouldBe(2);
    }

    [Fact]
    public async Task RotatedKey_IsAcceptedAfterOneRefresh()
    {
        await using var identity = IdentityServices.Create(IdentityServices.OidcSettings(_server.Issuer));
        (await identity.Validator.ValidateAsync(TestTokens.Create(_server.Issuer, TestTokens.UserClaims()), default)).Succeeded.ShouldBeTrue();
        _server.JwksRequests.ShouldBe(1);

        _server.Publish(TestKeys.Rotated);
        var outcome = await identity.Validator.ValidateAsync(
            TestTokens.Create(_server.Issuer, TestTokens.UserClaims(), key: TestKeys.Rotated), default);

        outcome.Succeeded.ShouldBeTrue();
        _server.JwksRequests.ShouldBe(2);

        // Both keys now come from the cache.
        (await identity.Validator.ValidateAsync(TestTokens.Create(_server.Issuer, TestTokens.UserClaims(), key: TestKeys.Rotated), default)).Succeeded.ShouldBeTrue();
        (await identity.Validator.ValidateAsync(TestTokens.Create(_server.Issuer, TestTokens.UserClaims()), default)).Succeeded.ShouldBeTrue();
        _server.JwksRequests.ShouldBe(2);
    }

    [Fact]
    public async Task BurstOfUnknownKids_CausesAtMostOneRefreshPerInterval()
    {
        await using var identity = IdentityServices.Create(IdentityServices.OidcSettings(_server.Issuer, refreshSeconds: 30));
        (await identity.Validator.ValidateAsync(TestTokens.Create(_server.Issuer, TestTokens.UserClaims()), default)).Succeeded.ShouldBeTrue();
        var forged = TestTokens.Create(_server.Issuer, TestTokens.UserClaims(), key: TestKeys.Unpublished);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => identity.Validator.ValidateAsync(forged, default)));
        for (var i = 0; i < 20; i++)
        {
            (await identity.Validator.ValidateAsync(forged, default)).Succeeded.ShouldBeFalse();
        }

        outcomes.ShouldAllBe(o => o.StatusCode == 401);
        _server.JwksRequests.ShouldBe(2);
    }

    [Fact]
    public async Task AfterTheInterval_AnotherRefreshIsAllowed()
    {
        await using var identity = IdentityServices.Create(IdentityServices.OidcSettings(_server.Issuer, refreshSeconds: 1));
        var forged = TestTokens.Create(_server.Issuer, TestTokens.UserClaims(), key: TestKeys.Unpublished);

        (await identity.Validator.ValidateAsync(forged, default)).Succeeded.ShouldBeFalse();
        (await identity.Validator.ValidateAsync(forged, default)).Succeeded.ShouldBeFalse();
        _server.JwksRequests.ShouldBe(2); // first fetch + one refresh

        await Task.Delay(TimeSpan.FromMilliseconds(1200));
        (await identity.Validator.ValidateAsync(forged, default)).Succeeded.ShouldBeFalse();
        _server.JwksRequests.ShouldBe(3);
    }
}
