using Alignment.Models.Llama;
using Alignment.Tokenizers;
using Alignment.Tokenizers.Chat;
using Alignment.Training.Config;

namespace Alignment.Training.Runtime;

/// <summary>
/// What every trainer's Run opens before its own data and models: the run session (options validated, data file
/// checked, output folder and resume checkpoint, metrics.jsonl; <see cref="RunSession.Open"/>), the starting model's
/// config.json, its tokenizer and chat template, the pad id (<see cref="StageData.PadId"/>) and the progress sink
/// (<see cref="NoProgress"/> when none is given). Disposing it closes the session.
/// </summary>
public sealed class TrainerStart : IDisposable
{
    private TrainerStart(RunSession session, LlamaConfig config, Tokenizer tokenizer, ChatTemplate template, int pad, ITrainingProgress progress)
    {
        Session = session;
        Config = config;
        Tokenizer = tokenizer;
        Template = template;
        Pad = pad;
        Progress = progress;
    }

    /// <param name="dataParallel">Whether the trainer's loop runs data-parallel (see <see cref="RunSession.Open"/>).</param>
    /// <param name="reshards">Whether a resume may change the world size when allow_world_size_change is set (see <see cref="RunSession.Open"/>).</param>
    public static TrainerStart Open(string stage, CommonOptions options, string outputDir, ITrainingProgress? progress, bool dataParallel = false,
                                    bool reshards = false)
    {
        var session = RunSession.Open(stage, options, outputDir, dataParallel, reshards);
        try
        {
            var config = StageData.ModelConfig(options.Model!);
            var (tokenizer, template) = StageData.Tokenizer(options.Model!, options.Template);
            return new TrainerStart(session, config, tokenizer, template, StageData.PadId(tokenizer, config), progress ?? NoProgress.Instance);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public RunSession Session { get; }
    public LlamaConfig Config { get; }
    public Tokenizer Tokenizer { get; }
    public ChatTemplate Template { get; }
    public int Pad { get; }
    public ITrainingProgress Progress { get; }

    public void Deconstruct(out RunSession session, out LlamaConfig config, out Tokenizer tokenizer, out ChatTemplate template, out int pad,
                            out ITrainingProgress progress) =>
        (session, config, tokenizer, template, pad, progress) = (Session, Config, Tokenizer, Template, Pad, Progress);

    public void Dispose() => Session.Dispose();
}
