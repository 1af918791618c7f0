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

    [Option("template", "Chat template name (chatml, qwen, qwen3, llama3, llama2, mistral, alpaca, plain); empty = recognized from " +
                        "tokenizer_config.json. 'plain' is ids(prompt) + ids(completion) + [eos], loss on completion and eos.")]
    public string? Template { get; set; }

    [Option("max_length", "Most tokens per sequence (prompt + answer); longer examples keep the prompt's end and the answer's start.")]
    public int MaxLength { get; set; } = 512;

    [Option("batch_size", "Sequences (pairs for rm/dpo) per micro-batch.")]
    public int BatchSize { get; set; } = 8;

    [Option("gradient_accumulation_steps", "Micro-batches per optimizer step; the loss is normalized over the whole accumulated batch " +
                                           "(by tokens for sft, by examples otherwise), so k × b equals one batch of k·b.")]
    public int GradientAccumulationSteps { get; set; } = 1;

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

    [Option("epochs", "Passes over the training data (ignored when max_steps > 0).")]
    public int Epochs { get; set; } = 1;

    [Option("max_steps", "Optimizer steps to run; 0 = epochs × steps per epoch.")]
    public int MaxSteps { get; set; }

    [Option("seed", "Seed of the data order, of new weights (LoRA, heads) and of dropout.")]
    public ulong Seed { get; set; } = 42;

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

    [Option("finetuning", "What is trained: full, lora or freeze.")]
    public FinetuningType Finetuning { get; set; } = FinetuningType.Full;

    [Option("lora_r", "LoRA rank.")]
    public int LoraR { get; set; } = 8;

    [Option("lora_alpha", "LoRA alpha (the update is scaled by alpha / r).")]
    public double LoraAlpha { get; set; } = 16;

    [Option("lora_dropout", "Dropout on the LoRA input while training.")]
    public double LoraDropout { get; set; } = 0.05;

    [Option("lora_target", "Comma-separated leaf names of the layers that get adapters (q_proj,v_proj,...) or all-linear.")]
    public string LoraTarget { get; set; } = "all-linear";

    [Option("quantization_bit", "QLoRA: hold the base model's decoder projections in 4 bits (bitsandbytes NF4/FP4) while LoRA " +
                                "adapters train (finetuning lora); 4, or 0 = off. A bitsandbytes 4-bit checkpoint loads 4-bit either way.")]
    public int QuantizationBit { get; set; }

    [Option("quantization_type", "With quantization_bit 4: the 4-bit code, nf4 (normal float) or fp4.")]
    public string QuantizationType { get; set; } = "nf4";

    [Option("double_quantization", "With quantization_bit 4: quantize the per-block absmax values too (8-bit, blocks of 256).")]
    public bool DoubleQuantization { get; set; } = true;

    /// <summary>The 4-bit settings asked for, or null when quantization_bit is 0.</summary>
    public Models.Quantization.QuantizationOptions? Quantization() => QuantizationBit == 0 ? null
        : new() { Bits = QuantizationBit, QuantType = QuantizationType, DoubleQuant = DoubleQuantization };

    [Option("freeze_trainable_layers", "With finetuning freeze: how many of the last decoder layers are trained.")]
    public int FreezeTrainableLayers { get; set; } = 2;

    [Option("freeze_train_embeddings", "With finetuning freeze: also train the token embedding.")]
    public bool FreezeTrainEmbeddings { get; set; }

    [Option("freeze_train_head", "With finetuning freeze: also train the output head (lm_head, score or v_head).")]
    public bool FreezeTrainHead { get; set; } = true;

    [Option("dtype", "Compute dtype: float32, bfloat16 or float64.")]
    public string Dtype { get; set; } = "float32";

    [Option("resume_from", "Continue from a checkpoint folder (checkpoints/step-N) or 'latest' (the newest in the output folder). " +
                           "Settings that change the training math must match the checkpoint's.")]
    public string? ResumeFrom { get; set; }

    /// <summary>Option keys that do not change what is computed: they may differ on resume.</summary>
    public static readonly IReadOnlySet<string> NonMathKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "eval_data", "logging_steps", "save_steps", "save_fraction", "save_total_limit", "eval_steps", "resume_from",
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
        if (QuantizationBit != 0)
        {
            if (QuantizationBit != 4)
                throw new ConfigException($"option 'quantization_bit' is {QuantizationBit}; use 4 (NF4/FP4 base weights) or 0 (off)");
            if (QuantizationType is not ("nf4" or "fp4"))
                throw new ConfigException($"option 'quantization_type' is '{QuantizationType}'; use nf4 or fp4");
            if (Finetuning != FinetuningType.Lora)
                throw new ConfigException($"option 'quantization_bit' 4 freezes the base weights in 4 bits, so only adapters can train: " +
                                          $"use finetuning lora (QLoRA), not {OptionInfo.ToSnake(Finetuning.ToString())}");
            if (Dtype == "float64")
                throw new ConfigException("option 'quantization_bit' 4 computes in float32 or bfloat16 (option 'dtype'), not float64");
        }
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
