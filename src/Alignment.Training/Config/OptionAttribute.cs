namespace Alignment.Training.Config;

/// <summary>Declares a trainer option: its config key (snake_case, as TRL/LLaMA-Factory name it) and what it does.
/// The default is the property's initial value, so `align train STAGE --help` can list key, type, default and text.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OptionAttribute(string key, string description) : Attribute
{
    public string Key { get; } = key;
    public string Description { get; } = description;
}
