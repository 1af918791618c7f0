namespace Alignment.Data.Store;

/// <summary>A store copy that cannot be done as asked (the providers, a target that holds data, tables that differ); the message says why and what to do.</summary>
public sealed class StoreCopyException(string problem) : Exception($"store copy: {problem}.");
