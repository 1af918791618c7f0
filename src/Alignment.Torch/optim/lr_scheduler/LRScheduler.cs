namespace Alignment.Torch;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>Learning-rate schedules (torch.optim.lr_scheduler, plus Hugging Face's warmup schedules).</summary>
        public static partial class lr_scheduler
        {
            /// <summary>
            /// Base of the schedulers, with PyTorch's stepping convention: creating the scheduler records each group's
            /// base lr (its initial_lr) and applies the lr of step 0; every <see cref="step"/> after an optimizer step
            /// advances <see cref="last_epoch"/> by one and writes the new lr into every param group.
            /// </summary>
            public abstract partial class LRScheduler
            {
                private double[] lastLr = Array.Empty<double>();

                /// <summary>Records each group's base lr (its initial_lr, set from lr when absent). Derived constructors end with initial_step().</summary>
                protected LRScheduler(Optimizer optimizer)
                {
                    this.optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
                    foreach (var g in optimizer.param_groups) g.initial_lr ??= g.lr;
                    base_lrs = optimizer.param_groups.Select(g => g.initial_lr!.Value).ToArray();
                    last_epoch = -1;
                }

                /// <summary>The optimizer whose group learning rates this scheduler sets.</summary>
                public Optimizer optimizer { get; }

                /// <summary>The learning rate each group started from (the schedule multiplies these).</summary>
                public IReadOnlyList<double> base_lrs { get; private set; }

                /// <summary>Number of step() calls since creation (0 right after creation, as in PyTorch).</summary>
                public int last_epoch { get; private set; }

                /// <summary>A description of the schedule and its settings (e.g. "cosine(num_warmup_steps=10, ...)"), saved
                /// with the state and compared on load; null for schedules that cannot describe themselves.</summary>
                public virtual string? description => null;

                /// <summary>The learning rates of the groups for step <see cref="last_epoch"/>.</summary>
                protected abstract double[] get_lr();

                /// <summary>Applies step 0; call it at the end of a derived constructor.</summary>
                protected void initial_step() => step();

                /// <summary>Advances the schedule by one step and sets every group's lr. Call it after optimizer.step().</summary>
                public void step()
                {
                    last_epoch++;
                    Apply(get_lr());
                }

                private void Apply(double[] lrs)
                {
                    var groups = optimizer.param_groups;
                    if (lrs.Length != groups.Count)
                        throw new TorchException($"{GetType().Name} computed {lrs.Length} learning rates for {groups.Count} param groups; " +
                                                 "create the scheduler after adding all param groups");
                    for (int i = 0; i < groups.Count; i++) groups[i].lr = lrs[i];
                    lastLr = lrs;
                }

                /// <summary>The learning rates set by the last step (one per param group); log the first as learning_rate.</summary>
                public IReadOnlyList<double> get_last_lr() => lastLr;

                /// <summary>The scheduler's position and base rates, for an exact resume.</summary>
                public SchedulerStateDict state_dict() => new(GetType().Name, description, last_epoch, base_lrs.ToArray(), lastLr.ToArray());

                /// <summary>Restores the position saved by <see cref="state_dict"/> and writes the saved learning rates into
                /// the param groups, so the next step() continues exactly where the saved run stopped.</summary>
                /// <exception cref="TorchException">The state is for another scheduler type or schedule, or another number of groups.</exception>
                public void load_state_dict(SchedulerStateDict state)
                {
                    ArgumentNullException.ThrowIfNull(state);
                    string Fail(string what) => $"cannot load scheduler state into {GetType().Name}: {what}";
                    if (state.scheduler != GetType().Name)
                        throw new TorchException(Fail($"it was saved by {state.scheduler}"));
                    if (description != null && state.description != null && description != state.description)
                        throw new TorchException(Fail($"it was saved for the schedule {state.description} but this one is {description}; " +
                                                      "resume with the schedule settings of the saved run"));
                    int groups = optimizer.param_groups.Count;
                    if (state.base_lrs.Count != groups || state.last_lr.Count != groups)
                        throw new TorchException(Fail($"it has {state.base_lrs.Count} base rates for {groups} param groups"));
                    last_epoch = state.last_epoch;
                    base_lrs = state.base_lrs.ToArray();
                    for (int i = 0; i < groups; i++) optimizer.param_groups[i].initial_lr = base_lrs[i];
                    Apply(state.last_lr.ToArray());
                }
            }

            /// <summary>A scheduler's state: its type, schedule description, step count, base and last learning rates.</summary>
            public sealed record SchedulerStateDict(string scheduler, string? description, int last_epoch,
                                                    IReadOnlyList<double> base_lrs, IReadOnlyList<double> last_lr);
        }
    }
}
