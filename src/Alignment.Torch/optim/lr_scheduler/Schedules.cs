using System.Globalization;

namespace Alignment.Torch;

public static partial class torch
{
    public static partial class optim
    {
        // Hugging Face transformers' warmup schedules (optimization.py), same formulas, as LambdaLR instances.
        public static partial class lr_scheduler
        {
            /// <summary>The schedule names <see cref="get_scheduler"/> accepts.</summary>
            public static readonly IReadOnlyList<string> scheduler_names = new[] { "constant", "constant_with_warmup", "linear", "cosine" };

            /// <summary>
            /// A schedule chosen by name, as configs select it: "linear", "cosine", "constant" or "constant_with_warmup".
            /// Every one warms up linearly from 0 over <paramref name="num_warmup_steps"/>. Note: Hugging Face's "constant"
            /// ignores warmup steps; here "constant" and "constant_with_warmup" are the same schedule and honour them
            /// (set num_warmup_steps to 0 for a flat lr).
            /// </summary>
            /// <param name="name">Schedule name (case-insensitive).</param>
            /// <param name="optimizer">The optimizer whose learning rates are scheduled.</param>
            /// <param name="num_warmup_steps">Steps of linear warmup from 0 to the base lr.</param>
            /// <param name="num_training_steps">Total optimizer steps; linear and cosine reach 0 there (unused by constant).</param>
            public static LambdaLR get_scheduler(string name, Optimizer optimizer, int num_warmup_steps, int num_training_steps)
            {
                ArgumentNullException.ThrowIfNull(name);
                return name.Trim().ToLowerInvariant() switch
                {
                    "constant" or "constant_with_warmup" => get_constant_schedule_with_warmup(optimizer, num_warmup_steps),
                    "linear" => get_linear_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps),
                    "cosine" => get_cosine_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps),
                    _ => throw new TorchException($"unknown learning-rate schedule '{name}'; use one of {string.Join(", ", scheduler_names)}"),
                };
            }

            /// <summary>lr = base · t / max(1, warmup) during warmup, then base (HF get_constant_schedule_with_warmup).</summary>
            public static LambdaLR get_constant_schedule_with_warmup(Optimizer optimizer, int num_warmup_steps)
            {
                CheckSteps(num_warmup_steps, 0);
                return new LambdaLR(optimizer, step => step < num_warmup_steps ? (double)step / Math.Max(1.0, num_warmup_steps) : 1.0,
                                    Describe("constant", num_warmup_steps, null, null));
            }

            /// <summary>lr = base · t / max(1, warmup) during warmup, then decays linearly to 0 at num_training_steps:
            /// base · max(0, (total − t) / max(1, total − warmup)) (HF get_linear_schedule_with_warmup).</summary>
            public static LambdaLR get_linear_schedule_with_warmup(Optimizer optimizer, int num_warmup_steps, int num_training_steps)
            {
                CheckSteps(num_warmup_steps, num_training_steps);
                return new LambdaLR(optimizer, step =>
                {
                    if (step < num_warmup_steps) return (double)step / Math.Max(1, num_warmup_steps);
                    return Math.Max(0.0, (double)(num_training_steps - step) / Math.Max(1, num_training_steps - num_warmup_steps));
                }, Describe("linear", num_warmup_steps, num_training_steps, null));
            }

            /// <summary>lr = base · t / max(1, warmup) during warmup, then base · max(0, ½(1 + cos(π · 2 · num_cycles · progress)))
            /// with progress = (t − warmup) / max(1, total − warmup): a half cosine down to 0 at num_training_steps with the
            /// default num_cycles 0.5 (HF get_cosine_schedule_with_warmup).</summary>
            public static LambdaLR get_cosine_schedule_with_warmup(Optimizer optimizer, int num_warmup_steps, int num_training_steps,
                                                                   double num_cycles = 0.5)
            {
                CheckSteps(num_warmup_steps, num_training_steps);
                return new LambdaLR(optimizer, step =>
                {
                    if (step < num_warmup_steps) return (double)step / Math.Max(1, num_warmup_steps);
                    double progress = (double)(step - num_warmup_steps) / Math.Max(1, num_training_steps - num_warmup_steps);
                    return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * num_cycles * 2.0 * progress)));
                }, Describe("cosine", num_warmup_steps, num_training_steps, num_cycles));
            }

            private static void CheckSteps(int warmup, int total)
            {
                if (warmup < 0) throw new TorchException($"num_warmup_steps must be >= 0, got {warmup}");
                if (total < 0) throw new TorchException($"num_training_steps must be >= 0, got {total}");
            }

            private static string Describe(string kind, int warmup, int? total, double? cycles)
            {
                var parts = new List<string> { $"num_warmup_steps={warmup}" };
                if (total.HasValue) parts.Add($"num_training_steps={total}");
                if (cycles.HasValue) parts.Add("num_cycles=" + cycles.Value.ToString("R", CultureInfo.InvariantCulture));
                return $"{kind}({string.Join(", ", parts)})";
            }
        }
    }
}
