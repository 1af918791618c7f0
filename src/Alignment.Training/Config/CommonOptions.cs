namespace Alignment.Training.Config;

/// <summary>How the model's weights are trained.</summary>
public enum FinetuningType
{
    /// <summary>Every parameter.</summary>
    Full,
    /// <summary>LoRA adapters (PEFT format); the base is frozen.</summary>
    Lora,
    /// <summary>Only the last <c>freeze_trainable_layers</c> decoder layers (and optionally embeddings/head).</summary>
    Freeze,
    /// <summary>PEFT prefix tuning: learned keys/values of num_virtual_tokens positions in every layer; the base is frozen.</summary>
    PrefixTuning,
    /// <summary>PEFT prompt tuning: num_virtual_tokens learned input embeddings before the tokens; the base is frozen.</summary>
    PromptTuning,
    /// <summary>PEFT P-tuning: virtual-token embeddings made by an MLP or LSTM encoder; the base is frozen.</summary>
    PTuning,
    /// <summary>PEFT IA3: learned rescaling vectors of keys, values and the feed-forward activation; the base is frozen.</summary>
    Ia3,
    /// <summary>Bottleneck adapters (Houlsby or Pfeiffer) on the sublayer outputs; the base is frozen.</summary>
    Bottleneck,
}

/// <summary>What each fine-tuning mode writes.</summary>
public static class FinetuningTypes
{
    /// <summary>True for the modes whose output is a PEFT adapter folder rather than whole weights.</summary>
    public static bool IsAdapter(this FinetuningType f) =>
        f is FinetuningType.Lora or FinetuningType.PrefixTuning or FinetuningType.PromptTuning or FinetuningType.PTuning or FinetuningType.Ia3
            or FinetuningType.Bottleneck;

    /// <summary>True for prefix tuning, prompt tuning and P-tuning (virtual tokens; nothing to merge).</summary>
    public static bool IsPromptLearning(this FinetuningType f) =>
        f is FinetuningType.PrefixTuning or FinetuningType.PromptTuning or FinetuningType.PTuning;
}

/// <summary>
/// Options every stage shares (TRL / LLaMA-Factory names). Each stage's options type derives from this and sets its
/// own learning-rate default in its constructor, so `align train STAGE --help` shows the stage's real default.
/// </summary>
public abstract class CommonOptions
{
    [Option("model", "Hugging Face model folder to start from (config.json, safetensors, tokenizer.json).")]
    public string? Model { get; set; }

    [Option("data", "Training data, JSONL in the stage's TRL shape.")]
    public string? Data { get; set; }

    [Option("eval_data", "Held-out JSONL in the same shape, evaluated every eval_steps (and at the end). Empty: no evaluation.")]
    public string? EvalData { get; set; }

    [StageInput("template", "Chat template name, or 'auto' to recognize it from tokenizer_config.json (template).", Default = "auto")]
    [Option("template", "Chat template name (chatml, qwen, qwen3, llama3, llama2, mistral, alpaca, plain); empty = recognized from " +
                        "tokenizer_config.json. 'plain' is ids(prompt) + ids(completion) + [eos], loss on completion and eos.")]
    public string? Template { get; set; }

    [StageInput("maxLength", "Most tokens per sequence (max_length).", Minimum = 1)]
    [Option("max_length", "Most tokens per sequence (prompt + answer); longer examples keep the prompt's end and the answer's start.")]
    public int MaxLength { get; set; } = 512;

    [StageInput("batchSize", "Sequences (pairs for preferences, rollouts for PPO) per micro-batch (batch_size).", Minimum = 1)]
    [Option("batch_size", "Sequences (pairs for rm/dpo) per micro-batch.")]
    public int BatchSize { get; set; } = 8;

    [Option("gradient_accumulation_steps", "Micro-batches per optimizer step; the loss is normalized over the whole accumulated batch " +
                                           "(by tokens for sft, by examples otherwise), so k × b equals one batch of k·b.")]
    public int GradientAccumulationSteps { get; set; } = 1;

    [StageInput("learningRate", "Peak AdamW learning rate (learning_rate).")]
    [Option("learning_rate", "Peak learning rate of AdamW.")]
    public double LearningRate { get; set; } = 2e-5;

    [Option("lr_scheduler", "Learning-rate schedule after warmup: constant, linear or cosine (transformers' formulas).")]
    public string LrScheduler { get; set; } = "linear";

    [Option("warmup_ratio", "Share of the optimizer steps spent warming the learning rate up linearly from 0.")]
    public double WarmupRatio { get; set; }

    [Option("weight_decay", "AdamW weight decay (not applied to biases and norm weights).")]
    public double WeightDecay { get; set; }

    [Option("adam_beta1", "AdamW beta1.")]
    public double AdamBeta1 { get; set; } = 0.9;

    [Option("adam_beta2", "AdamW beta2.")]
    public double AdamBeta2 { get; set; } = 0.999;

    [Option("max_grad_norm", "Clip the global gradient norm to this (0 = no clipping; the norm is still logged as grad_norm).")]
    public double MaxGradNorm { get; set; } = 1.0;

    [StageInput("epochs", "Passes over the data (epochs; ignored when maxSteps > 0).", Minimum = 0)]
    [Option("epochs", "Passes over the training data (ignored when max_steps > 0).")]
    public int Epochs { get; set; } = 1;

    [StageInput("maxSteps", "Optimizer steps to run; 0 = epochs × steps per epoch (max_steps).", Minimum = 0)]
    [Option("max_steps", "Optimizer steps to run; 0 = epochs × steps per epoch.")]
    public int MaxSteps { get; set; }

    [StageInput("seed", "Seed of the data order, new weights and sampling (seed): same inputs and seed, same artifact.", Minimum = 0)]
    [Option("seed", "Seed of the data order, of new weights (LoRA, heads) and of dropout.")]
    public ulong Seed { get; set; } = 42;

    [StageInput("loggingSteps", "Write a metrics line every this many steps (logging_steps).", Default = 1, Minimum = 1)]
    [Option("logging_steps", "Write a metrics.jsonl line every this many optimizer steps (and at the last step).")]
    public int LoggingSteps { get; set; } = 10;

    [Option("save_steps", "Write checkpoints/step-N every this many steps (0 = only at the end).")]
    public int SaveSteps { get; set; } = 500;

    [Option("save_fraction", "Also write checkpoints/step-N every ceil(save_fraction × total steps) steps, so a kill loses at most " +
                             "that fraction of the run (0 = off; workflow training stages use 0.1).")]
    public double SaveFraction { get; set; }

    [Option("save_total_limit", "Keep at most this many checkpoints (oldest removed first); 0 = keep all.")]
    public int SaveTotalLimit { get; set; } = 2;

    [Option("eval_steps", "Evaluate on eval_data every this many steps (0 = only at the end).")]
    public int EvalSteps { get; set; }

    [StageInput("finetuning", "What is trained: full, freeze (the last layers), or a PEFT method whose output is an adapter for policies: lora, prefix_tuning, " +
                               "prompt_tuning, p_tuning, ia3 (finetuning; `align train STAGE --help` says what each trains).")]
    [Option("finetuning", "What is trained: full (every weight), lora (low-rank adapters), freeze (the last layers), prefix_tuning " +
                          "(per-layer keys/values of num_virtual_tokens virtual tokens), prompt_tuning (num_virtual_tokens input embeddings), " +
                          "p_tuning (those embeddings from an MLP/LSTM encoder), ia3 (rescaling vectors of keys, values and the " +
                          "feed-forward activation) or bottleneck (small adapters after the attention and/or feed-forward outputs). Every mode " +
                          "but full and freeze freezes the base and writes an adapter folder.")]
    public FinetuningType Finetuning { get; set; } = FinetuningType.Full;

    [StageInput("loraR", "LoRA rank with finetuning lora (lora_r).", Minimum = 1)]
    [Option("lora_r", "LoRA rank.")]
    public int LoraR { get; set; } = 8;

    [Option("lora_alpha", "LoRA alpha (the update is scaled by alpha / r).")]
    public double LoraAlpha { get; set; } = 16;

    [Option("lora_dropout", "Dropout on the LoRA input while training.")]
    public double LoraDropout { get; set; } = 0.05;

    [Option("lora_target", "Comma-separated leaf names of the layers that get adapters (q_proj,v_proj,...) or all-linear.")]
    public string LoraTarget { get; set; } = "all-linear";

    [StageInput("numVirtualTokens", "Virtual tokens with finetuning prefix_tuning, prompt_tuning or p_tuning (num_virtual_tokens).", Minimum = 1)]
    [Option("num_virtual_tokens", "With finetuning prefix_tuning, prompt_tuning or p_tuning: number of virtual tokens.")]
    public int NumVirtualTokens { get; set; } = 20;

    [Option("prefix_projection", "With finetuning prefix_tuning: compute the prefix through PEFT's two-layer tanh MLP " +
                                 "(encoder_hidden_size wide) instead of learning it directly.")]
    public bool PrefixProjection { get; set; }

    [Option("encoder_hidden_size", "With prefix_projection or p_tuning: hidden width of the encoder; 0 = token_dim (PEFT's default: " +
                                   "hidden_size, or the key width per layer for prefix tuning).")]
    public int EncoderHiddenSize { get; set; }

    [Option("prompt_tuning_init_text", "With finetuning prompt_tuning: start the virtual tokens from the embeddings of this text's tokens " +
                                       "(cut or repeated to num_virtual_tokens; PEFT's TEXT init); empty = random N(0, 1).")]
    public string PromptTuningInitText { get; set; } = "";

    [Option("p_tuning_encoder", "With finetuning p_tuning: mlp (Linear-ReLU-Linear-ReLU-Linear) or lstm (bidirectional LSTM, then " +
                                "Linear-ReLU-Linear).")]
    public string PTuningEncoder { get; set; } = "mlp";

    [Option("p_tuning_encoder_layers", "With p_tuning_encoder lstm: LSTM layers.")]
    public int PTuningEncoderLayers { get; set; } = 2;

    [Option("p_tuning_encoder_dropout", "With p_tuning_encoder lstm: dropout between LSTM layers while training.")]
    public double PTuningEncoderDropout { get; set; }

    [Option("ia3_target", "With finetuning ia3: comma-separated leaf names of the rescaled layers (PEFT's Llama default).")]
    public string Ia3Target { get; set; } = "k_proj,v_proj,down_proj";

    [Option("ia3_feedforward", "With finetuning ia3: which of ia3_target rescale their input (feed-forward) rather than their output.")]
    public string Ia3Feedforward { get; set; } = "down_proj";

    [Option("adapter_config", "With finetuning bottleneck: houlsby (adapters after the attention and the feed-forward output of every " +
                              "layer) or pfeiffer (after the feed-forward output only).")]
    public string AdapterConfig { get; set; } = "houlsby";

    [Option("adapter_reduction_factor", "With finetuning bottleneck: the adapters are hidden_size / this wide (AdapterHub's default 16).")]
    public int AdapterReductionFactor { get; set; } = 16;

    [Option("adapter_non_linearity", "With finetuning bottleneck: relu, swish, gelu or tanh; empty = AdapterHub's default for the config " +
                                     "(swish for houlsby, relu for pfeiffer).")]
    public string AdapterNonLinearity { get; set; } = "";
    [StageInput("useRslora", "Rank-stabilized LoRA, scaling alpha/√r (use_rslora).")]
    [Option("use_rslora", "Rank-stabilized LoRA: scale the update by lora_alpha / √r instead of lora_alpha / r (PEFT's use_rslora).")]
    public bool UseRslora { get; set; }

    [StageInput("useDora", "DoRA: LoRA plus a trained magnitude per output row (use_dora).")]
    [Option("use_dora", "DoRA: each adapted layer also trains a magnitude per output row, y = m / ‖W + s·B·A‖_row · (W + s·B·A)·x " +
                        "with the norm detached (PEFT's use_dora; saved as lora_magnitude_vector). Not with pissa/olora init.")]
    public bool UseDora { get; set; }

    [StageInput("initLoraWeights", "How LoRA adapters start: true, gaussian, pissa, pissa_niter_K or olora (init_lora_weights).")]
    [Option("init_lora_weights", "How LoRA adapters start (PEFT's init_lora_weights): true (A kaiming-uniform, B zero), false (B drawn too), " +
                                 "gaussian (A ~ N(0, 1/r²), B zero), pissa (A, B from the top-r SVD of W, base = W − s·B·A), " +
                                 "pissa_niter_K (the same with torch.svd_lowrank's randomized SVD, K subspace iterations) or olora " +
                                 "(A, B from W's QR). PiSSA/OLoRA results are saved converted to a rank-2r LoRA of the original base.")]
    public string InitLoraWeights { get; set; } = "true";
    [StageInput("quantizationBit", "QLoRA: 4 holds the base model's decoder projections in 4 bits (NF4, double quantization; " +
                                    "quantization_type/double_quantization in extra), 8 in int8 per row, while LoRA trains; 0 = off (quantization_bit).", Minimum = 0)]
    [Option("quantization_bit", "QLoRA: hold the base model's decoder projections in 4 bits (bitsandbytes NF4/FP4) or 8 bits (int8 per " +
                                "row with its absmax, bitsandbytes' LLM.int8() weight format without outlier decomposition) while LoRA " +
                                "adapters train (finetuning lora); 4, 8, or 0 = off. A bitsandbytes 4-bit or 8-bit checkpoint loads so either way.")]
    public int QuantizationBit { get; set; }

    [Option("quantization_type", "With quantization_bit 4: the 4-bit code, nf4 (normal float) or fp4.")]
    public string QuantizationType { get; set; } = "nf4";

    [Option("double_quantization", "With quantization_bit 4: quantize the per-block absmax values too (8-bit, blocks of 256).")]
    public bool DoubleQuantization { get; set; } = true;

    /// <summary>The quantization asked for, or null when quantization_bit is 0 (type and double quantization are 4-bit settings).</summary>
    public Models.Quantization.QuantizationOptions? Quantization() => QuantizationBit switch
    {
        0 => null,
        8 => new() { Bits = 8 },
        _ => new() { Bits = QuantizationBit, QuantType = QuantizationType, DoubleQuant = DoubleQuantization },
    };

    [StageInput("gradientCheckpointing", "Recompute each decoder layer in backward instead of keeping its activations: less memory, " +
                                          "one more forward pass of the layers per step, the same gradients (gradient_checkpointing).")]
    [Option("gradient_checkpointing", "Gradient checkpointing (transformers' and LLaMA-Factory's gradient_checkpointing): while training, each " +
                                      "decoder layer keeps only its input for backward and is run again there (dropout drawing the same masks), " +
                                      "so one layer's activations are resident at a time instead of every layer's, for about one more forward " +
                                      "pass of the layers per step. The gradients are the same. Any finetuning but prefix_tuning (its keys and " +
                                      "values sit in a cache the rerun would write twice).")]
    public bool GradientCheckpointing { get; set; }

    [Option("gradient_checkpointing_layers", "With gradient_checkpointing: checkpoint only the first N decoder layers (Megatron-LM's " +
                                             "recompute_method block, recompute_num_layers N); the others keep their activations and are " +
                                             "not run again, trading memory for speed. 0 (default) checkpoints every layer.")]
    public int GradientCheckpointingLayers { get; set; }

    [Option("freeze_trainable_layers", "With finetuning freeze: how many of the last decoder layers are trained.")]
    public int FreezeTrainableLayers { get; set; } = 2;

    [Option("freeze_train_embeddings", "With finetuning freeze: also train the token embedding.")]
    public bool FreezeTrainEmbeddings { get; set; }

    [Option("freeze_train_head", "With finetuning freeze: also train the output head (lm_head, score or v_head).")]
    public bool FreezeTrainHead { get; set; } = true;

    [StageInput("useGalore", "GaLore low-rank gradient projection with finetuning full (use_galore; galore_* in extra).")]
    [Option("use_galore", "GaLore (finetuning full): Adam's moments of each targeted 2-D weight live in a rank-galore_rank projection of " +
                          "its gradient, refreshed every galore_update_interval steps from the gradient's SVD (LLaMA-Factory's use_galore).")]
    public bool UseGalore { get; set; }

    [Option("galore_target", "With use_galore: comma-separated leaf names of the linear layers whose weights are projected " +
                             "(q_proj,...), or all (every linear layer of the decoder layers); other parameters get the same Adam step unprojected.")]
    public string GaloreTarget { get; set; } = "all";

    [Option("galore_rank", "With use_galore: rank of the projected gradient (at most the weight's smaller side).")]
    public int GaloreRank { get; set; } = 16;

    [Option("galore_update_interval", "With use_galore: steps between recomputing the projection (GaLore's update_proj_gap).")]
    public int GaloreUpdateInterval { get; set; } = 200;

    [Option("galore_scale", "With use_galore: factor on the projected-back update (GaLore's scale).")]
    public double GaloreScale { get; set; } = 2.0;

    [Option("galore_layerwise", "LLaMA-Factory's per-layer GaLore (an optimizer step per parameter during backward): not supported, true is refused.")]
    public bool GaloreLayerwise { get; set; }

    [Option("galore_proj_type", "With use_galore: std (project the smaller side), reverse_std (the larger side), left (U_r) or right (V_r).")]
    public string GaloreProjType { get; set; } = "std";

    [StageInput("qatBits", "Quantization-aware training: 8 or 4 bits per output channel, 0 = off (qat_bits; needs eval data).", Minimum = 0)]
    [Option("qat_bits", "Quantization-aware training: 8 or 4 fake-quantizes every decoder-layer linear weight per output channel, " +
                        "symmetric (scale = max|w_row| / (2^(bits-1) − 1)), with a straight-through gradient; the output also holds " +
                        "quantized.safetensors (int8 values + float32 scales) and the report the quantized model's eval loss vs the float one's. 0 = off.")]
    public int QatBits { get; set; }

    [Option("qat_activations", "With qat_bits: also fake-quantize each linear layer's input to int8, per tensor, symmetric, dynamic.")]
    public bool QatActivations { get; set; }

    [Option("dtype", "Compute dtype: float32, bfloat16 or float64.")]
    public string Dtype { get; set; } = "float32";

    [Option("resume_from", "Continue from a checkpoint folder (checkpoints/step-N) or 'latest' (the newest in the output folder). " +
                           "Settings that change the training math must match the checkpoint's.")]
    public string? ResumeFrom { get; set; }

    [Option("allow_world_size_change", "Resume a data-parallel checkpoint with another number of processes: the interrupted epoch " +
                                       "finishes with the checkpoint's global batches, sharded over the new processes; later epochs use the new global batch.")]
    public bool AllowWorldSizeChange { get; set; }

    /// <summary>Option keys that do not change what is computed: they may differ on resume.</summary>
    public static readonly IReadOnlySet<string> NonMathKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "eval_data", "logging_steps", "save_steps", "save_fraction", "save_total_limit", "eval_steps", "resume_from",
        "allow_world_size_change",
    };

    /// <summary>Checks values that every stage needs; throws <see cref="ConfigException"/> naming the key.</summary>
    public virtual void Validate()
    {
        if (string.IsNullOrWhiteSpace(Model)) throw new ConfigException("option 'model' is required: a Hugging Face model folder");
        if (string.IsNullOrWhiteSpace(Data)) throw new ConfigException("option 'data' is required: a JSONL data file");
        Positive("max_length", MaxLength, 2);
        Positive("batch_size", BatchSize, 1);
        Positive("gradient_accumulation_steps", GradientAccumulationSteps, 1);
        Positive("logging_steps", LoggingSteps, 1);
        if (Epochs < 1 && MaxSteps <= 0) throw new ConfigException("option 'epochs' must be at least 1 (or set max_steps)");
        if (MaxSteps < 0) throw new ConfigException($"option 'max_steps' must be 0 or positive, got {MaxSteps}");
        if (!(LearningRate >= 0)) throw new ConfigException($"option 'learning_rate' must be >= 0, got {LearningRate}");
        if (!(WarmupRatio >= 0 && WarmupRatio < 1)) throw new ConfigException($"option 'warmup_ratio' must be in [0, 1), got {WarmupRatio}");
        if (!(MaxGradNorm >= 0)) throw new ConfigException($"option 'max_grad_norm' must be >= 0, got {MaxGradNorm}");
        if (!(WeightDecay >= 0)) throw new ConfigException($"option 'weight_decay' must be >= 0, got {WeightDecay}");
        // AdamW's moment estimates need 0 <= beta < 1 (PyTorch refuses other values the same way).
        if (!(AdamBeta1 >= 0 && AdamBeta1 < 1)) throw new ConfigException($"option 'adam_beta1' must be in [0, 1), got {AdamBeta1}");
        if (!(AdamBeta2 >= 0 && AdamBeta2 < 1)) throw new ConfigException($"option 'adam_beta2' must be in [0, 1), got {AdamBeta2}");
        if (Finetuning == FinetuningType.Lora)
        {
            Positive("lora_r", LoraR, 1);
            if (!(LoraAlpha > 0)) throw new ConfigException($"option 'lora_alpha' must be > 0, got {LoraAlpha}");
            if (!(LoraDropout >= 0 && LoraDropout < 1)) throw new ConfigException($"option 'lora_dropout' must be in [0, 1), got {LoraDropout}");
        }
        if (Finetuning.IsPromptLearning()) Positive("num_virtual_tokens", NumVirtualTokens, 1);
        if (EncoderHiddenSize < 0) throw new ConfigException($"option 'encoder_hidden_size' must be 0 (token_dim) or positive, got {EncoderHiddenSize}");
        if (Finetuning == FinetuningType.PTuning)
        {
            if (PTuningEncoder is not ("mlp" or "lstm")) throw new ConfigException($"option 'p_tuning_encoder' is '{PTuningEncoder}'; use mlp or lstm");
            Positive("p_tuning_encoder_layers", PTuningEncoderLayers, 1);
            if (!(PTuningEncoderDropout >= 0 && PTuningEncoderDropout < 1))
                throw new ConfigException($"option 'p_tuning_encoder_dropout' must be in [0, 1), got {PTuningEncoderDropout}");
        }
        if (Finetuning == FinetuningType.Bottleneck)
        {
            if (AdapterConfig is not ("houlsby" or "pfeiffer")) throw new ConfigException($"option 'adapter_config' is '{AdapterConfig}'; use houlsby or pfeiffer");
            Positive("adapter_reduction_factor", AdapterReductionFactor, 1);
            if (AdapterNonLinearity is not ("" or "relu" or "swish" or "gelu" or "tanh"))
                throw new ConfigException($"option 'adapter_non_linearity' is '{AdapterNonLinearity}'; use relu, swish, gelu or tanh (or leave it empty)");
        }
        if (Finetuning != FinetuningType.PromptTuning && PromptTuningInitText.Length > 0)
            throw new ConfigException("option 'prompt_tuning_init_text' only applies with finetuning prompt_tuning");
        if (Finetuning != FinetuningType.PrefixTuning && PrefixProjection)
            throw new ConfigException("option 'prefix_projection' only applies with finetuning prefix_tuning");
        if (Finetuning == FinetuningType.Lora)
        {
            try { Models.Core.LoraLinear.ParseInit(InitLoraWeights); }
            catch (Models.ModelException e) { throw new ConfigException($"option 'init_lora_weights': {e.Message}"); }
            if (UseDora && new Models.Lora.LoraConfig().WithInit(InitLoraWeights).MutatesBase)
                throw new ConfigException($"options 'use_dora' and 'init_lora_weights' {InitLoraWeights}: DoRA with PiSSA/OLoRA is not supported (no conversion to a plain LoRA exists for the magnitude)");
        }
        else if (UseDora || UseRslora || InitLoraWeights != "true")
            throw new ConfigException("options 'use_dora', 'use_rslora' and 'init_lora_weights' apply to finetuning lora only");
        if (UseGalore)
        {
            if (Finetuning != FinetuningType.Full) throw new ConfigException("option 'use_galore' needs finetuning full (GaLore projects full-weight gradients)");
            Positive("galore_rank", GaloreRank, 1);
            Positive("galore_update_interval", GaloreUpdateInterval, 1);
            if (!(GaloreScale > 0)) throw new ConfigException($"option 'galore_scale' must be > 0, got {GaloreScale}");
            if (GaloreProjType is not ("std" or "reverse_std" or "left" or "right"))
                throw new ConfigException($"option 'galore_proj_type' is '{GaloreProjType}'; use std, reverse_std, left or right");
        }
        if (GaloreLayerwise)
            throw new ConfigException("option 'galore_layerwise' is not supported: it steps each parameter's optimizer inside backward (a hook " +
                                      "per gradient, LLaMA-Factory's layer-wise GaLore), which the native bridge does not expose; use use_galore " +
                                      "without it (the optimizer state is low-rank either way; the full gradients exist for one step)");
        if (QatBits is not (0 or 4 or 8)) throw new ConfigException($"option 'qat_bits' must be 0 (off), 4 or 8, got {QatBits}");
        if (QatActivations && QatBits == 0) throw new ConfigException("option 'qat_activations' needs qat_bits 4 or 8");
        if (QatBits != 0 && string.IsNullOrWhiteSpace(EvalData))
            throw new ConfigException("option 'qat_bits' needs eval_data: the report compares the quantized model's eval loss with the float model's");
        if (QatBits != 0 && Finetuning.IsAdapter())
            throw new ConfigException("option 'qat_bits' needs finetuning full or freeze (the quantized weights are the trained ones; a frozen LoRA base would be exported unchanged)");
        if (QuantizationBit != 0)
        {
            if (QuantizationBit is not (4 or 8))
                throw new ConfigException($"option 'quantization_bit' is {QuantizationBit}; use 4 (NF4/FP4 base weights), 8 (int8 per row) or 0 (off)");
            if (QuantizationType is not ("nf4" or "fp4"))
                throw new ConfigException($"option 'quantization_type' is '{QuantizationType}'; use nf4 or fp4");
            if (Finetuning != FinetuningType.Lora)
                throw new ConfigException($"option 'quantization_bit' {QuantizationBit} freezes the base weights in {QuantizationBit} bits, so only adapters can train: " +
                                          $"use finetuning lora (QLoRA), not {OptionInfo.ToSnake(Finetuning.ToString())}");
            if (UseDora)
                throw new ConfigException($"options 'quantization_bit' {QuantizationBit} and 'use_dora': DoRA on a quantized layer is not supported (its column norm needs the float weight)");
            if (Dtype == "float64")
                throw new ConfigException($"option 'quantization_bit' {QuantizationBit} computes in float32 or bfloat16 (option 'dtype'), not float64");
        }
        if (GradientCheckpointingLayers < 0)
            throw new ConfigException($"option 'gradient_checkpointing_layers' must be 0 (every layer) or a positive count, got {GradientCheckpointingLayers}");
        if (GradientCheckpointingLayers > 0 && !GradientCheckpointing)
            throw new ConfigException("option 'gradient_checkpointing_layers' needs 'gradient_checkpointing': true");
        if (GradientCheckpointing && Finetuning == FinetuningType.PrefixTuning)
            throw new ConfigException("options 'gradient_checkpointing' and 'finetuning' prefix_tuning: prefix tuning's keys and values are put " +
                                      "into each layer's attention cache, which a recomputed layer would write again; use it without " +
                                      "gradient_checkpointing, or prompt_tuning / p_tuning");
        if (SaveSteps < 0 || EvalSteps < 0 || SaveTotalLimit < 0)
            throw new ConfigException("options 'save_steps', 'eval_steps' and 'save_total_limit' must be 0 or positive");
        if (!(SaveFraction >= 0 && SaveFraction <= 1)) throw new ConfigException($"option 'save_fraction' must be in [0, 1], got {SaveFraction}");
        if (!Torch.torch.optim.lr_scheduler.scheduler_names.Contains(LrScheduler.Trim().ToLowerInvariant()))
            throw new ConfigException($"option 'lr_scheduler' is '{LrScheduler}'; use constant, linear or cosine");
        if (Dtype is not ("float32" or "bfloat16" or "float64"))
            throw new ConfigException($"option 'dtype' is '{Dtype}'; use float32, bfloat16 or float64");
    }

    protected static void Positive(string key, int value, int min)
    {
        if (value < min) throw new ConfigException($"option '{key}' must be at least {min}, got {value}");
    }
}
