using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Alignment.Data.Labeling;

/// <summary>
/// The SHA-256 of a judgment as submitted (choice, strength, rationale, aspect ratings, time), stored with its
/// idempotency key: a replay must carry the same judgment, whatever the JSON's spacing or key order.
/// </summary>
public static class JudgmentFingerprint
{
    /// <summary>Lowercase hex SHA-256 of the input's fields, serialized as one JSON array.</summary>
    public static string Of(JudgmentInput input)
    {
        var fields = JsonSerializer.Serialize(new object?[]
        {
            input.Choice.ToString(), input.Strength, input.Rationale,
            input.Aspects?.Helpful, input.Aspects?.Harmless, input.Aspects?.Honest, input.TimeMs,
        });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fields)));
    }
}
