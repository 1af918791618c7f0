using static Alignment.Torch.torch.nn;

namespace Alignment.Torch;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>
        /// GaLore (Zhao et al. 2024, "Memory-efficient LLM training by gradient low-rank projection"): the AdamW of the
        /// galore_torch package (GaLoreAdamW, which LLaMA-Factory's use_galore builds), step for step. For every parameter
        /// with a gradient G at its step t (counted from 0 before the update):
        /// <list type="bullet">
        /// <item>projected parameters (2-D weights in a group marked with <see cref="galore_group"/>): every
        /// update_proj_gap steps (t % gap == 0) the projection P is recomputed from the SVD of G (in float32, cast back):
        /// "right" P = Vh[:r] (r, n) and R = G·Pᵀ (m, r); "left" P = U[:, :r] (m, r) and R = Pᵀ·G (r, n). proj_type std
        /// takes right when m ≥ n, left otherwise; reverse_std the opposite; left/right always that side.</item>
        /// <item>m ← β1·m + (1−β1)·R; v ← β2·v + (1−β2)·R²; t ← t + 1; N = m / (√v + eps);
        /// step_size = lr·√(1−β2ᵗ)/(1−β1ᵗ) (galore's correct_bias).</item>
        /// <item>projected: N ← scale · (N·P for right, P·N for left); then p ← p − step_size·N and, when
        /// weight_decay &gt; 0, p ← p − lr·wd·p (after the update, as galore_torch does).</item>
        /// </list>
        /// Other parameters get the same Adam update unprojected. The moments of a projected (m, n) weight are (m, r) or
        /// (r, n) and the projection (r, n) or (m, r) instead of AdamW's two (m, n) moments: state "exp_avg", "exp_avg_sq",
        /// "projection". Note eps is added to √v before the bias correction, unlike torch.optim.AdamW.
        /// </summary>
        public sealed class GaLoreAdamW : Optimizer
        {
            private static readonly string[] Keys = { "exp_avg", "exp_avg_sq", "projection" };
            private readonly HashSet<Parameter> projected = new(ReferenceEqualityComparer.Instance);

            /// <param name="groups">Parameter groups; the parameters of groups listed in <paramref name="galoreGroups"/>
            /// are projected (each must be 2-D).</param>
            /// <param name="galoreGroups">Indices into <paramref name="groups"/> of the projected groups.</param>
            /// <param name="rank">Rank r of the projection, at most min(m, n) of every projected weight.</param>
            /// <param name="update_proj_gap">Steps between recomputing the projection.</param>
            /// <param name="scale">Factor on the projected-back update.</param>
            /// <param name="proj_type">std, reverse_std, left or right.</param>
            /// <param name="lr">Default learning rate.</param>
            /// <param name="beta1">First-moment decay.</param>
            /// <param name="beta2">Second-moment decay.</param>
            /// <param name="eps">Added to √v.</param>
            /// <param name="weight_decay">Default weight decay.</param>
            public GaLoreAdamW(IReadOnlyList<ParamGroup> groups, IEnumerable<int> galoreGroups, int rank, int update_proj_gap = 200, double scale = 2.0,
                               string proj_type = "std", double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-6,
                               double weight_decay = 0)
                : base(groups, lr, weight_decay)
            {
                if (rank < 1) throw new TorchException($"GaLore rank must be at least 1, got {rank}");
                if (update_proj_gap < 1) throw new TorchException($"GaLore update_proj_gap must be at least 1, got {update_proj_gap}");
                if (!(scale > 0)) throw new TorchException($"GaLore scale must be > 0, got {scale}");
                if (proj_type is not ("std" or "reverse_std" or "left" or "right"))
                    throw new TorchException($"GaLore proj_type '{proj_type}' is not supported; use std, reverse_std, left or right");
                if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps >= 0))
                    throw new TorchException($"invalid GaLore AdamW betas ({beta1}, {beta2}) or eps {eps}");
                foreach (int gi in galoreGroups)
                {
                    var g = groups[gi];
                    for (int i = 0; i < g.@params.Count; i++)
                    {
                        var p = g.@params[i];
                        if (p.dim() != 2) throw new TorchException($"GaLore projects 2-D weights; parameter {g.Describe(i, i)} has {p.dim()} dimensions");
                        if (rank > Math.Min(p.shape[0], p.shape[1]))
                            throw new TorchException($"GaLore rank {rank} is above the size of parameter {g.Describe(i, i)} ({p.shape[0]} × {p.shape[1]})");
                        projected.Add(p);
                    }
                }
                this.rank = rank;
                this.update_proj_gap = update_proj_gap;
                this.scale = scale;
                this.proj_type = proj_type;
                this.beta1 = beta1;
                this.beta2 = beta2;
                this.eps = eps;
            }

            public int rank { get; private set; }
            public int update_proj_gap { get; private set; }
            public double scale { get; private set; }
            public string proj_type { get; }
            public double beta1 { get; private set; }
            public double beta2 { get; private set; }
            public double eps { get; private set; }

            /// <summary>Whether a parameter's gradient is projected.</summary>
            public bool is_projected(Parameter p) => projected.Contains(p);

            /// <summary>True when an (m, n) weight is projected on the right (G·Pᵀ), false on the left (Pᵀ·G).</summary>
            public static bool projects_right(string proj_type, long m, long n) => proj_type switch
            {
                "std" => m >= n,
                "reverse_std" => m < n,
                "right" => true,
                _ => false,
            };

            protected override IReadOnlyCollection<string> state_keys => Keys;

            protected override IReadOnlyDictionary<string, double> get_defaults() => new Dictionary<string, double>
            {
                ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps, ["rank"] = rank, ["update_proj_gap"] = update_proj_gap, ["scale"] = scale,
            };

            protected override void set_defaults(IReadOnlyDictionary<string, double> defaults)
            {
                double Get(string key) => defaults.TryGetValue(key, out var v) ? v : throw new TorchException($"GaLoreAdamW state has no '{key}' hyper-parameter");
                if ((int)Get("rank") != rank) throw new TorchException($"GaLoreAdamW state has rank {Get("rank")}, this optimizer {rank}");
                beta1 = Get("beta1");
                beta2 = Get("beta2");
                eps = Get("eps");
                update_proj_gap = (int)Get("update_proj_gap");
                scale = Get("scale");
            }

            protected override long[]? expected_state_shape(Parameter p, string key)
            {
                if (!projected.Contains(p)) return key == "projection" ? Array.Empty<long>() : null;
                long m = p.shape[0], n = p.shape[1];
                bool right = projects_right(proj_type, m, n);
                return key == "projection" ? (right ? [rank, n] : [m, rank]) : (right ? [m, rank] : [rank, n]);
            }

            /// <summary>Bytes held in optimizer state (moments and projections).</summary>
            public long state_bytes() => param_groups.SelectMany(g => g.@params).Select(state_of)
                .Where(s => s != null).SelectMany(s => s!.tensors.Values).Sum(t => t.numel() * t.element_size());

            public override void step()
            {
                using var noGrad = no_grad();
                foreach (var g in param_groups)
                    foreach (var p in g.@params)
                    {
                        using var grad = p.grad;
                        if (grad is null) continue;
                        using var scope = NewDisposeScope();
                        StepOne(p, grad, g.lr, g.weight_decay);
                    }
            }

            private void StepOne(Parameter p, Tensor grad, double lr, double weightDecay)
            {
                var s = StateFor(p);
                bool proj = projected.Contains(p);
                bool right = proj && projects_right(proj_type, p.shape[0], p.shape[1]);
                Tensor g = grad;
                if (proj)
                {
                    if (!s.tensors.ContainsKey("projection") || s.step % update_proj_gap == 0)
                    {
                        var (u, _, vh) = linalg.svd(grad.to(float32));
                        var basis = (right ? vh.narrow(0, 0, rank) : u.narrow(1, 0, rank)).to(grad.dtype).contiguous();
                        Replace(s, "projection", basis);
                    }
                    var pm = s.tensors["projection"];
                    g = right ? grad.matmul(pm.t()) : pm.t().matmul(grad);
                }
                if (!s.tensors.ContainsKey("exp_avg"))
                {
                    Replace(s, "exp_avg", zeros_like(g));
                    Replace(s, "exp_avg_sq", zeros_like(g));
                }
                var m = s.tensors["exp_avg"];
                var v = s.tensors["exp_avg_sq"];
                s.step++;
                m.mul_(beta1).add_(g, 1 - beta1);
                v.mul_(beta2).add_(g.mul(g), 1 - beta2);
                var denom = v.sqrt().add(eps);
                double bc1 = 1 - Math.Pow(beta1, s.step), bc2 = 1 - Math.Pow(beta2, s.step);
                double stepSize = lr * Math.Sqrt(bc2) / bc1;
                var norm = m.div(denom);
                if (proj)
                {
                    var pm = s.tensors["projection"];
                    norm = (right ? norm.matmul(pm) : pm.matmul(norm)).mul(scale);
                }
                p.add_(norm, -stepSize);
                if (weightDecay > 0) p.add_(p, -lr * weightDecay);
            }

            private static void Replace(ParamState s, string key, Tensor value)
            {
                if (s.tensors.TryGetValue(key, out var old)) old.Dispose();
                s.tensors[key] = value.DetachFromDisposeScope();
            }
        }
    }
}
