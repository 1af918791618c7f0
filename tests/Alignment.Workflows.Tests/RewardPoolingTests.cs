using Alignment.Models.Heads;
using Alignment.Tokenizers;
using Alignment.Tokenizers.Chat;
using Alignment.Torch;
using Alignment.Training.Batching;
using Alignment.Training.Config;
using Alignment.Training.Datasets;
using Alignment.Training.Features;
using Alignment.Training.Trainers;
using static Alignment.Torch.torch;

namespace Alignment.Workflows.Tests;

// The reward model must be read at the token it was trained on. Training scores prompt + answer ending at <|im_end|>;
// PPO and best-of-N score the generation prompt + the sampled tokens (ending with the EOS they produced); Evaluate
// scores both the same way. A rendered conversation ends with a newline after <|im_end|>: pooling there is the bug this
// guards against (Evaluate used to do it), and the test checks that the two positions really give different scores.
public sealed class RewardPoolingTests
{
    [Fact]
    public void Training_ppo_best_of_n_and_evaluation_score_the_same_sequence_and_token()
    {
        using var home = new TestHome();
        string model = DemoModel.Create(Path.Combine(home.Folder, "policy"), seed: 5);
        string data = Path.Combine(home.Folder, "pairs.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 4).Select(i => $"{{\"prompt\":\"What is {i} plus 2?\",\"chosen\":\"{i} plus 2 is {i + 2}.\",\"rejected\":\"no\"}}"));
        string rmFolder = Path.Combine(home.Folder, "rm");
        RewardTrainer.Run(new RewardOptions { Model = model, Data = data, Template = "chatml", MaxSteps = 2, BatchSize = 2, SaveSteps = 0, LearningRate = 1e-3 }, rmFolder);

        var tokenizer = Tokenizer.FromFile(model);
        var template = ChatTemplates.Get("chatml");
        var featurizer = new Featurizer(tokenizer, template, 128);
        var example = DatasetReader.ReadPreferences(data)[1];
        var features = featurizer.Preference(example);
        int imEnd = tokenizer.TokenToId("<|im_end|>") ?? throw new InvalidOperationException("no <|im_end|> in the demo tokenizer");

        using var rm = LlamaForSequenceClassification.from_pretrained(rmFolder);
        rm.eval();
        int pad = tokenizer.Pad?.Id ?? 0;

        // 1. Training: RewardObjective's forward over Collator.Preference (chosen row first).
        double training;
        using (NewDisposeScope())
        using (no_grad())
        using (var batch = Collator.Preference([features], pad))
            training = rm.forward(batch.InputIds, batch.AttentionMask).logits.to(ScalarType.Float64).data<double>()[0];

        // 2. PPO / best-of-N / Evaluate's generated answers: generation prompt + answer tokens + the EOS the sampler emits.
        var generationPrompt = featurizer.GenerationPrompt(example.Prompt, 128);
        var answerTokens = tokenizer.Encode(example.Chosen.Text!).Append(imEnd).ToArray();
        var scorer = new RewardModelScorer(rm, pad);
        double generated = scorer.Score([RewardSequences.Of(generationPrompt, answerTokens)], [generationPrompt.Length])[0];

        // 3. Evaluate's held-out pairs: the featurized pair.
        double evaluated = scorer.Score([RewardSequences.Of(features).Chosen], [0])[0];

        Assert.Equal(imEnd, RewardSequences.Of(generationPrompt, answerTokens)[^1]);
        Assert.Equal(imEnd, RewardSequences.Of(features).Chosen[^1]);
        Assert.Equal(training, generated, 5);
        Assert.Equal(training, evaluated, 5);

        // The rendered conversation (what Evaluate used to score) pools the newline after <|im_end|>: a different score.
        var rendered = template.Encode(tokenizer, [ChatMessage.User(example.Prompt.Text!), ChatMessage.Assistant(example.Chosen.Text!)]).InputIds;
        Assert.NotEqual(imEnd, rendered[^1]);
        double atNewline = scorer.Score([rendered], [0])[0];
        Assert.True(Math.Abs(atNewline - training) > 1e-4, $"the newline position scored {atNewline}, the trained one {training}: the test could not tell them apart");
    }
}
