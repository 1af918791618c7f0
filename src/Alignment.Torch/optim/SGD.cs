using static Alignment.Torch.torch.nn;

namespace Alignment.Torch;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>
        /// Stochastic gradient descent with optional momentum, exactly PyTorch's torch.optim.SGD: for each parameter
        /// with a gradient g,
        /// d = g + wd·p; with momentum μ: b ← d on the first step, else b ← μ·b + (1−dampening)·d,
        /// and d = d + μ·b (Nesterov) or d = b; then p ← p − lr·d.
        /// The momentum buffer is created on a parameter's first update.
        /// </summary>
        public sealed class SGD : Optimizer
        {
            private static readonly string[] Keys = { "momentum_buffer" };

            /// <summary>One group of parameters.</summary>
            /// <param name="parameters">Parameters to optimize.</param>
            /// <param name="lr">Learning rate (required, as in PyTorch).</param>
            /// <param name="momentum">Momentum factor μ (default 0: plain SGD, no state).</param>
            /// <param name="weight_decay">L2 penalty added to the gradient (default 0).</param>
            /// <param name="nesterov">Nesterov momentum (default false; needs momentum &gt; 0 and dampening 0).</param>
            /// <param name="dampening">Dampening of the gradient added to the momentum buffer (default 0).</param>
            public SGD(IEnumerable<Parameter> parameters, double lr, double momentum = 0, double weight_decay = 0,
                       bool nesterov = false, double dampening = 0)
                : this(new[] { new ParamGroup(parameters) }, lr, momentum, weight_decay, nesterov, dampening) { }

            /// <summary>One group of named parameters (names are saved with the state and checked on load).</summary>
            public SGD(IEnumerable<(string name, Parameter parameter)> parameters, double lr, double momentum = 0,
                       double weight_decay = 0, bool nesterov = false, double dampening = 0)
                : this(new[] { new ParamGroup(parameters) }, lr, momentum, weight_decay, nesterov, dampening) { }

            /// <summary>Several groups; lr and weight_decay here are the defaults for groups that do not set their own.</summary>
            public SGD(IEnumerable<ParamGroup> groups, double lr, double momentum = 0, double weight_decay = 0,
                       bool nesterov = false, double dampening = 0)
                : base(groups, lr, weight_decay)
            {
                Check(momentum, nesterov, dampening);
                this.momentum = momentum;
                this.nesterov = nesterov;
                this.dampening = dampening;
            }

            /// <summary>Momentum factor (0: none).</summary>
            public double momentum { get; private set; }

            /// <summary>Whether Nesterov momentum is used.</summary>
            public bool nesterov { get; private set; }

            /// <summary>Dampening of the gradient added to the momentum buffer.</summary>
            public double dampening { get; private set; }

            protected override IReadOnlyCollection<string> state_keys => Keys;

            protected override IReadOnlyDictionary<string, double> get_defaults() =>
                new Dictionary<string, double> { ["momentum"] = momentum, ["dampening"] = dampening, ["nesterov"] = nesterov ? 1 : 0 };

            protected override void set_defaults(IReadOnlyDictionary<string, double> defaults)
            {
                double Get(string key) => defaults.TryGetValue(key, out var v) ? v
                    : throw new TorchException($"SGD state has no '{key}' hyper-parameter");
                Check(Get("momentum"), Get("nesterov") != 0, Get("dampening"));
                momentum = Get("momentum");
                nesterov = Get("nesterov") != 0;
                dampening = Get("dampening");
            }

            private static void Check(double momentum, bool nesterov, double dampening)
            {
                if (!(momentum >= 0)) throw new TorchException($"invalid SGD momentum: {momentum} (must be >= 0)");
                if (nesterov && (momentum <= 0 || dampening != 0))
                    throw new TorchException("Nesterov momentum requires momentum > 0 and dampening 0");
            }

            /// <summary>Updates every parameter that has a gradient.</summary>
            public override void step()
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                foreach (var group in param_groups)
                    foreach (var p in group.@params)
                    {
                        var grad = p.grad;
                        if (grad is null) continue;
                        var d = group.weight_decay != 0 ? grad.add(p, group.weight_decay) : grad;
                        if (momentum != 0)
                        {
                            var s = StateFor(p);
                            if (!s.tensors.TryGetValue("momentum_buffer", out var buffer))
                                s.tensors["momentum_buffer"] = buffer = d.clone().DetachFromDisposeScope();
                            else
                                buffer.mul_(momentum).add_(d, 1 - dampening);
                            d = nesterov ? d.add(buffer, momentum) : buffer;
                        }
                        p.add_(d, -group.lr);
                    }
            }
        }
    }
}
