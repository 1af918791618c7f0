namespace Alignment.Training.Config;

/// <summary>
/// Makes a trainer option (a property that also carries <see cref="OptionAttribute"/>) its own input of the workflow
/// stage that runs the trainer. The stage's input descriptor (type, default, choices) and the input → config key map
/// are derived from the property, so an option is declared once: its key, type, default and checks on the options
/// class, and this attribute only says which camelCase input exposes it. Options without it are still settable in a
/// stage through the <c>extra</c> JSON input by their config key.
/// </summary>
/// <remarks>
/// The input's type follows the property's (string, integer for int/long/ulong, number, boolean; an enum is a string
/// whose choices are the snake_case names); its default is the property's initial value on the options type the stage
/// runs, unless <see cref="Default"/> overrides it. When a property carries several of these attributes, the one whose
/// <see cref="For"/> is exactly the stage's options type wins over the one without <see cref="For"/>; an attribute whose
/// <see cref="For"/> names another type does not apply (so a derived options type can describe an input of its base
/// differently, and an input meant for one type only names it).
/// </remarks>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = true)]
public sealed class StageInputAttribute(string name, string? description = null) : Attribute
{
    /// <summary>The stage input's name (camelCase, as the shipped workflows spell it).</summary>
    public string Name { get; } = name;

    /// <summary>The text the designer shows; null = the option's own description followed by its config key.</summary>
    public string? Description { get; } = description;

    /// <summary>The stage's default when it differs from the option's (e.g. "auto" for the template).</summary>
    public object? Default { get; set; }

    /// <summary>The least value of an integer input; <see cref="long.MinValue"/> = no bound.</summary>
    public long Minimum { get; set; } = long.MinValue;

    /// <summary>The one options type this input applies to (exactly, not its subclasses); null = every options type that has the property.</summary>
    public Type? For { get; set; }
}
