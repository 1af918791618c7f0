using static Alignment.Torch.torch.nn;

namespace Alignment.Torch;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>
        /// Base of the optimizers: parameter groups with their hyper-parameters, lazily created per-parameter state,
        /// zero_grad, and state_dict / load_state_dict for exact resume. The optimizer owns its state tensors
        /// (freed by Dispose); the parameters belong to their modules.
        /// </summary>
        public abstract partial class Optimizer : IDisposable
        {
            private readonly List<ParamGroup> groups = new();
            private readonly Dictionary<Parameter, ParamState> paramState = new(ReferenceEqualityComparer.Instance);

            /// <param name="groups">Parameter groups; a group without its own lr or weight_decay takes these defaults.</param>
            /// <param name="lr">Default learning rate.</param>
            /// <param name="weight_decay">Default weight decay.</param>
            protected Optimizer(IEnumerable<ParamGroup> groups, double lr, double weight_decay)
            {
                ArgumentNullException.ThrowIfNull(groups);
                CheckNonNegative("learning rate", lr);
                CheckNonNegative("weight_decay", weight_decay);
                default_lr = lr;
                default_weight_decay = weight_decay;
                foreach (var g in groups) add_param_group(g);
                if (this.groups.Count == 0 || this.groups.All(g => g.@params.Count == 0))
                    throw new TorchException($"{name} got an empty parameter list; pass the model's parameters()");
            }

            /// <summary>The optimizer's type name, saved in its state ("AdamW", "SGD").</summary>
            public virtual string name => GetType().Name;

            /// <summary>Learning rate for groups that do not set their own.</summary>
            public double default_lr { get; }

            /// <summary>Weight decay for groups that do not set their own.</summary>
            public double default_weight_decay { get; }

            /// <summary>The parameter groups, in order (schedulers set their lr).</summary>
            public IReadOnlyList<ParamGroup> param_groups => groups;

            /// <summary>Adds a group (its lr and weight_decay default to the optimizer's). A parameter may be in one group only.</summary>
            public void add_param_group(ParamGroup group)
            {
                ArgumentNullException.ThrowIfNull(group);
                var known = new HashSet<Parameter>(groups.SelectMany(g => g.@params), ReferenceEqualityComparer.Instance);
                for (int i = 0; i < group.@params.Count; i++)
                    if (!known.Add(group.@params[i]))
                        throw new TorchException($"{name}: parameter {group.Describe(i, i)} of the new group appears in more than one parameter group");
                group.lr = group.RequestedLr ?? default_lr;
                group.weight_decay = group.RequestedWeightDecay ?? default_weight_decay;
                CheckNonNegative("learning rate", group.lr);
                CheckNonNegative("weight_decay", group.weight_decay);
                groups.Add(group);
            }

            /// <summary>Applies one update to every parameter that has a gradient (parameters without one are skipped).</summary>
            public abstract void step();

            /// <summary>Clears the gradients of all parameters of all groups.</summary>
            /// <param name="set_to_none">True (default): remove the gradients (frees memory; the next backward allocates
            /// them). False: fill them with zeros.</param>
            public void zero_grad(bool set_to_none = true)
            {
                foreach (var g in groups)
                    foreach (var p in g.@params)
                        Module.ZeroGrad(p, set_to_none);
            }

            /// <summary>The state of one parameter, or null when it has never been updated.</summary>
            public ParamState? state_of(Parameter parameter) => paramState.GetValueOrDefault(parameter);

            /// <summary>The state of a parameter, created empty on first use.</summary>
            protected ParamState StateFor(Parameter parameter)
            {
                if (!paramState.TryGetValue(parameter, out var s)) paramState[parameter] = s = new ParamState();
                return s;
            }

            /// <summary>Takes a native handle created for this optimizer's state: out of any dispose scope, owned here.</summary>
            protected static Tensor AdoptState(IntPtr raw) => new Tensor(raw).DetachFromDisposeScope();

            /// <summary>Names of the state tensors this optimizer keeps per parameter (checked when loading).</summary>
            protected abstract IReadOnlyCollection<string> state_keys { get; }

            /// <summary>The shape a state tensor of <paramref name="parameter"/> has, when it is not the parameter's own
            /// (e.g. a projected moment); null means the parameter's shape.</summary>
            protected virtual long[]? expected_state_shape(Parameter parameter, string key) => null;

            /// <summary>Optimizer-wide hyper-parameters, saved in the state dict.</summary>
            protected abstract IReadOnlyDictionary<string, double> get_defaults();

            /// <summary>Restores optimizer-wide hyper-parameters from a state dict (after validation).</summary>
            protected abstract void set_defaults(IReadOnlyDictionary<string, double> defaults);

            // ---- state dict ----

            /// <summary>
            /// The state for an exact resume (see <see cref="OptimizerStateDict"/>). The tensors are the optimizer's own,
            /// not copies: save them, do not dispose them.
            /// </summary>
            public OptimizerStateDict state_dict()
            {
                var groupStates = new List<ParamGroupState>();
                var state = new Dictionary<int, ParamState>();
                int index = 0;
                foreach (var g in groups)
                {
                    var indices = new List<int>();
                    foreach (var p in g.@params)
                    {
                        if (paramState.TryGetValue(p, out var s) && (s.step != 0 || s.tensors.Count > 0))
                        {
                            var copy = new ParamState { step = s.step };
                            foreach (var (k, t) in s.tensors) copy.tensors[k] = t;
                            state[index] = copy;
                        }
                        indices.Add(index++);
                    }
                    groupStates.Add(new ParamGroupState(g.lr, g.weight_decay, g.initial_lr, indices, g.param_names?.ToList()));
                }
                return new OptimizerStateDict { optimizer = name, defaults = get_defaults(), param_groups = groupStates, state = state };
            }

            /// <summary>
            /// Replaces this optimizer's state and hyper-parameters with <paramref name="state"/> (from
            /// <see cref="state_dict"/> of an optimizer of the same type over the same parameters). Everything is
            /// checked first: optimizer type, group sizes, parameter names when both sides have them, state tensor names
            /// and shapes. State tensors are copied to each parameter's dtype and device; the caller keeps the given ones.
            /// </summary>
            public void load_state_dict(OptimizerStateDict state) => LoadStateDict(state, takeOwnership: false);

            /// <summary>As load_state_dict; with takeOwnership the given tensors are used (or disposed) instead of copied.</summary>
            internal void LoadStateDict(OptimizerStateDict state, bool takeOwnership)
            {
                ArgumentNullException.ThrowIfNull(state);
                var all = Validate(state);
                foreach (var s in paramState.Values)
                    foreach (var t in s.tensors.Values) t.Dispose();
                paramState.Clear();
                set_defaults(state.defaults);
                for (int gi = 0; gi < groups.Count; gi++)
                {
                    groups[gi].lr = state.param_groups[gi].lr;
                    groups[gi].weight_decay = state.param_groups[gi].weight_decay;
                    groups[gi].initial_lr = state.param_groups[gi].initial_lr;
                }
                using var noGrad = no_grad();
                try
                {
                    foreach (var (index, saved) in state.state)
                    {
                        var p = all[index];
                        var s = StateFor(p);
                        s.step = saved.step;
                        foreach (var (key, t) in saved.tensors) s.tensors[key] = OwnedCopy(t, p, takeOwnership);
                    }
                }
                catch
                {
                    // Out of memory or a failed device copy after validation: leave a clean, empty state rather than half of one.
                    foreach (var s in paramState.Values)
                        foreach (var t in s.tensors.Values) t.Dispose();
                    paramState.Clear();
                    throw;
                }
            }

            private static Tensor OwnedCopy(Tensor source, Parameter like, bool takeOwnership)
            {
                var dtype = like.dtype;
                var device = like.device;
                bool same = source.dtype == dtype && source.device == device;
                if (takeOwnership && same) return source.DetachFromDisposeScope();
                var copy = same ? source.clone() : source.to(dtype, device);
                if (takeOwnership) source.Dispose();
                return copy.DetachFromDisposeScope();
            }

            // Checks state against this optimizer; returns all parameters by global index.
            private List<Parameter> Validate(OptimizerStateDict state)
            {
                string Fail(string what) => $"cannot load optimizer state into {name}: {what}";
                if (state.optimizer != name)
                    throw new TorchException(Fail($"the state was saved by {state.optimizer}; build a {state.optimizer} to resume it"));
                if (state.param_groups.Count != groups.Count)
                    throw new TorchException(Fail($"the state has {state.param_groups.Count} parameter group(s), this optimizer {groups.Count}; " +
                                                  "build the groups exactly as in the run that saved it"));
                var all = new List<Parameter>();
                var descriptions = new List<string>();
                for (int gi = 0; gi < groups.Count; gi++)
                {
                    var g = groups[gi];
                    var saved = state.param_groups[gi];
                    if (saved.@params.Count != g.@params.Count)
                        throw new TorchException(Fail($"group {gi} has {saved.@params.Count} parameters in the state but {g.@params.Count} here; " +
                                                      "the model or its frozen/trainable split differs from the saved run"));
                    for (int i = 0; i < g.@params.Count; i++)
                    {
                        if (saved.@params[i] != all.Count)
                            throw new TorchException(Fail($"group {gi} lists parameter index {saved.@params[i]} at position {i}; expected {all.Count}"));
                        if (g.param_names != null && saved.param_names != null && g.param_names[i] != saved.param_names[i])
                            throw new TorchException(Fail($"parameter {all.Count} is '{g.param_names[i]}' here but '{saved.param_names[i]}' in the state; " +
                                                          "the parameters are in a different order or belong to another model"));
                        descriptions.Add(g.Describe(i, all.Count));
                        all.Add(g.@params[i]);
                    }
                }
                foreach (var (index, saved) in state.state)
                {
                    if (index < 0 || index >= all.Count)
                        throw new TorchException(Fail($"the state has an entry for parameter {index}, but there are only {all.Count} parameters"));
                    var want = all[index].shape;
                    foreach (var (key, t) in saved.tensors)
                    {
                        if (!state_keys.Contains(key))
                            throw new TorchException(Fail($"parameter {descriptions[index]} has unknown state '{key}'; {name} keeps {string.Join(", ", state_keys)}"));
                        var expected = expected_state_shape(all[index], key) ?? want;
                        if (!t.shape.SequenceEqual(expected))
                            throw new TorchException(Fail($"state '{key}' of parameter {descriptions[index]} has shape [{string.Join(", ", t.shape)}] " +
                                                          (ReferenceEquals(expected, want) ? $"but the parameter has shape [{string.Join(", ", want)}]"
                                                                                           : $"but {name} keeps it as [{string.Join(", ", expected)}]")));
                    }
                }
                return all;
            }

            private static void CheckNonNegative(string what, double value)
            {
                if (!(value >= 0)) throw new TorchException($"invalid {what}: {value} (must be >= 0)");
            }

            /// <summary>Frees the state tensors (the parameters stay with their modules).</summary>
            public void Dispose()
            {
                foreach (var s in paramState.Values)
                    foreach (var t in s.tensors.Values) t.Dispose();
                paramState.Clear();
                GC.SuppressFinalize(this);
            }
        }
    }
}
