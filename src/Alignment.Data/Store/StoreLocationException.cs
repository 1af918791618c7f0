namespace Alignment.Data.Store;

/// <summary>A store location that cannot be used; the message names it (password hidden) and the problem.</summary>
public sealed class StoreLocationException(string location, string problem)
    : Exception($"The store '{location}' {problem}.")
{
    /// <summary>The location as given (password hidden).</summary>
    public string Location { get; } = location;
}
