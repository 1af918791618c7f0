using Alignment.Models.Generation;
using Alignment.Models.Llama;
using Alignment.Torch;

namespace Alignment.Training.Trainers;

/// <summary>sampling_per_prompt of the online trainers: a prompt's completions drawn from a generator seeded by (seed,
/// step, the prompt's index in the data), so they do not depend on which other prompts share the batch or on the number
/// of data-parallel processes.</summary>
public static class PromptSampling
{
    public static IReadOnlyList<GeneratedSequence> Sample(LlamaForCausalLM policy, int[] prompt, int promptIndex, int step, int count,
                                                          GenerationOptions generation, ulong seed)
    {
        using var generator = new Generator(seed ^ 0x5EED ^ ((ulong)step * 0x9E3779B97F4A7C15UL) ^ ((ulong)(promptIndex + 1) * 0xBF58476D1CE4E5B9UL));
        var ids = prompt.Select(x => (long)x).ToArray();
        return CausalLMGenerator.Generate(policy, Enumerable.Repeat(ids, count).ToList(), generation, generator);
    }
}
