using Alignment.Models.Generation;
using Alignment.Models.Lora;
using Alignment.Models.Scoring;
using static Alignment.Torch.torch.optim;

namespace Alignment.Models.Tests;

// No tensor outlives its step: forward, training steps (with LoRA), scoring and generation leave the native tensor count
// where it was, and a generation loop holds the same number of tensors at every step.
[Collection(LiveTensorCounting.Name)]
public class MemoryTests
{
    private static readonly long[][] Prompts = [[5, 17, 9, 33, 2], [40, 7]];

    [Fact]
    public void Generation_keeps_the_same_number_of_live_tensors_at_every_step_and_frees_them_all()
    {
        using var model = Tiny.Model(seed: 31);
        CausalLMGenerator.Generate(model, Prompts, new GenerationOptions { MaxNewTokens = 2 });   // warm-up
        long before = native_live_tensors();
        var counts = new List<long>();
        using (var rng = new Generator(1))
            CausalLMGenerator.Generate(model, Prompts, new GenerationOptions
            {
                MaxNewTokens = 40, DoSample = true, TopK = 20, TopP = 0.95,
                OnStep = _ => counts.Add(native_live_tensors()),
            }, rng);
        Assert.Equal(40, counts.Count);
        Assert.Single(counts.Skip(1).Distinct());   // step 0 allocates the cache; nothing grows afterwards
        Assert.Equal(before, native_live_tensors());
    }

    [Fact]
    public void Lora_training_steps_and_scoring_leave_no_tensor_behind()
    {
        using var model = Tiny.Model(seed: 32);
        using var g = new Generator(2);
        LoraModel.add_adapters(model, new LoraConfig { TargetModules = [LoraConfig.AllLinear] }, g);
        using var opt = new AdamW(model.parameters().Where(p => p.requires_grad), lr: 1e-3);
        long[] seq = [3, 9, 17, 4, 22, 8, 1, 30];

        void Step()
        {
            using var scope = NewDisposeScope();
            var ids = tensor(seq, new long[] { 1, seq.Length });
            var mask = ones(new long[] { 1, seq.Length }, int64);
            var lp = nn.functional.logprobs_of(model.forward(ids, mask).logits.narrow(1, 0, seq.Length - 1), ids.narrow(1, 1, seq.Length - 1));
            lp.mean().neg().backward();
            opt.step();
            opt.zero_grad();
            TokenLogProbs.Compute(model, [seq, seq[..3]]);
        }
        Step();   // warm-up: optimizer state now exists
        long before = native_live_tensors();
        for (int i = 0; i < 20; i++) Step();
        Assert.Equal(before, native_live_tensors());
    }
}
