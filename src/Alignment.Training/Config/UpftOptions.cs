namespace Alignment.Training.Config;

/// <summary>
/// `align train upft`: unsupervised prefix fine-tuning (Ji et al. 2025, "The First Few Tokens Are All You Need"). The
/// current model answers each prompt of `{"prompt"}` rows; most answers are cut to their first prefix_length tokens and
/// the model is fine-tuned (SFT loss on the answer tokens) on prompt + prefix; a share full_answer_ratio of the prompts
/// keeps its whole sampled answer, so the model keeps its full answer structure. No labels are needed.
/// Defaults: prefix_length 8 (the paper's "as few as 8 tokens"), full_answer_ratio 0.1, and the prefix prompts get the
/// instruction of the authors' training script (scripts/train_sft.sh, ADD_PLANNING_PROMPT), so the model learns that
/// a cut answer was asked for; learning rate 2e-6 (the same script).
/// </summary>
public sealed class UpftOptions : CommonOptions
{
    public const string PlanningInstruction =
        " Please provide the initial step towards resolving the question. This step may serve as a foundation but might not encompass the entire solution.";

    public UpftOptions() => LearningRate = 2e-6;

    [StageInput("prefixLength", "Tokens kept of each sampled answer (prefix_length).", Minimum = 1)]
    [Option("prefix_length", "Tokens kept of each sampled answer (the prefix trained on).")]
    public int PrefixLength { get; set; } = 8;

    [StageInput("fullAnswerRatio", "Share of prompts trained on their whole sampled answer (full_answer_ratio).")]
    [Option("full_answer_ratio", "Share of the prompts whose whole sampled answer (up to max_new_tokens) is trained on instead of its prefix.")]
    public double FullAnswerRatio { get; set; } = 0.1;

    [Option("prefix_instruction", "Text appended to the prompt of every prefix example (not to full-answer ones); empty = none.")]
    public string PrefixInstruction { get; set; } = PlanningInstruction;

    [StageInput("maxNewTokens", "Most tokens of a whole sampled answer (max_new_tokens).", Minimum = 1)]
    [Option("max_new_tokens", "Most tokens sampled for a full-length answer.")]
    public int MaxNewTokens { get; set; } = 256;

    [Option("max_prompt_length", "Most prompt tokens, instruction included (longer prompts keep their end); with prefix_length at most max_length.")]
    public int MaxPromptLength { get; set; } = 256;

    [StageInput("temperature", "Sampling temperature of the answers (temperature).")]
    [Option("temperature", "Sampling temperature of the answers.")]
    public double Temperature { get; set; } = 0.7;

    [Option("top_p", "Nucleus sampling of the answers (1 = off).")]
    public double TopP { get; set; } = 1.0;

    public override void Validate()
    {
        base.Validate();
        Positive("prefix_length", PrefixLength, 1);
        Positive("max_new_tokens", MaxNewTokens, 1);
        Positive("max_prompt_length", MaxPromptLength, 1);
        if (MaxPromptLength + PrefixLength > MaxLength)
            throw new ConfigException($"options 'max_prompt_length' ({MaxPromptLength}) + 'prefix_length' ({PrefixLength}) exceed 'max_length' ({MaxLength}): " +
                                      "a prompt could leave no room for its prefix; raise max_length or lower max_prompt_length");
        if (!(FullAnswerRatio >= 0 && FullAnswerRatio <= 1)) throw new ConfigException($"option 'full_answer_ratio' must be in [0, 1], got {FullAnswerRatio}");
        if (!(Temperature > 0)) throw new ConfigException($"option 'temperature' must be positive, got {Temperature}");
        if (!(TopP > 0 && TopP <= 1)) throw new ConfigException($"option 'top_p' must be in (0, 1], got {TopP}");
    }
}
