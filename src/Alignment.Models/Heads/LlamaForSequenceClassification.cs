using System.Globalization;
using System.Text.Json.Nodes;
using Alignment.Models.Checkpoints;
using Alignment.Models.Core;
using Alignment.Models.Llama;
using Alignment.Torch;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Models.Heads;

/// <summary>What the sequence classifier returns; tensors belong to the caller's dispose scope.</summary>
/// <param name="logits">(B, num_labels): the score of each sequence's last non-padding token (a reward model's reward
/// when num_labels is 1).</param>
/// <param name="token_logits">(B, T, num_labels) the score at every position, when asked for (per-token values).</param>
/// <param name="last_hidden_state">(B, T, hidden) after the final norm.</param>
public sealed record SequenceClassifierOutput(Tensor logits, Tensor? token_logits, Tensor last_hidden_state);

/// <summary>
/// A reward / classification model laid out as transformers' LlamaForSequenceClassification (and the Mistral/Qwen2/
/// Qwen3 twins): <c>model</c> plus <c>score</c>, a bias-free Linear(hidden, num_labels) stored as <c>score.weight</c>,
/// applied to the final hidden state of each sequence's LAST NON-PADDING token. That token is found from the attention
/// mask (the rightmost position whose mask is 1), so left and right padding pool the same token; transformers finds it
/// from input_ids != pad_token_id, which agrees whenever the padding id does not also occur as a real token (and is
/// wrong when it does, e.g. pad = eos).
/// </summary>
public sealed class LlamaForSequenceClassification : PreTrainedModel
{
    private LlamaForSequenceClassification(LlamaConfig config, int numLabels, ScalarType dtype, Device? device, IReadOnlyList<string> warnings)
        : base(config, dtype, warnings)
    {
        if (numLabels < 1) throw new ModelException($"num_labels must be at least 1, got {numLabels}");
        num_labels = numLabels;
        register_module("model", new LlamaModel(config, dtype, device));
        register_module("score", new LoraLinear(config.Hidden, numLabels, bias: false, dtype, device));
    }

    public int num_labels { get; }

    public LoraLinear score => (LoraLinear)get_submodule("score");

    /// <summary>Random weights as transformers initializes them (score ~ N(0, initializer_range²)).</summary>
    public static LlamaForSequenceClassification from_config(LlamaConfig config, int num_labels, Generator generator,
                                                             ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Initialized(new LlamaForSequenceClassification(config, num_labels, dtype, device, Check(config, "config", dtype, device)), generator);

    /// <summary>Loads a reward model folder (with score.weight) or starts one from a causal LM folder: then lm_head.weight
    /// is left unread and score.weight is drawn from N(0, initializer_range²) with <paramref name="generator"/>, as
    /// transformers does when it reports the head as newly initialized.</summary>
    /// <param name="folder">Hugging Face folder.</param>
    /// <param name="num_labels">Outputs of the head; null = config.json's id2label count, else 1 (a reward model).</param>
    /// <param name="generator">Draws a missing score head; required when the folder has none.</param>
    /// <param name="dtype">Compute dtype.</param>
    /// <param name="device">Device.</param>
    public static LlamaForSequenceClassification from_pretrained(string folder, int? num_labels = null, Generator? generator = null,
                                                                 ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var config = LlamaConfig.Load(folder);
        var warnings = Check(config, Path.Combine(folder, "config.json"), dtype, device);
        if (config.Quantization is not null)
            throw new ModelException($"{Path.Combine(folder, "config.json")}: a bitsandbytes 4-bit or 8-bit checkpoint loads as a causal LM only " +
                                     "(QLoRA policies); build reward models from the float checkpoint");
        return Filled(new LlamaForSequenceClassification(config, num_labels ?? config.Id2Label?.Count ?? 1, dtype, device, warnings), m =>
        {
            var report = CheckpointLoader.Load(m, folder, Describe(config) + $", num_labels {m.num_labels}",
                                               mayBeMissing: k => k == "score.weight",
                                               mayBeIgnored: k => k == "lm_head.weight" || k.StartsWith("v_head.", StringComparison.Ordinal));
            if (report.Initialized.Count > 0)
            {
                if (generator is null)
                    throw new ModelException($"{folder}: has no score.weight (it is a language model, not a reward model); pass a generator to " +
                                             "draw a new score head");
                using (no_grad())
                using (NewDisposeScope())
                    m.score.weight.copy_(empty(m.score.weight.shape, float32).normal_(0, config.InitStd, generator));
            }
            m.name_or_path = Path.GetFullPath(folder);
        });
    }

    /// <summary>Writes a Hugging Face folder that transformers opens with AutoModelForSequenceClassification:
    /// architectures <c>{Llama|Mistral|Qwen2|Qwen3}ForSequenceClassification</c>, id2label/label2id for num_labels,
    /// score.weight beside the decoder's tensors.</summary>
    public void save_pretrained(string folder, long maxShardBytes = 5L << 30, bool overwrite = false)
    {
        string json = config.ToJson(dtype, obj =>
        {
            obj["architectures"] = new JsonArray(config.ClassPrefix + "ForSequenceClassification");
            var id2label = new JsonObject();
            var label2id = new JsonObject();
            for (int i = 0; i < num_labels; i++)
            {
                string label = config.Id2Label is { } l && l.TryGetValue(i.ToString(CultureInfo.InvariantCulture), out var n) ? n : $"LABEL_{i}";
                id2label[i.ToString(CultureInfo.InvariantCulture)] = label;
                label2id[label] = i;
            }
            obj["id2label"] = id2label;
            obj["label2id"] = label2id;
        });
        SaveFolder(folder, json, state_dict(), maxShardBytes, overwrite);
    }

    /// <summary>Scores each sequence at its last non-padding token.</summary>
    /// <param name="input_ids">(B, T) int64.</param>
    /// <param name="attention_mask">(B, T) 1 = token, 0 = padding (left or right); null = no padding (pool position T−1).</param>
    /// <param name="all_tokens">Also score every position (token_logits).</param>
    public SequenceClassifierOutput forward(Tensor input_ids, Tensor? attention_mask = null, bool all_tokens = false)
    {
        using var scope = NewDisposeScope();
        var h = model.forward(input_ids, attention_mask).last_hidden_state;  // (B, T, hidden)
        var last = LastTokenIndex(attention_mask, input_ids.size(0), input_ids.size(1), h.device);  // (B)
        var index = last.view(-1, 1, 1).expand(-1, 1, h.size(2));           // (B, 1, hidden)
        var pooled = h.gather(1, index).squeeze(1);                         // (B, hidden)
        var logits = score.forward(pooled).MoveToOuterScope();             // (B, num_labels)
        var tokens = all_tokens ? score.forward(h).MoveToOuterScope() : null;  // (B, T, num_labels)
        return new SequenceClassifierOutput(logits, tokens, h.MoveToOuterScope());
    }

    /// <summary>(B) int64: the rightmost position whose mask is 1 in each row (0 when a row has none); T−1 without a mask.</summary>
    public static Tensor LastTokenIndex(Tensor? attention_mask, long b, long t, Device? device = null)
    {
        if (attention_mask is null) return full(new[] { b }, t - 1, int64, device);
        using var scope = NewDisposeScope();
        var positions = arange(0, t, 1, int64, attention_mask.device);     // (T)
        return attention_mask.to(int64).mul(positions).argmax(1).MoveToOuterScope();
    }
}
