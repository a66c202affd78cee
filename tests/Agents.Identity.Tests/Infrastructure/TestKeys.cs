using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Agents.Identity.Tests.Infrastructure;

/// <summary>RSA 2048 keys generated once per test run (generation is the slow part).</summary>
public static class TestKeys
{
    private static readonly Lazy<RsaSecurityKey> LazyPrimary = new(() => Create("key-primary"));
    private static readonly Lazy<RsaSecurityKey> LazyRotated = new(() => Create("key-rotated"));
    private static readonly Lazy<RsaSecurityKey> LazyUnpublished = new(() => Create("key-unpublished"));

    /// <summary>Published by every server from the start.</summary>
    public static RsaSecurityKey Primary => LazyPrimary.Value;

    /// <summary>Published only when a test rotates keys.</summary>
    public static RsaSecurityKey Rotated => LazyRotated.Value;

    /// <summary>Never published: an attacker's key.</summary>
    public static RsaSecurityKey Unpublished => LazyUnpublished.Value;

    private static RsaSecurityKey Create(string kid) => new(RSA.Create(2048)) { KeyId = kid };
}
