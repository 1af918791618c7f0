using static Alignment.Torch.torch.nn;
using static Alignment.Torch.torch.optim;
using static Alignment.Torch.torch.optim.lr_scheduler;

namespace Alignment.Torch.Tests;

// The house trainer test: a few steps of a small model with every module kind change every trainable parameter,
// leave frozen ones alone, and keep the loss finite and falling.
public class TrainerTests
{
    [Fact]
    public void A_few_steps_change_every_trainable_parameter_and_keep_the_loss_finite()
    {
        using var g = new Generator(11);
        using var model = new TinyScorer(vocab: 13, dim: 8, layers: 2, generator: g);
        model.get_submodule("model.layers.1.up_proj").requires_grad_(false);     // frozen: must not move
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.data<float>());
        using var optimizer = new AdamW(ParamGroup.with_weight_decay(model.named_parameters(), 0.01), lr: 1e-2);
        var scheduler = get_scheduler("linear", optimizer, num_warmup_steps: 2, num_training_steps: 30);
        using var ids = randint(1, 13, new long[] { 4, 5 }, generator: g);
        using var target = tensor(new float[] { 1, -1, 0.5f, 2 });

        var losses = new List<double>();
        manual_seed(0);   // dropout
        for (int step = 0; step < 30; step++)
        {
            using var scope = NewDisposeScope();
            var loss = functional.mse_loss(model.forward(ids), target);
            loss.backward();
            double norm = utils.clip_grad_norm_(model.parameters(), 1.0);
            Assert.True(double.IsFinite(norm));
            optimizer.step();
            scheduler.step();
            optimizer.zero_grad();
            losses.Add(loss.item<double>());
        }

        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.True(losses[^1] < losses[0] / 2, $"loss went from {losses[0]} to {losses[^1]}");
        foreach (var (name, p) in model.named_parameters())
        {
            bool changed = !before[name].SequenceEqual(p.data<float>());
            Assert.True(changed == p.requires_grad, $"{name}: trainable={p.requires_grad}, changed={changed}");
        }
    }
}
