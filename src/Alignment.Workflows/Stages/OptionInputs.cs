using System.Reflection;
using Alignment.Training.Config;
using Alignment.Workflows.Activities;

namespace Alignment.Workflows.Stages;

/// <summary>
/// The stage inputs of a trainer's options type, derived from its properties: every <see cref="OptionAttribute"/>
/// property that also carries a <see cref="StageInputAttribute"/> applying to the type becomes one input (name and
/// text from the attribute; type, default and enum choices from the property), and the same list gives the config key
/// each input sets. Nothing about an option is written a second time here.
/// </summary>
public static class OptionInputs
{
    /// <summary>One trainer option exposed as a stage input.</summary>
    public sealed record Entry(string Key, InputDescriptor Input);

    /// <summary>The inputs of <typeparamref name="T"/> in the order its options are declared (its own, then its base's).</summary>
    public static IReadOnlyList<Entry> Of<T>() where T : new() => Of(typeof(T));

    public static IReadOnlyList<Entry> Of(Type type)
    {
        var entries = new List<Entry>();
        foreach (var option in OptionsBinder.Describe(type))
        {
            var attributes = option.Property.GetCustomAttributes<StageInputAttribute>().ToList();
            var input = attributes.FirstOrDefault(a => a.For == type) ?? attributes.FirstOrDefault(a => a.For is null);
            if (input is not null) entries.Add(new(option.Key, Describe(option, input)));
        }
        return entries;
    }

    private static InputDescriptor Describe(OptionInfo option, StageInputAttribute input)
    {
        var type = Nullable.GetUnderlyingType(option.Type) ?? option.Type;
        var (inputType, choices) =
            type == typeof(string) ? (InputType.String, (string[]?)null)
            : type == typeof(bool) ? (InputType.Boolean, null)
            : type == typeof(int) || type == typeof(long) || type == typeof(ulong) ? (InputType.Integer, null)
            : type == typeof(double) || type == typeof(float) ? (InputType.Number, null)
            : type.IsEnum ? (InputType.String, Enum.GetNames(type).Select(OptionInfo.ToSnake).ToArray())
            : throw new InvalidOperationException($"option '{option.Key}' ({type.Name}) cannot be a stage input");
        object? value = input.Default ?? option.Default;
        value = value switch
        {
            Enum e => (object)OptionInfo.ToSnake(e.ToString()),
            ulong u => (long)u,
            float f => (double)f,
            _ => value,
        };
        return new InputDescriptor(input.Name, inputType, input.Description ?? $"{option.Description} ({option.Key})",
            Default: ValueConversion.ToJson(value), Choices: choices, Minimum: input.Minimum == long.MinValue ? null : input.Minimum);
    }
}
