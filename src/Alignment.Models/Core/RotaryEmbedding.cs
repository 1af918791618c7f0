using Alignment.Models.Llama;
using Alignment.Torch;
using static Alignment.Torch.torch;

namespace Alignment.Models.Core;

/// <summary>
/// Rotary position embedding tables in Hugging Face's layout: <c>inv_freq[i] = 1 / theta^(2i/D)</c> (rescaled for
/// Llama 3.1 rope scaling), <c>angles = position ⊗ inv_freq</c>, <c>emb = cat(angles, angles)</c>, tables
/// <c>cos(emb)</c> and <c>sin(emb)</c> computed in float32 (as transformers does) and cast by the attention to the
/// activations' dtype. The frequencies live in C# memory, not in a buffer, so converting the model to bf16 cannot
/// round them.
/// </summary>
public sealed class RotaryEmbedding
{
    private readonly float[] invFreq;

    public RotaryEmbedding(int headDim, double theta, RopeScaling? scaling)
    {
        var freqs = InverseFrequencies(headDim, theta, scaling);
        invFreq = freqs.Select(f => (float)f).ToArray();
        Frequencies = freqs;
    }

    /// <summary>The D/2 inverse frequencies in double precision.</summary>
    public IReadOnlyList<double> Frequencies { get; }

    /// <summary><c>1 / theta^(2i/D)</c> for i &lt; D/2, then the scaling's transform (null or "default": none).</summary>
    public static double[] InverseFrequencies(int headDim, double theta, RopeScaling? scaling)
    {
        var f = new double[headDim / 2];
        for (int i = 0; i < f.Length; i++) f[i] = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
        return scaling is null || scaling.Kind == "default" ? f : scaling.Kind switch
        {
            "llama3" => Llama3(f, scaling),
            _ => throw new ModelException($"rope_type '{scaling.Kind}' is not implemented (supported: default, llama3)"),
        };
    }

    /// <summary>
    /// Llama 3.1's rescaling, as transformers' _compute_llama3_parameters: with wavelength λ = 2π/f,
    /// low = original_max_position_embeddings / low_freq_factor and high = original_max_position_embeddings / high_freq_factor,
    /// a frequency with λ &lt; high is kept, one with λ &gt; low is divided by factor, and one in between is blended:
    /// <c>(1 − s)·f/factor + s·f</c> with <c>s = (original_max_position_embeddings/λ − low_freq_factor) / (high_freq_factor − low_freq_factor)</c>.
    /// </summary>
    public static double[] Llama3(double[] invFreq, RopeScaling s)
    {
        double factor = s.Factor!.Value, lowFactor = s.LowFreqFactor!.Value, highFactor = s.HighFreqFactor!.Value;
        double oldLen = s.OriginalMaxPositionEmbeddings!.Value;
        double lowWavelen = oldLen / lowFactor, highWavelen = oldLen / highFactor;
        var result = new double[invFreq.Length];
        for (int i = 0; i < invFreq.Length; i++)
        {
            double f = invFreq[i], wavelen = 2 * Math.PI / f;
            if (wavelen < highWavelen) result[i] = f;
            else if (wavelen > lowWavelen) result[i] = f / factor;
            else
            {
                double smooth = (oldLen / wavelen - lowFactor) / (highFactor - lowFactor);
                result[i] = (1 - smooth) * f / factor + smooth * f;
            }
        }
        return result;
    }

    /// <summary>cos and sin tables for <paramref name="positions"/> (B, T) int64: each (B, 1, T, D) float32, ready for
    /// torch.nn.functional.apply_rotary. Created in the caller's dispose scope.</summary>
    public (Tensor cos, Tensor sin) Tables(Tensor positions)
    {
        using var scope = NewDisposeScope();
        var freq = tensor(invFreq, device: positions.device);                // (D/2)
        var angles = positions.to(float32).unsqueeze(-1).mul(freq);           // (B, T, D/2)
        var emb = cat(new[] { angles, angles }, -1).unsqueeze(1);             // (B, 1, T, D)
        return (emb.cos().MoveToOuterScope(), emb.sin().MoveToOuterScope());
    }
}
