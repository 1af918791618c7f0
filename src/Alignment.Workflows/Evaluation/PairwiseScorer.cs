using Alignment.Models.Heads;
using Alignment.Tokenizers;
using Alignment.Tokenizers.Chat;
using Alignment.Torch;
using Alignment.Training.Batching;
using static Alignment.Torch.torch;

namespace Alignment.Workflows.Evaluation;

/// <summary>Scores (prompt, answer) pairs with a reward model: the conversation rendered by the chat template, scored on
/// its last token (the reward model's pooling).</summary>
public sealed class PairwiseScorer(LlamaForSequenceClassification model, Tokenizer tokenizer, ChatTemplate template, int batchSize = 8)
{
    public double[] Score(IReadOnlyList<(string prompt, string answer)> items)
    {
        var ids = items.Select(i => template.Encode(tokenizer, [ChatMessage.User(i.prompt), ChatMessage.Assistant(i.answer)]).InputIds).ToList();
        int pad = tokenizer.Pad?.Id ?? 0;
        var scores = new double[items.Count];
        using var _ = no_grad();
        for (int start = 0; start < ids.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var rows = ids.Skip(start).Take(batchSize).Select(x => new Training.Features.SftFeatures(x, x, 0)).ToList();
            using var batch = Collator.Sft(rows, pad);
            var logits = model.forward(batch.InputIds, batch.AttentionMask).logits;   // (B, num_labels)
            var values = logits.select(1, 0).to(ScalarType.Float64).data<double>();
            values.CopyTo(scores, start);
        }
        return scores;
    }
}
