using System.Text;
using Alignment.Torch.IO;

namespace Alignment.Torch;

public static partial class torch
{
    public static partial class nn
    {
        // state_dict / load_state_dict: the module's persistent state by dotted name.
        public abstract partial class Module
        {
            /// <summary>
            /// Parameters and persistent buffers by dotted name (<c>layers.0.weight</c>), in registration order. Tied
            /// parameters appear under each of their names, as in PyTorch. The values are the module's own tensors,
            /// not copies: read or save them, but do not dispose them; clone() one to keep a snapshot.
            /// </summary>
            public OrderedDictionary<string, Tensor> state_dict()
            {
                var result = new OrderedDictionary<string, Tensor>();
                CollectState("", result);
                return result;
            }

            private void CollectState(string prefix, OrderedDictionary<string, Tensor> into)
            {
                foreach (var (n, p) in _parameters) into[Join(prefix, n)] = p;
                foreach (var (n, b) in _buffers)
                    if (!nonPersistentBuffers.Contains(n)) into[Join(prefix, n)] = b;
                foreach (var (n, child) in _modules) child.CollectState(Join(prefix, n), into);
            }

            /// <summary>
            /// Copies values from <paramref name="state"/> into this module's parameters and persistent buffers
            /// (without recording gradients; dtype and device are converted to the module's). Everything is checked
            /// before anything is copied, so a failed load leaves the module unchanged. The caller keeps ownership of
            /// the given tensors.
            /// </summary>
            /// <param name="state">Tensors by dotted name, e.g. from a safetensors file.</param>
            /// <param name="strict">True (default): a key the module expects but <paramref name="state"/> lacks, or a key
            /// the module does not know, is an error. False: such keys are skipped and reported in the result. A shape
            /// mismatch is always an error.</param>
            /// <exception cref="TorchException">Lists every missing and unexpected key and every shape mismatch
            /// (name, expected shape, shape found), with a hint.</exception>
            public LoadStateDictResult load_state_dict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
            {
                ArgumentNullException.ThrowIfNull(state);
                var own = state_dict();
                var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
                var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
                var mismatches = new List<string>();
                foreach (var (key, target) in own)
                {
                    if (!state.TryGetValue(key, out var source)) continue;
                    var want = target.shape;
                    var got = source.shape;
                    if (!want.SequenceEqual(got))
                        mismatches.Add($"{key}: expected shape {Shape(want)}, got {Shape(got)}");
                }
                if (mismatches.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
                    throw new TorchException(LoadError(missing, unexpected, mismatches, strict));

                using (no_grad())
                    foreach (var (key, target) in own)
                        if (state.TryGetValue(key, out var source)) target.copy_(source);
                return new LoadStateDictResult(missing, unexpected);
            }

            /// <summary>Writes <see cref="state_dict"/> to one safetensors file, atomically (temporary file, then rename).
            /// For sharded Hugging Face folders use the model loaders instead.</summary>
            /// <param name="path">The file to write.</param>
            /// <param name="metadata">Optional "__metadata__" strings (Hugging Face writes {"format": "pt"}).</param>
            public void save(string path, IReadOnlyDictionary<string, string>? metadata = null) => Safetensors.Save(path, state_dict(), metadata);

            /// <summary>Loads a safetensors file written by <see cref="save"/> (or any single-file checkpoint with matching
            /// names) through <see cref="load_state_dict"/>; errors name the file.</summary>
            /// <param name="path">The file to read.</param>
            /// <param name="strict">As in <see cref="load_state_dict"/> (default true).</param>
            public LoadStateDictResult load(string path, bool strict = true)
            {
                var (tensors, _) = Safetensors.Load(path);
                try
                {
                    return load_state_dict(tensors, strict);
                }
                catch (TorchException e)
                {
                    throw new TorchException($"{path}: {e.Message}", e);
                }
                finally
                {
                    foreach (var t in tensors.Values) t.Dispose();
                }
            }

            private string LoadError(List<string> missing, List<string> unexpected, List<string> mismatches, bool strict)
            {
                var sb = new StringBuilder($"Error(s) in loading state_dict for {name}:");
                if (strict && missing.Count > 0) AppendList(sb, $"Missing key(s) ({missing.Count})", missing);
                if (strict && unexpected.Count > 0) AppendList(sb, $"Unexpected key(s) ({unexpected.Count})", unexpected);
                if (mismatches.Count > 0) AppendList(sb, $"Shape mismatch(es) ({mismatches.Count})", mismatches);
                sb.Append("\n  Hint: ");
                string? prefix = PrefixHint(missing, unexpected);
                if (prefix != null) sb.Append(prefix).Append(' ');
                if (mismatches.Count > 0)
                    sb.Append("Shape mismatches mean the checkpoint was made for a different configuration (hidden size, " +
                              "vocabulary, number of heads): build the model from the checkpoint's own config.json.");
                else
                    sb.Append("Check that the checkpoint belongs to this architecture and configuration; pass strict: false " +
                              "to load only the matching keys (e.g. a partial or adapter checkpoint).");
                return sb.ToString();
            }

            private static void AppendList(StringBuilder sb, string title, List<string> items)
            {
                const int shown = 20;
                sb.Append("\n  ").Append(title).Append(':');
                foreach (var item in items.Take(shown)) sb.Append("\n    ").Append(item);
                if (items.Count > shown) sb.Append($"\n    ... and {items.Count - shown} more");
            }

            // When every unexpected key is a missing key plus (or minus) one common prefix, say so: the usual cause is a
            // checkpoint saved from a wrapper (e.g. "model." of a *ForCausalLM) loaded into the inner model, or the reverse.
            private static string? PrefixHint(List<string> missing, List<string> unexpected)
            {
                if (missing.Count == 0 || unexpected.Count == 0) return null;
                string m = missing[0];
                var missingSet = missing.ToHashSet();
                var unexpectedSet = unexpected.ToHashSet();
                foreach (var u in unexpected)
                {
                    if (u.Length > m.Length && u.EndsWith("." + m, StringComparison.Ordinal))
                    {
                        string extra = u[..(u.Length - m.Length)];
                        if (missing.All(k => unexpectedSet.Contains(extra + k)))
                            return $"The checkpoint's keys carry an extra prefix '{extra}': strip it before loading.";
                    }
                    if (m.Length > u.Length && m.EndsWith("." + u, StringComparison.Ordinal))
                    {
                        string lacking = m[..(m.Length - u.Length)];
                        if (unexpected.All(k => missingSet.Contains(lacking + k)))
                            return $"The checkpoint's keys lack the prefix '{lacking}' this module expects: add it before loading.";
                    }
                }
                return null;
            }

            private static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";
        }

        /// <summary>What a non-strict <see cref="Module.load_state_dict"/> skipped.</summary>
        /// <param name="missing_keys">Keys the module expected but the state did not have (left unchanged).</param>
        /// <param name="unexpected_keys">Keys in the state that the module does not have (ignored).</param>
        public sealed record LoadStateDictResult(IReadOnlyList<string> missing_keys, IReadOnlyList<string> unexpected_keys);
    }
}
