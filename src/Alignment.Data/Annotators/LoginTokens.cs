using System.Security.Cryptography;
using System.Text;

namespace Alignment.Data.Annotators;

/// <summary>
/// Login tokens: 32 random bytes, base64url, prefixed <c>aln_</c> (so secret scanners can spot a leaked one).
/// Only the SHA-256 of the token text is stored; lookups hash the presented token and compare hashes.
/// </summary>
public static class LoginTokens
{
    /// <summary>The token prefix.</summary>
    public const string Prefix = "aln_";

    /// <summary>A new random token.</summary>
    public static string NewToken()
    {
        var bytes = RandomNumberGenerator.GetBytes(32);
        return Prefix + Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Lowercase hex SHA-256 of the token's UTF-8 text.</summary>
    public static string Hash(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
