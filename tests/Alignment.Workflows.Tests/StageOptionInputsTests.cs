using System.Reflection;
using System.Text.Json.Nodes;
using Alignment.Training.Config;
using Alignment.Training.Trainers;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Stages;

namespace Alignment.Workflows.Tests;

// A trainer option is declared once, on its options class; the stage's inputs and the input → key map come from it.
// These tests read the options classes' properties and attributes themselves and check what each activity shows the
// designer and the engine, so a stage whose inputs were listed by hand (or a map that drifted) fails here.
public class StageOptionInputsTests
{
    public static TheoryData<string, Type> Stages => new()
    {
        { SftActivity.TypeName, typeof(SftOptions) },
        { TrainRewardModelActivity.TypeName, typeof(RewardOptions) },
        { DpoActivity.TypeName, typeof(DpoOptions) },
        { KtoActivity.TypeName, typeof(KtoOptions) },
        { PpoActivity.TypeName, typeof(PpoOptions) },
        { GrpoActivity.TypeName, typeof(GrpoOptions) },
        { RlooActivity.TypeName, typeof(RlooOptions) },
        { UpftActivity.TypeName, typeof(UpftOptions) },
        { BestOfNActivity.TypeName, typeof(BestOfNOptions) },
        { OnlineDpoActivity.TypeName, typeof(OnlineDpoOptions) },
    };

    private static readonly string[] Common =
    [
        "learningRate", "epochs", "maxSteps", "batchSize", "maxLength", "seed", "template", "finetuning", "loraR", "numVirtualTokens",
        "useRslora", "useDora", "initLoraWeights", "useGalore", "qatBits", "quantizationBit", "gradientCheckpointing", "loggingSteps",
    ];

    // The option inputs each stage had when they were listed by hand (the shipped workflows use these names).
    private static readonly Dictionary<string, string[]> Shipped = new()
    {
        [SftActivity.TypeName] = [.. Common, "nproc", "extra"],
        [TrainRewardModelActivity.TypeName] = [.. Common, "nproc", "extra"],
        [DpoActivity.TypeName] = ["lossType", "beta", .. Common, "nproc", "extra"],
        [KtoActivity.TypeName] = ["beta", .. Common, "nproc", "extra"],
        [PpoActivity.TypeName] = ["rewardWeights", "klCoef", "maxNewTokens", "temperature", .. Common, "nproc", "extra"],
        [GrpoActivity.TypeName] = ["rewardWeights", "numGenerations", "maxCompletionLength", "temperature", "beta", "lossType", "scaleRewards", .. Common, "nproc", "extra"],
        [RlooActivity.TypeName] = ["rewardWeights", "numGenerations", "maxCompletionLength", "temperature", "beta", .. Common, "nproc", "extra"],
        [UpftActivity.TypeName] = ["prefixLength", "fullAnswerRatio", "maxNewTokens", "temperature", .. Common, "nproc", "extra"],
        [BestOfNActivity.TypeName] = ["n", "maxNewTokens", "temperature", "batchSize", "seed", "template", "extra"],
        [OnlineDpoActivity.TypeName] = ["rewardWeights", "maxNewTokens", "temperature", "beta", "lossType", "missingEosPenalty", .. Common, "nproc", "extra"],
    };

    // Stage defaults that differ from the option's own default.
    private static readonly Dictionary<string, JsonNode> StageDefaults = new()
    {
        ["template"] = "auto", ["loggingSteps"] = 1, ["rewardWeights"] = "",
    };

    private static ActivityDescriptor Descriptor(string type) => ActivityRegistry.CreateBuiltIn().Find(type, 1)!.Descriptor;

    /// <summary>The options of <paramref name="type"/> that its stage exposes, read from the properties: (key, input, property).</summary>
    private static List<(string key, string input, PropertyInfo property)> Exposed(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (p, option: p.GetCustomAttribute<OptionAttribute>(), inputs: p.GetCustomAttributes<StageInputAttribute>().ToList()))
            .Where(x => x.option is not null)
            .Select(x => (x.option!.Key, input: (x.inputs.FirstOrDefault(a => a.For == type) ?? x.inputs.FirstOrDefault(a => a.For is null))?.Name, x.p))
            .Where(x => x.input is not null)
            .Select(x => (x.Key, x.input!, x.p))
            .ToList();

    [Theory]
    [MemberData(nameof(Stages))]
    public void Each_stage_keeps_the_option_inputs_it_shipped_with(string activity, Type options)
    {
        var names = Descriptor(activity).Inputs.Select(i => i.Name).ToHashSet();
        Assert.Empty(Shipped[activity].Where(n => !names.Contains(n)));
        // No option input beyond those shipped appears without this list being updated on purpose.
        Assert.Empty(Exposed(options).Select(e => e.input).Where(n => !Shipped[activity].Contains(n)));
    }

    [Theory]
    [MemberData(nameof(Stages))]
    public void Every_option_marked_as_a_stage_input_is_an_input_of_its_stage_with_the_options_type_and_default(string activity, Type options)
    {
        var descriptor = Descriptor(activity);
        object defaults = Activator.CreateInstance(options)!;
        var exposed = Exposed(options);
        Assert.NotEmpty(exposed);
        foreach (var (key, name, property) in exposed)
        {
            var input = descriptor.FindInput(name);
            Assert.True(input is not null, $"{activity}: option '{key}' is marked as input '{name}' but the stage has no such input");
            var t = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var expectedType = t == typeof(bool) ? InputType.Boolean
                : t == typeof(int) || t == typeof(ulong) || t == typeof(long) ? InputType.Integer
                : t == typeof(double) ? InputType.Number : InputType.String;
            Assert.Equal(expectedType, input!.Type);
            if (t.IsEnum) Assert.Equal(Enum.GetNames(t).Select(OptionInfo.ToSnake), input.Choices!);
            JsonNode? expected = StageDefaults.TryGetValue(name, out var d) ? d : property.GetValue(defaults) switch
            {
                null => null,
                Enum e => OptionInfo.ToSnake(e.ToString()),
                ulong u => (long)u,
                int i => i,
                double x => x,
                bool b => b,
                string s => s,
                var other => throw new InvalidOperationException($"{name}: no JSON form for {other.GetType()}"),
            };
            Assert.Equal(expected?.ToJsonString(), input.Default?.ToJsonString());
        }
    }

    [Theory]
    [MemberData(nameof(Stages))]
    public void A_value_given_to_each_option_input_reaches_the_option(string activity, Type options)
    {
        var descriptor = Descriptor(activity);
        object defaults = Activator.CreateInstance(options)!;
        var bind = typeof(TrainerStage).GetMethod(nameof(TrainerStage.Bind))!.MakeGenericMethod(options);
        foreach (var (key, name, property) in Exposed(options))
        {
            var input = descriptor.FindInput(name)!;
            object? old = property.GetValue(defaults);
            var t = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            // A value unlike the default, in the form the engine hands a stage (long, double, bool, string).
            object given = input.Type switch
            {
                InputType.Boolean => !(bool)old!,
                InputType.Integer => Convert.ToInt64(old) + 3,
                InputType.Number => Convert.ToDouble(old) + 0.25,
                _ when input.Choices is { } choices => choices.First(c => c != input.Default!.GetValue<string>()),
                _ => "given-" + name,
            };
            var context = new StageContext("i", "a", "a", descriptor, 1, 1, "k", new StageInputs(new Dictionary<string, object?> { [name] = given }),
                null!, null!, "", CancellationToken.None, new(null, null, new JsonObject(), []), _ => { }, (_, _) => { });
            object bound = bind.Invoke(null, [context, new Dictionary<string, object?>()])!;
            object? got = property.GetValue(bound);
            object? want = t.IsEnum ? Enum.GetNames(t).Single(n => OptionInfo.ToSnake(n) == (string)given)
                : t == typeof(int) ? (int)(long)given : t == typeof(ulong) ? (ulong)(long)given : given;
            Assert.True(Equals(want, t.IsEnum ? got?.ToString() : got), $"{activity}: input '{name}' = {given} set option '{key}' to {got}");
        }
    }
}
