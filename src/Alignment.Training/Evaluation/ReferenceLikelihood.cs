using Alignment.Models.Llama;
using Alignment.Tokenizers;
using Alignment.Tokenizers.Chat;
using Alignment.Torch;
using Alignment.Training.Batching;
using Alignment.Training.Datasets;
using Alignment.Training.Features;
using Alignment.Training.Runtime;
using Alignment.Training.Trainers;
using static Alignment.Torch.torch;

namespace Alignment.Training.Evaluation;

/// <summary>One row's reference answer under a model: −Σ log p of its answer tokens and how many there are.</summary>
/// <param name="SumNll">Σ over the answer's tokens of −log p(token | everything before it), in nats.</param>
/// <param name="Tokens">The answer's scored tokens: the reference's tokens and the end-of-turn token that closes it
/// (fewer when max_length cut the answer).</param>
public readonly record struct ReferenceNll(double SumNll, int Tokens)
{
    /// <summary>Mean NLL per token of this row (0 for a row without tokens).</summary>
    public double MeanNll => Tokens == 0 ? 0 : SumNll / Tokens;
}

/// <summary>
/// Teacher-forced likelihood of reference answers under a causal LM, per row: each row is featurized as SFT
/// (<see cref="Featurizer.Sft"/>: the chat-templated prompt, then the answer, labels on the answer only), padded into
/// batches (<see cref="Collator.Sft"/>) and scored with <see cref="LabelledForward.Run"/>, without gradients. Rows come
/// back in input order, so two models' results pair up row by row (the general-ability guard compares them); the
/// held-out loss is <see cref="MeanPerToken"/> of them. The model's train/eval mode is the caller's (Llama has no
/// dropout, so both give the same numbers).
/// </summary>
public static class ReferenceLikelihood
{
    /// <summary>Featurizes <paramref name="rows"/> with <paramref name="template"/> (cut to <paramref name="maxLength"/>
    /// tokens as training cuts them) and scores them; padding uses the model's pad id.</summary>
    /// <param name="source">The data file, named in featurizing errors.</param>
    public static IReadOnlyList<ReferenceNll> PerRow(LlamaForCausalLM model, Tokenizer tokenizer, ChatTemplate template,
                                                     IReadOnlyList<SftExample> rows, int maxLength, int batchSize, string source = "data")
    {
        var featurizer = new Featurizer(tokenizer, template, maxLength, source);
        return PerRow(model, rows.Select(featurizer.Sft).ToList(), StageData.PadId(tokenizer, model.config), batchSize);
    }

    /// <summary>Scores already featurized rows, <paramref name="batchSize"/> at a time.</summary>
    public static IReadOnlyList<ReferenceNll> PerRow(LlamaForCausalLM model, IReadOnlyList<SftFeatures> rows, int padId, int batchSize)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be at least 1");
        var result = new List<ReferenceNll>(rows.Count);
        using var noGrad = no_grad();
        for (int start = 0; start < rows.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            using var batch = Collator.Sft(rows.Skip(start).Take(batchSize).ToList(), padId);
            var scored = LabelledForward.Run(model, batch.InputIds, batch.AttentionMask, batch.Labels);
            double[] sums = scored.Sum.to(float64).data<double>();
            double[] counts = scored.Count.to(float64).data<double>();
            for (int i = 0; i < sums.Length; i++) result.Add(new ReferenceNll(-sums[i], (int)counts[i]));
        }
        return result;
    }

    /// <summary>Σ NLL ÷ Σ tokens over the rows (each token weighs the same, as in a held-out loss); 0 when there are none.</summary>
    public static double MeanPerToken(IEnumerable<ReferenceNll> rows)
    {
        double nll = 0, tokens = 0;
        foreach (var r in rows)
        {
            nll += r.SumNll;
            tokens += r.Tokens;
        }
        return tokens == 0 ? 0 : nll / tokens;
    }
}
