namespace Alignment.Torch;

public static partial class torch
{
    public static partial class optim
    {
        public static partial class lr_scheduler
        {
            /// <summary>lr of group i at step t = base_lrs[i] · lr_lambda(t), as torch.optim.lr_scheduler.LambdaLR.
            /// The Hugging Face warmup schedules (<see cref="get_scheduler"/>) are LambdaLR instances.</summary>
            public sealed class LambdaLR : LRScheduler
            {
                private readonly Func<int, double> lrLambda;
                private readonly string? schedule;

                /// <param name="optimizer">The optimizer whose group learning rates are scheduled.</param>
                /// <param name="lr_lambda">Multiplier of the base lr as a function of the step count.</param>
                /// <param name="description">Optional description of the schedule, saved with the state and compared when
                /// loading, so a resume with different schedule settings fails loudly (default none: not checked).</param>
                public LambdaLR(Optimizer optimizer, Func<int, double> lr_lambda, string? description = null) : base(optimizer)
                {
                    lrLambda = lr_lambda ?? throw new ArgumentNullException(nameof(lr_lambda));
                    schedule = description;
                    initial_step();
                }

                public override string? description => schedule;

                protected override double[] get_lr()
                {
                    double factor = lrLambda(last_epoch);
                    return base_lrs.Select(b => b * factor).ToArray();
                }
            }
        }
    }
}
