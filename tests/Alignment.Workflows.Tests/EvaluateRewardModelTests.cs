using System.Text.Json.Nodes;
using Alignment.Models.Heads;
using Alignment.Torch;
using Alignment.Tokenizers;
using Alignment.Tokenizers.Chat;
using Alignment.Training.Datasets;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;
using static Alignment.Torch.torch;

namespace Alignment.Workflows.Tests;

// Evaluate with judge reward-model: its verdicts and reward-model accuracy are recomputed here by scoring each
// (prompt, answer) alone (no batching, no padding) with the stored reward model, at the token it was trained on.
public class EvaluateRewardModelTests
{
    [Fact]
    public async Task Reward_model_judge_and_accuracy_match_unbatched_scores()
    {
        using var home = new TestHome();
        string policy = DemoModel.Create(Path.Combine(home.Folder, "policy"), seed: 3);
        string baseline = DemoModel.Create(Path.Combine(home.Folder, "baseline"), seed: 4);
        string pairs = Path.Combine(home.Folder, "pairs.jsonl");
        File.WriteAllLines(pairs, Enumerable.Range(0, 6).Select(i => $"{{\"prompt\":\"What is {i} plus 2?\",\"chosen\":\"{i} plus 2 is {i + 2}.\",\"rejected\":\"no\"}}"));

        var d = WorkflowDefinition.Create("eval-rm", "Evaluate with a reward model");
        d.AddActivity("policy", "Alignment.ImportModel").SetInput("path", "String", Expression.Literal(policy));
        d.AddActivity("baseline", "Alignment.ImportModel").SetInput("path", "String", Expression.Literal(baseline));
        foreach (var (id, file, format) in new[] { ("pairs", pairs, "preference"), ("prompts", Path.Combine(DemoModel.DemoFolder, "eval-prompts.jsonl"), "prompts") })
        {
            var data = d.AddActivity(id, "Alignment.ImportDataset");
            data.SetInput("path", "String", Expression.Literal(file));
            data.SetInput("format", "String", Expression.Literal(format));
        }
        var rm = d.AddActivity("rm", "Alignment.TrainRewardModel");
        rm.SetInput("model", "Artifact", Expression.Output("policy", "model"));
        rm.SetInput("preferences", "Artifact", Expression.Output("pairs", "dataset"));
        rm.SetInput("maxSteps", "Int32", Expression.Literal(2));
        rm.SetInput("batchSize", "Int32", Expression.Literal(3));
        rm.SetInput("template", "String", Expression.Literal("chatml"));
        var eval = d.AddActivity("eval", "Alignment.Evaluate");
        eval.SetInput("policy", "Artifact", Expression.Output("policy", "model"));
        eval.SetInput("baseline", "Artifact", Expression.Output("baseline", "model"));
        eval.SetInput("prompts", "Artifact", Expression.Output("prompts", "dataset"));
        eval.SetInput("judge", "String", Expression.Literal("reward-model"));
        eval.SetInput("rewardModel", "Artifact", Expression.Output("rm", "rewardModel"));
        eval.SetInput("preferences", "Artifact", Expression.Output("pairs", "dataset"));
        eval.SetInput("template", "String", Expression.Literal("chatml"));
        eval.SetInput("maxNewTokens", "Int32", Expression.Literal(6));
        eval.SetInput("batchSize", "Int32", Expression.Literal(3));
        d.Connect("policy", "baseline");
        d.Connect("baseline", "pairs");
        d.Connect("pairs", "prompts");
        d.Connect("prompts", "rm");
        d.Connect("rm", "eval");

        var result = await home.Run(home.Write(d));
        Assert.True(result.Status == InstanceStatus.Finished, result.Message);
        var o = home.Outputs(result.InstanceId);
        var report = home.Engine.Artifacts.Get((string)o["eval"]["report"]!);
        var answers = File.ReadAllLines(Path.Combine(report.Path, "answers.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();

        var tok = Tokenizer.FromFile(policy);
        var template = ChatTemplates.Get("chatml");
        using var model = LlamaForSequenceClassification.from_pretrained(home.Engine.Artifacts.Get((string)o["rm"]["rewardModel"]!).Path);
        model.eval();
        double Score(string prompt, string answer)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            // Pooled where training pools: the conversation up to and including the answer's end-of-turn token (the
            // rendered conversation's trailing newline is not part of what the reward model was trained on).
            var enc = template.Encode(tok, [ChatMessage.User(prompt), ChatMessage.Assistant(answer)]);
            int end = Array.LastIndexOf(enc.AssistantMask, true) + 1;
            var ids = enc.InputIds[..end].Select(i => (long)i).ToArray();
            return model.forward(tensor(ids, new long[] { 1, ids.Length })).logits.to(ScalarType.Float64).item<double>();
        }

        int wins = 0, ties = 0, decided = 0;
        foreach (var a in answers)
        {
            double sp = Score((string)a["prompt"]!, (string)a["policy"]!), sb = Score((string)a["prompt"]!, (string)a["baseline"]!);
            string expected = Math.Abs(sp - sb) < 1e-9 ? "tie" : sp > sb ? "policy" : "baseline";
            // Batched-and-padded scoring agrees with unbatched scoring except within float noise of a tie.
            if (Math.Abs(sp - sb) > 1e-4)
            {
                Assert.Equal(expected, (string)a["outcome"]!);
                decided++;
            }
            wins += (string)a["outcome"]! == "policy" ? 1 : 0;
            ties += (string)a["outcome"]! == "tie" ? 1 : 0;
        }
        Assert.True(decided > 0, "no answer pair was told apart by the reward model; the check would be empty");
        Assert.Equal((wins + ties / 2.0) / answers.Count, (double)o["eval"]["winRate"]!, 12);

        var prefs = DatasetReader.ReadPreferences(pairs);
        double accuracy = prefs.Count(p => Score(p.Prompt.Text!, p.Chosen.Text!) > Score(p.Prompt.Text!, p.Rejected.Text!)) / (double)prefs.Count;
        Assert.Equal(accuracy, (double)o["eval"]["rewardAccuracy"]!, 12);
    }
}
