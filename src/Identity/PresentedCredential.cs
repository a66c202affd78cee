using Agents.Identity.Tokens;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Agents.Identity;

/// <summary>
/// The request's one credential as <see cref="CallerAuthenticator"/> read it (from <c>Authorization: Bearer</c>,
/// <c>api-key</c> or <c>x-api-key</c>), kept as an HttpContext feature for the scheme it picked: JwtBearer reads only
/// the Authorization header, and parsing the token once is enough. <see cref="Token"/> and <see cref="Issuer"/> are
/// set for an access token, unvalidated.
/// </summary>
internal sealed record PresentedCredential(string Value, JsonWebToken? Token = null, TrustedIssuer? Issuer = null);
