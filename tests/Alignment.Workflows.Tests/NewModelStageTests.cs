using System.Text.Json.Nodes;
using Alignment.Models.Llama;
using Alignment.Tokenizers;
using Alignment.Tokenizers.Chat;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;

namespace Alignment.Workflows.Tests;

// ImportDataset -> TrainTokenizer -> CreateModel: a model from nothing but data, reproducible under its seed.
public class NewModelStageTests
{
    private static WorkflowDefinition Definition(string data, int vocabSize = 300, int seed = 5, int hidden = 32, int layers = 2,
                                                 int heads = 4, int kvHeads = 2, int intermediate = 48)
    {
        var d = WorkflowDefinition.Create("new-model", "Tokenizer and model from data");
        var import = d.AddActivity("data", "Alignment.ImportDataset");
        import.SetInput("path", "String", Expression.Literal(data));
        import.SetInput("format", "String", Expression.Literal("sft"));
        var tok = d.AddActivity("tokenizer", "Alignment.TrainTokenizer");
        tok.SetInput("dataset", "Artifact", Expression.Output("data", "dataset"));
        tok.SetInput("vocabSize", "Int32", Expression.Literal(vocabSize));
        var model = d.AddActivity("model", "Alignment.CreateModel");
        model.SetInput("tokenizer", "Artifact", Expression.Output("tokenizer", "tokenizer"));
        model.SetInput("hiddenSize", "Int32", Expression.Literal(hidden));
        model.SetInput("layers", "Int32", Expression.Literal(layers));
        model.SetInput("heads", "Int32", Expression.Literal(heads));
        model.SetInput("kvHeads", "Int32", Expression.Literal(kvHeads));
        model.SetInput("intermediateSize", "Int32", Expression.Literal(intermediate));
        model.SetInput("seed", "Int32", Expression.Literal(seed));
        d.Connect("data", "tokenizer");
        d.Connect("tokenizer", "model");
        return d;
    }

    private static string Data(TestHome home)
    {
        string path = Path.Combine(home.Folder, "sft.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, 60).Select(i =>
            $$"""{"messages": [{"role": "user", "content": "What is {{i % 10}} plus {{i / 10}}?"}, {"role": "assistant", "content": "{{i % 10}} plus {{i / 10}} is {{i % 10 + i / 10}}."}]}"""));
        return path;
    }

    [Fact]
    public async Task A_tokenizer_learned_from_data_and_a_seeded_model_over_it_make_a_loadable_chat_model()
    {
        using var home = new TestHome();
        string definition = home.Write(Definition(Data(home)));
        var run = await home.Run(definition);
        Assert.True(run.Status == InstanceStatus.Finished, run.Message);
        var o = home.Outputs(run.InstanceId);

        string tokDir = home.Engine.Artifacts.Get((string)o["tokenizer"]["tokenizer"]!).Path;
        var tokenizer = Tokenizer.FromFile(tokDir);
        Assert.Equal(tokenizer.VocabSize, (int)(double)o["tokenizer"]["vocabSize"]!);
        Assert.True(tokenizer.VocabSize <= 300);
        Assert.Equal("<|im_end|>", tokenizer.Eos!.Value.Content);
        Assert.Equal("<|endoftext|>", tokenizer.Pad!.Value.Content);
        Assert.Equal("chatml", ChatTemplates.For(tokenizer).Name);   // recognized from tokenizer_config.json's chat_template
        // Learned merges: the sentence takes fewer tokens than its bytes; and text round-trips.
        const string sentence = "3 plus 4 is 7.";
        Assert.True(tokenizer.Encode(sentence).Length < sentence.Length);
        Assert.Equal(sentence, tokenizer.Decode(tokenizer.Encode(sentence)));

        string modelDir = home.Engine.Artifacts.Get((string)o["model"]["model"]!).Path;
        Assert.True(File.Exists(Path.Combine(modelDir, "tokenizer.json")));
        using var model = LlamaForCausalLM.from_pretrained(modelDir);
        Assert.Equal(tokenizer.VocabSize, model.config.Vocab);
        Assert.Equal([tokenizer.Eos!.Value.Id], model.config.EosTokenId!);
        Assert.Equal(tokenizer.Pad!.Value.Id, model.config.PadTokenId);
        // Parameters by hand: embedding and head V·d each; per layer q and o d·d, k and v d·(kv·d/h), MLP 3·d·I, two norms d; final norm d.
        long v = tokenizer.VocabSize, d = 32, kvWidth = 2 * (32 / 4), inter = 48;
        long perLayer = 2 * d * d + 2 * d * kvWidth + 3 * d * inter + 2 * d;
        Assert.Equal(2 * v * d + 2 * perLayer + d, (long)(double)o["model"]["parameters"]!);
    }

    [Fact]
    public async Task Same_data_inputs_and_seed_give_the_same_artifacts_and_another_seed_other_weights()
    {
        using var home = new TestHome();
        string data = Data(home);
        string first = home.Write(Definition(data), "a.json");
        var a = home.Outputs((await home.Run(first)).InstanceId);
        var forced = home.Outputs((await home.Run(first, force: true)).InstanceId);
        Assert.Equal((string)a["tokenizer"]["tokenizer"]!, (string)forced["tokenizer"]["tokenizer"]!);
        Assert.Equal((string)a["model"]["model"]!, (string)forced["model"]["model"]!);

        // A second plain run is served from the cache.
        var again = await home.Run(first);
        Assert.Contains(home.Engine.Detail(again.InstanceId).Executions, e => e.ActivityId == "model" && e.Status.ToCode() == "cached");

        var other = home.Outputs((await home.Run(home.Write(Definition(data, seed: 6), "b.json"))).InstanceId);
        Assert.Equal((string)a["tokenizer"]["tokenizer"]!, (string)other["tokenizer"]["tokenizer"]!);
        Assert.NotEqual((string)a["model"]["model"]!, (string)other["model"]["model"]!);
    }

    [Theory]
    [InlineData(258, 5, 4, 2, "input 'vocabSize': 258 is too small")]
    [InlineData(300, 5, 3, 1, "input 'heads': 3 does not divide hiddenSize 32")]
    [InlineData(300, 5, 4, 3, "input 'kvHeads': 3 does not divide heads 4")]
    public async Task Bad_sizes_fault_the_stage_naming_the_input(int vocab, int seed, int heads, int kvHeads, string message)
    {
        using var home = new TestHome();
        var run = await home.Run(home.Write(Definition(Data(home), vocabSize: vocab, seed: seed, heads: heads, kvHeads: kvHeads)));
        Assert.Equal(InstanceStatus.Faulted, run.Status);
        Assert.Contains(message, run.Message);
    }

    [Fact]
    public void The_tokenizer_corpus_is_every_string_of_every_row_in_order()
    {
        var texts = new List<string>();
        Stages.TrainTokenizerActivity.CollectText(JsonNode.Parse("""{"messages": [{"role": "user", "content": "hi"}], "n": 3, "ok": true, "e": ""}"""), texts);
        Assert.Equal(["user", "hi"], texts);
    }
}
