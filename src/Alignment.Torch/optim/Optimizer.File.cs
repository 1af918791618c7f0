using System.Globalization;
using System.Text.Json;
using Alignment.Torch.IO;

namespace Alignment.Torch;

public static partial class torch
{
    public static partial class optim
    {
        // Optimizer state files: one safetensors file holding the state tensors ("state.{index}.{name}") and, in its
        // metadata, the optimizer type, hyper-parameters, param groups and per-parameter step counts as JSON.
        public abstract partial class Optimizer
        {
            private const string FormatKey = "format", Format = "alignment.optimizer/1";

            /// <summary>Writes <see cref="state_dict"/> to a safetensors file, atomically (temporary file, then rename).</summary>
            public void save(string path) => SaveStateDict(state_dict(), path);

            /// <summary>Restores the state written by <see cref="save"/> (see <see cref="load_state_dict"/> for the checks).
            /// State tensors are moved to each parameter's dtype and device.</summary>
            /// <exception cref="TorchException">The file is not an optimizer state file or does not fit this optimizer;
            /// the message names the file.</exception>
            public void load(string path)
            {
                var (tensors, metadata) = Safetensors.Load(path);
                try
                {
                    LoadStateDict(ParseStateDict(tensors, metadata, path), takeOwnership: true);
                }
                catch (TorchException e)
                {
                    foreach (var t in tensors.Values) t.Dispose();
                    throw new TorchException($"{path}: {e.Message}", e);
                }
                catch
                {
                    foreach (var t in tensors.Values) t.Dispose();
                    throw;
                }
            }

            /// <summary>Writes an optimizer state dict to a safetensors file (tensors are read, not consumed).</summary>
            internal static void SaveStateDict(OptimizerStateDict state, string path)
            {
                ArgumentNullException.ThrowIfNull(state);
                var tensors = new Dictionary<string, Tensor>();
                var steps = new SortedDictionary<int, long>();
                foreach (var (index, ps) in state.state)
                {
                    steps[index] = ps.step;
                    foreach (var (key, t) in ps.tensors) tensors[$"state.{index.ToString(CultureInfo.InvariantCulture)}.{key}"] = t;
                }
                var groups = state.param_groups.Select(g => new GroupJson(g.lr, g.weight_decay, g.initial_lr, g.@params.ToArray(),
                                                                         g.param_names?.ToArray())).ToArray();
                var metadata = new Dictionary<string, string>
                {
                    [FormatKey] = Format,
                    ["optimizer"] = state.optimizer,
                    ["defaults"] = JsonSerializer.Serialize(state.defaults),
                    ["param_groups"] = JsonSerializer.Serialize(groups),
                    ["steps"] = JsonSerializer.Serialize(steps),
                };
                Safetensors.Save(path, tensors, metadata);
            }

            // Builds a state dict over tensors loaded from a file; the caller still owns the tensors.
            private static OptimizerStateDict ParseStateDict(Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata, string path)
            {
                string Meta(string key) => metadata.TryGetValue(key, out var v) ? v
                    : throw new TorchException($"no '{key}' metadata: this is not an optimizer state file written by Optimizer.save");
                if (Meta(FormatKey) != Format)
                    throw new TorchException($"optimizer state format '{Meta(FormatKey)}' is not supported (expected '{Format}')");
                try
                {
                    var defaults = JsonSerializer.Deserialize<Dictionary<string, double>>(Meta("defaults"))!;
                    var groups = JsonSerializer.Deserialize<GroupJson[]>(Meta("param_groups"))!;
                    var steps = JsonSerializer.Deserialize<Dictionary<int, long>>(Meta("steps"))!;
                    var state = steps.ToDictionary(kv => kv.Key, kv => new ParamState { step = kv.Value });
                    foreach (var (name, t) in tensors)
                    {
                        var parts = name.Split('.');
                        if (parts.Length != 3 || parts[0] != "state" || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                            throw new TorchException($"unexpected tensor '{name}' (optimizer state tensors are named state.<index>.<name>)");
                        if (!state.TryGetValue(index, out var ps)) state[index] = ps = new ParamState();
                        ps.tensors[parts[2]] = t;
                    }
                    return new OptimizerStateDict
                    {
                        optimizer = Meta("optimizer"),
                        defaults = defaults,
                        param_groups = groups.Select(g => new ParamGroupState(g.lr, g.weight_decay, g.initial_lr, g.@params, g.param_names)).ToList(),
                        state = state,
                    };
                }
                catch (JsonException e)
                {
                    throw new TorchException($"malformed optimizer metadata: {e.Message}", e);
                }
            }

            private sealed record GroupJson(double lr, double weight_decay, double? initial_lr, int[] @params, string[]? param_names);
        }
    }
}
