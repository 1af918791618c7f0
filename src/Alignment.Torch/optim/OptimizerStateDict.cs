namespace Alignment.Torch;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>
        /// An optimizer's full state, as PyTorch's optimizer.state_dict(): hyper-parameters per group, and per
        /// parameter (identified by its index across all groups, in order) the step count and state tensors
        /// (AdamW: "exp_avg", "exp_avg_sq"; SGD with momentum: "momentum_buffer"). Enough for an exact resume.
        /// </summary>
        public sealed class OptimizerStateDict
        {
            /// <summary>The optimizer type that produced the state ("AdamW", "SGD"); loading checks it.</summary>
            public required string optimizer { get; init; }

            /// <summary>Optimizer-wide hyper-parameters (AdamW: beta1, beta2, eps; SGD: momentum, dampening, nesterov as 0/1).</summary>
            public required IReadOnlyDictionary<string, double> defaults { get; init; }

            /// <summary>Per-group hyper-parameters and parameter indices, in group order.</summary>
            public required IReadOnlyList<ParamGroupState> param_groups { get; init; }

            /// <summary>State of the parameters that have any, by parameter index.</summary>
            public required IReadOnlyDictionary<int, ParamState> state { get; init; }
        }

        /// <summary>One param group's hyper-parameters and the indices (and names, when known) of its parameters.</summary>
        public sealed record ParamGroupState(double lr, double weight_decay, double? initial_lr, IReadOnlyList<int> @params,
                                             IReadOnlyList<string>? param_names);

        /// <summary>The optimizer state of one parameter: how many updates it received and its state tensors by name.</summary>
        public sealed class ParamState
        {
            /// <summary>Number of optimizer steps applied to this parameter (AdamW's bias correction uses it).</summary>
            public long step { get; set; }

            /// <summary>State tensors by name (same shape as the parameter).</summary>
            public Dictionary<string, Tensor> tensors { get; } = new();
        }
    }
}
