using static Alignment.Torch.torch.nn;
using static Alignment.Torch.torch.optim;
using static Alignment.Torch.torch.optim.lr_scheduler;

namespace Alignment.Torch.Tests;

// Optimizer and scheduler state for exact resume: train k steps, restore into fresh objects, continue, and get
// bit-identical weights to an uninterrupted run.
public class OptimizerStateTests
{
    private const int Steps = 12, Interrupt = 5;

    internal sealed class Run : IDisposable
    {
        public Run(ulong seed)
        {
            using var g = new Generator(seed);
            model = new Mlp(g, inputs: 8, hidden: 16);
            optimizer = new AdamW(ParamGroup.with_weight_decay(model.named_parameters(), 0.1), lr: 1e-2);
            scheduler = get_scheduler("cosine", optimizer, num_warmup_steps: 3, num_training_steps: Steps);
        }

        public readonly Mlp model;
        public readonly AdamW optimizer;
        public readonly LambdaLR scheduler;

        /// <summary>One training step on the batch of step <paramref name="step"/> (a pure function of the step).</summary>
        public void Train(int step)
        {
            using var scope = NewDisposeScope();
            using var g = new Generator(1000 + (ulong)step);
            var x = randn(new long[] { 6, 8 }, generator: g);
            var y = randn(new long[] { 6, 1 }, generator: g);
            var loss = functional.mse_loss(model.forward(x), y);
            loss.backward();
            utils.clip_grad_norm_(model.parameters(), 0.5);
            optimizer.step();
            scheduler.step();
            optimizer.zero_grad();
        }

        public Dictionary<string, float[]> Weights() => model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.data<float>());

        public void Dispose()
        {
            optimizer.Dispose();
            model.Dispose();
        }
    }

    /// <summary>A deep copy whose tensors the caller owns (what a checkpoint file holds).</summary>
    private static OptimizerStateDict Snapshot(OptimizerStateDict s) => new()
    {
        optimizer = s.optimizer,
        defaults = s.defaults.ToDictionary(),
        param_groups = s.param_groups.ToList(),
        state = s.state.ToDictionary(kv => kv.Key, kv =>
        {
            var copy = new ParamState { step = kv.Value.step };
            foreach (var (name, t) in kv.Value.tensors) copy.tensors[name] = t.clone().DetachFromDisposeScope();
            return copy;
        }),
    };

    private static void DisposeTensors(OptimizerStateDict s)
    {
        foreach (var ps in s.state.Values)
            foreach (var t in ps.tensors.Values) t.Dispose();
    }

    private static Dictionary<string, float[]> Uninterrupted()
    {
        using var straight = new Run(seed: 1);
        for (int s = 0; s < Steps; s++) straight.Train(s);
        return straight.Weights();
    }

    private static void AssertSameWeights(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var key in expected.Keys) Assert.Equal(expected[key], actual[key]);   // exact, not approximate
    }

    [Fact]
    public void Resuming_from_in_memory_state_is_bit_identical_to_an_uninterrupted_run()
    {
        var expected = Uninterrupted();

        Dictionary<string, Tensor> weights;
        OptimizerStateDict optimizerState;
        SchedulerStateDict schedulerState;
        using (var first = new Run(seed: 1))
        {
            for (int s = 0; s < Interrupt; s++) first.Train(s);
            weights = first.model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone().DetachFromDisposeScope());
            optimizerState = Snapshot(first.optimizer.state_dict());
            schedulerState = first.scheduler.state_dict();
        }

        using var resumed = new Run(seed: 2);             // different initial weights: everything must come from the state
        try
        {
            resumed.model.load_state_dict(weights);
            resumed.optimizer.load_state_dict(optimizerState);
            resumed.scheduler.load_state_dict(schedulerState);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
            DisposeTensors(optimizerState);
        }
        Assert.Equal(Interrupt, resumed.optimizer.state_of(resumed.model.fc1.weight)!.step);
        for (int s = Interrupt; s < Steps; s++) resumed.Train(s);

        AssertSameWeights(expected, resumed.Weights());
    }

    [Fact]
    public void Resuming_from_checkpoint_files_is_bit_identical_to_an_uninterrupted_run()
    {
        var expected = Uninterrupted();
        var dir = Directory.CreateTempSubdirectory("align-resume-");
        try
        {
            string model = Path.Combine(dir.FullName, "model.safetensors");
            string optimizer = Path.Combine(dir.FullName, "optimizer.safetensors");
            string scheduler = Path.Combine(dir.FullName, "scheduler.json");
            using (var first = new Run(seed: 1))
            {
                for (int s = 0; s < Interrupt; s++) first.Train(s);
                first.model.save(model);
                first.optimizer.save(optimizer);
                first.scheduler.save(scheduler);
            }
            Assert.Empty(Directory.GetFiles(dir.FullName, "*.tmp"));

            using var resumed = new Run(seed: 2);
            resumed.model.load(model);
            resumed.optimizer.load(optimizer);
            resumed.scheduler.load(scheduler);
            Assert.Equal(Interrupt, resumed.scheduler.last_epoch);
            for (int s = Interrupt; s < Steps; s++) resumed.Train(s);
            AssertSameWeights(expected, resumed.Weights());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Loading_the_wrong_file_names_it_and_says_what_is_wrong()
    {
        var dir = Directory.CreateTempSubdirectory("align-resume-");
        try
        {
            using var run = new Run(seed: 5);
            run.Train(0);
            string model = Path.Combine(dir.FullName, "model.safetensors");
            string optimizer = Path.Combine(dir.FullName, "optimizer.safetensors");
            run.model.save(model);
            run.optimizer.save(optimizer);

            var e = Assert.Throws<TorchException>(() => run.optimizer.load(model));
            Assert.StartsWith(model + ":", e.Message);
            Assert.Contains("not an optimizer state file", e.Message);

            using var sgd = new SGD(run.model.parameters(), 0.1);
            Assert.Contains("saved by AdamW", Assert.Throws<TorchException>(() => sgd.load(optimizer)).Message);

            using var g = new Generator(0);
            using var other = new ModuleList(new Linear(8, 16, generator: g));
            e = Assert.Throws<TorchException>(() => other.load(model));
            Assert.StartsWith(model + ":", e.Message);
            Assert.Contains("Unexpected key(s) (4)", e.Message);

            Assert.Contains("cannot read scheduler state", Assert.Throws<TorchException>(() => run.scheduler.load(model)).Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void State_dict_records_groups_names_steps_and_hyper_parameters()
    {
        using var run = new Run(seed: 3);
        run.Train(0);
        run.Train(1);
        var s = run.optimizer.state_dict();
        Assert.Equal("AdamW", s.optimizer);
        Assert.Equal(0.9, s.defaults["beta1"]);
        Assert.Equal(new[] { "fc1.weight", "fc2.weight" }, s.param_groups[0].param_names);
        Assert.Equal(new[] { 0, 1 }, s.param_groups[0].@params);
        Assert.Equal(new[] { 2, 3 }, s.param_groups[1].@params);
        Assert.Equal(0.1, s.param_groups[0].weight_decay);
        Assert.Equal(1e-2, s.param_groups[1].initial_lr);
        Assert.Equal(4, s.state.Count);
        Assert.All(s.state.Values, ps => Assert.Equal(2, ps.step));
        Assert.Equal(new long[] { 16, 8 }, s.state[0].tensors["exp_avg"].shape);
    }

    [Fact]
    public void Loading_state_of_another_optimizer_or_model_fails_loudly()
    {
        using var run = new Run(seed: 4);
        run.Train(0);
        var state = run.optimizer.state_dict();

        using var sgd = new SGD(run.model.parameters(), 0.1);
        Assert.Contains("saved by AdamW", Assert.Throws<TorchException>(() => sgd.load_state_dict(state)).Message);

        using var oneGroup = new AdamW(run.model.named_parameters());
        Assert.Contains("2 parameter group(s), this optimizer 1", Assert.Throws<TorchException>(() => oneGroup.load_state_dict(state)).Message);

        using var g = new Generator(0);
        using var wider = new Mlp(g, inputs: 8, hidden: 17);
        using var widerOpt = new AdamW(ParamGroup.with_weight_decay(wider.named_parameters(), 0.1));
        var e = Assert.Throws<TorchException>(() => widerOpt.load_state_dict(state));
        Assert.Contains("state 'exp_avg' of parameter 0 (fc1.weight) has shape [16, 8] but the parameter has shape [17, 8]", e.Message);

        var swapped = new AdamW(new[] { new ParamGroup(new[] { ("fc2.weight", run.model.fc2.weight), ("fc1.weight", run.model.fc1.weight) }),
                                        new ParamGroup(new[] { ("fc1.bias", run.model.fc1.bias!), ("fc2.bias", run.model.fc2.bias!) }) });
        using (swapped)
            Assert.Contains("is 'fc2.weight' here but 'fc1.weight' in the state", Assert.Throws<TorchException>(() => swapped.load_state_dict(state)).Message);
    }
}
