using Alignment.Torch.Native;
using static Alignment.Torch.torch.nn;

namespace Alignment.Torch;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>
        /// Adam with decoupled weight decay (Loshchilov &amp; Hutter), exactly PyTorch's torch.optim.AdamW: for each
        /// parameter with a gradient g at step t,
        /// p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
        /// p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps).
        /// The state (m = exp_avg, v = exp_avg_sq) is created on a parameter's first update with its dtype and device.
        /// One native call updates a whole parameter group.
        /// </summary>
        public sealed class AdamW : Optimizer
        {
            private static readonly string[] Keys = { "exp_avg", "exp_avg_sq" };

            /// <summary>One group of parameters.</summary>
            /// <param name="parameters">Parameters to optimize (frozen ones are simply never updated).</param>
            /// <param name="lr">Learning rate (default 1e-3).</param>
            /// <param name="beta1">Decay of the first-moment average (default 0.9).</param>
            /// <param name="beta2">Decay of the second-moment average (default 0.999).</param>
            /// <param name="eps">Added to the denominator for stability (default 1e-8).</param>
            /// <param name="weight_decay">Decoupled weight decay coefficient (default 0.01).</param>
            public AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                         double eps = 1e-8, double weight_decay = 0.01)
                : this(new[] { new ParamGroup(parameters) }, lr, beta1, beta2, eps, weight_decay) { }

            /// <summary>One group of named parameters (names are saved with the state and checked on load).</summary>
            public AdamW(IEnumerable<(string name, Parameter parameter)> parameters, double lr = 1e-3, double beta1 = 0.9,
                         double beta2 = 0.999, double eps = 1e-8, double weight_decay = 0.01)
                : this(new[] { new ParamGroup(parameters) }, lr, beta1, beta2, eps, weight_decay) { }

            /// <summary>Several groups (e.g. <see cref="ParamGroup.with_weight_decay"/>); lr and weight_decay here are
            /// the defaults for groups that do not set their own.</summary>
            public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                         double eps = 1e-8, double weight_decay = 0.01)
                : base(groups, lr, weight_decay)
            {
                Check(beta1, beta2, eps);
                this.beta1 = beta1;
                this.beta2 = beta2;
                this.eps = eps;
            }

            /// <summary>Decay of the first-moment (mean) average.</summary>
            public double beta1 { get; private set; }

            /// <summary>Decay of the second-moment (uncentered variance) average.</summary>
            public double beta2 { get; private set; }

            /// <summary>Added to the denominator for numerical stability.</summary>
            public double eps { get; private set; }

            protected override IReadOnlyCollection<string> state_keys => Keys;

            protected override IReadOnlyDictionary<string, double> get_defaults() =>
                new Dictionary<string, double> { ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps };

            protected override void set_defaults(IReadOnlyDictionary<string, double> defaults)
            {
                double Get(string key) => defaults.TryGetValue(key, out var v) ? v
                    : throw new TorchException($"AdamW state has no '{key}' hyper-parameter");
                Check(Get("beta1"), Get("beta2"), Get("eps"));
                beta1 = Get("beta1");
                beta2 = Get("beta2");
                eps = Get("eps");
            }

            private static void Check(double beta1, double beta2, double eps)
            {
                if (!(beta1 >= 0 && beta1 < 1)) throw new TorchException($"invalid AdamW beta1: {beta1} (must be in [0, 1))");
                if (!(beta2 >= 0 && beta2 < 1)) throw new TorchException($"invalid AdamW beta2: {beta2} (must be in [0, 1))");
                if (!(eps >= 0)) throw new TorchException($"invalid AdamW eps: {eps} (must be >= 0)");
            }

            /// <summary>Updates every parameter that has a gradient: one native call per param group.</summary>
            public override void step()
            {
                foreach (var g in param_groups) StepGroup(g);
            }

            private unsafe void StepGroup(ParamGroup group)
            {
                int n = group.@params.Count;
                if (n == 0) return;
                var handles = new IntPtr[n];
                var expAvg = new IntPtr[n];
                var expAvgSq = new IntPtr[n];
                var steps = new long[n];
                for (int i = 0; i < n; i++)
                {
                    var p = group.@params[i];
                    handles[i] = p.RawHandle;
                    var s = state_of(p);
                    if (s == null) continue;
                    steps[i] = s.step;
                    if (s.tensors.TryGetValue("exp_avg", out var m)) expAvg[i] = m.RawHandle;
                    if (s.tensors.TryGetValue("exp_avg_sq", out var v)) expAvgSq[i] = v.RawHandle;
                }
                int rc;
                fixed (IntPtr* ph = handles, pm = expAvg, pv = expAvgSq)
                fixed (long* ps = steps)
                    rc = NativeMethods.atg_optim_adamw_step(ph, pm, pv, ps, n, group.lr, beta1, beta2, eps, group.weight_decay);
                // Take ownership of state created by this call before checking for an error, so nothing leaks.
                for (int i = 0; i < n; i++)
                {
                    var p = group.@params[i];
                    var existing = state_of(p);
                    bool hasM = existing?.tensors.ContainsKey("exp_avg") ?? false;
                    bool hasV = existing?.tensors.ContainsKey("exp_avg_sq") ?? false;
                    if (existing == null && expAvg[i] == IntPtr.Zero && expAvgSq[i] == IntPtr.Zero && steps[i] == 0) continue;
                    var s = StateFor(p);
                    if (!hasM && expAvg[i] != IntPtr.Zero) s.tensors["exp_avg"] = AdoptState(expAvg[i]);
                    if (!hasV && expAvgSq[i] != IntPtr.Zero) s.tensors["exp_avg_sq"] = AdoptState(expAvgSq[i]);
                    s.step = steps[i];
                }
                GC.KeepAlive(group);
                NativeError.Check(rc);
            }
        }
    }
}
