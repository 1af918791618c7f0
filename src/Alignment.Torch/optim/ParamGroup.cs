using static Alignment.Torch.torch.nn;

namespace Alignment.Torch;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>
        /// A set of parameters that share hyper-parameters (learning rate, weight decay), as a PyTorch param group.
        /// Typical use: weight decay on matrices, none on biases and norm weights (see <see cref="with_weight_decay"/>).
        /// A learning-rate scheduler updates <see cref="lr"/> of every group.
        /// </summary>
        public sealed class ParamGroup
        {
            /// <param name="parameters">The parameters of the group.</param>
            /// <param name="lr">Learning rate of this group (default: the optimizer's lr).</param>
            /// <param name="weight_decay">Weight decay of this group (default: the optimizer's weight_decay).</param>
            public ParamGroup(IEnumerable<Parameter> parameters, double? lr = null, double? weight_decay = null)
            {
                ArgumentNullException.ThrowIfNull(parameters);
                @params = parameters.ToList();
                RequestedLr = lr;
                RequestedWeightDecay = weight_decay;
            }

            /// <summary>A group of named parameters (e.g. module.named_parameters()); the names are saved with the
            /// optimizer state and checked when it is loaded, and they appear in error messages.</summary>
            public ParamGroup(IEnumerable<(string name, Parameter parameter)> parameters, double? lr = null, double? weight_decay = null)
            {
                ArgumentNullException.ThrowIfNull(parameters);
                var list = parameters.ToList();
                @params = list.Select(p => p.parameter).ToList();
                param_names = list.Select(p => p.name).ToList();
                RequestedLr = lr;
                RequestedWeightDecay = weight_decay;
            }

            /// <summary>The parameters, in order; their position across all groups is their index in the state dict.</summary>
            public IReadOnlyList<Parameter> @params { get; }

            /// <summary>Parameter names when the group was built from named parameters, else null.</summary>
            public IReadOnlyList<string>? param_names { get; }

            /// <summary>Current learning rate (set by the optimizer from its defaults, then by schedulers).</summary>
            public double lr { get; set; }

            /// <summary>Decoupled (AdamW) or L2 (SGD) weight decay coefficient.</summary>
            public double weight_decay { get; set; }

            /// <summary>The learning rate a scheduler started from (its base lr), recorded when the scheduler is created.</summary>
            public double? initial_lr { get; set; }

            internal double? RequestedLr { get; }
            internal double? RequestedWeightDecay { get; }

            /// <summary>The name of the i-th parameter for messages: its name, or "#i".</summary>
            internal string Describe(int i, int globalIndex) => param_names != null ? $"{globalIndex} ({param_names[i]})" : $"{globalIndex}";

            /// <summary>
            /// Splits the trainable parameters (requires_grad) into two groups, as nanoGPT and Hugging Face's Trainer do:
            /// those with two or more dimensions (weight matrices, embeddings) get <paramref name="weight_decay"/>, the
            /// others (biases, norm weights) get none. Frozen parameters are left out.
            /// </summary>
            /// <param name="parameters">Named parameters, e.g. model.named_parameters().</param>
            /// <param name="weight_decay">Decay for the first group.</param>
            /// <param name="no_decay">Optional rule that picks parameters without decay (default: fewer than 2 dimensions).</param>
            public static ParamGroup[] with_weight_decay(IEnumerable<(string name, Parameter parameter)> parameters, double weight_decay,
                                                         Func<string, Parameter, bool>? no_decay = null)
            {
                no_decay ??= (_, p) => p.dim() < 2;
                var trainable = parameters.Where(p => p.parameter.requires_grad).ToList();
                var decay = trainable.Where(p => !no_decay(p.name, p.parameter));
                var rest = trainable.Where(p => no_decay(p.name, p.parameter));
                return new[] { new ParamGroup(decay, weight_decay: weight_decay), new ParamGroup(rest, weight_decay: 0) };
            }
        }
    }
}
