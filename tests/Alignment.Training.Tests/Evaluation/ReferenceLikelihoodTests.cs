using Alignment.Models.Checkpoints;
using Alignment.Models.Llama;
using Alignment.Tokenizers.Chat;
using Alignment.Training.Datasets;
using Alignment.Training.Evaluation;
using Alignment.Training.Features;
using Alignment.Training.Tests.Trainers;

namespace Alignment.Training.Tests.Evaluation;

// ReferenceLikelihood batches rows with padding and scores only the labelled positions; the expected values come from a
// direct composition per row, alone and unpadded: the full logits of a float64 model, log-softmax, and −log p of each
// answer token summed in a plain loop. Tolerance: 1e-10 relative (float64; only summation order differs).
public class ReferenceLikelihoodTests
{
    private static readonly (string prompt, string reference)[] Rows =
    [
        ("q1", " red cat"),
        ("q12 item 12", " blue dog yes"),
        ("q3", " good"),
        ("q25 item 4 good bad", " green owl no answer"),
        ("q7", " pink fox"),
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void Per_row_nll_equals_a_direct_full_logits_computation(int batchSize)
    {
        using var scope = NewDisposeScope();
        using var world = new TinyWorld();
        var tokenizer = world.Tokenizer;
        var template = ChatTemplates.Get("chatml");
        var config = TinyModels.Config("llama", vocab: tokenizer.VocabSize, hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24)
            with { EosTokenId = [tokenizer.Eos!.Value.Id], BosTokenId = null, PadTokenId = tokenizer.Pad!.Value.Id };
        using var gen = new Generator(11);
        using var model = LlamaForCausalLM.from_config(config, gen, ScalarType.Float64);
        var examples = Rows.Select((r, i) => new ReferenceExample(Prompt.FromText(r.prompt), r.reference, i + 1).ToSft()).ToList();

        var got = ReferenceLikelihood.PerRow(model, tokenizer, template, examples, maxLength: 64, batchSize: batchSize);

        Assert.Equal(Rows.Length, got.Count);
        var featurizer = new Featurizer(tokenizer, template, 64);
        for (int i = 0; i < Rows.Length; i++)
        {
            var (nll, tokens) = Direct(model, featurizer.Sft(examples[i]));
            Assert.True(Math.Abs(nll - got[i].SumNll) <= 1e-10 * Math.Abs(nll), $"row {i}: {nll} vs {got[i].SumNll}");
            Assert.Equal(tokens, got[i].Tokens);
            // By hand: the reference's own tokens plus the one end-of-turn token that closes the answer.
            Assert.Equal(tokenizer.Encode(Rows[i].reference).Length + 1, got[i].Tokens);
        }
        double expectedMean = got.Sum(r => r.SumNll) / got.Sum(r => r.Tokens);
        Assert.Equal(expectedMean, ReferenceLikelihood.MeanPerToken(got), 12);
    }

    /// <summary>−Σ log softmax(logits[t])[ids[t+1]] over positions whose next token is labelled, one row, no padding.</summary>
    private static (double nll, int tokens) Direct(LlamaForCausalLM model, SftFeatures row)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int t = row.InputIds.Length;
        var ids = tensor(row.InputIds.Select(x => (long)x).ToArray(), new long[] { 1, t });
        var logp = nn.functional.log_softmax(model.forward(ids, null).logits, -1);      // (1, T, V)
        long v = logp.size(2);
        double[] flat = logp.data<double>();
        double nll = 0;
        int tokens = 0;
        for (int pos = 0; pos + 1 < t; pos++)
        {
            int label = row.Labels[pos + 1];
            if (label == SftFeatures.IgnoreIndex) continue;
            nll -= flat[pos * v + label];
            tokens++;
        }
        return (nll, tokens);
    }

    [Fact]
    public void Mean_per_token_weighs_tokens_not_rows() =>
        // Σ NLL / Σ tokens = 10 / 5 by hand, not the mean of the row means (1.5 + 0.5 + 6) / 3.
        Assert.Equal((3.0 + 1 + 6) / (2 + 2 + 1), ReferenceLikelihood.MeanPerToken([new(3, 2), new(1, 2), new(6, 1)]), 12);
}
