using System.Globalization;

namespace Alignment.Data.Store;

/// <summary>
/// The store's one time format: UTC, fixed width (<c>yyyy-MM-ddTHH:mm:ss.fffZ</c>), so comparing
/// the text compares the instants and SQL can do lease arithmetic with plain string comparison.
/// </summary>
public static class Timestamps
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>Formats an instant in the store's format.</summary>
    public static string ToText(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>Parses a stored timestamp.</summary>
    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, Format, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
