using Alignment.Torch;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;
using F = Alignment.Torch.torch.nn.functional;

namespace Alignment.Models.Peft;

/// <summary>
/// torch.nn.LSTM(bidirectional=True) over one sequence, with PyTorch's parameter names and initialization:
/// <c>weight_ih_l{k}</c> (4h, in), <c>weight_hh_l{k}</c> (4h, h), <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c> (4h) and the
/// same with the suffix <c>_reverse</c>, all drawn U(±1/√h). Gates in PyTorch's order i, f, g, o:
/// <c>c' = σ(f)·c + σ(i)·tanh(g)</c>, <c>h' = σ(o)·tanh(c')</c>, from zero states; layer k+1 reads the concatenated
/// forward and backward outputs of layer k, with dropout between layers while training.
/// </summary>
internal sealed class BidirectionalLstm : Module
{
    private readonly int hidden, layers;
    private readonly double dropout;

    public BidirectionalLstm(int input, int hidden, int layers, double dropout, Generator generator, Device? device)
    {
        this.hidden = hidden;
        this.layers = layers;
        this.dropout = dropout;
        double bound = 1 / Math.Sqrt(hidden);
        for (int k = 0; k < layers; k++)
            foreach (string dir in new[] { "", "_reverse" })
            {
                int inSize = k == 0 ? input : 2 * hidden;
                Add($"weight_ih_l{k}{dir}", [4 * hidden, inSize]);
                Add($"weight_hh_l{k}{dir}", [4 * hidden, hidden]);
                Add($"bias_ih_l{k}{dir}", [4 * hidden]);
                Add($"bias_hh_l{k}{dir}", [4 * hidden]);
            }

        void Add(string name, long[] shape)
        {
            var p = new Parameter(empty(shape, float32, device));
            using (no_grad()) p.uniform_(-bound, bound, generator);
            register_parameter(name, p);
        }
    }

    /// <summary>x (T, in) → (T, 2h): each step's forward output, then its backward output.</summary>
    public Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        for (int k = 0; k < layers; k++)
        {
            if (k > 0 && dropout > 0) x = F.dropout(x, dropout, training);
            x = cat(new[] { Direction(x, k, ""), Direction(x, k, "_reverse") }, 1);
        }
        return x.MoveToOuterScope();
    }

    private Tensor Direction(Tensor x, int k, string dir)
    {
        var wih = own_parameter($"weight_ih_l{k}{dir}");
        var whh = own_parameter($"weight_hh_l{k}{dir}");
        var bih = own_parameter($"bias_ih_l{k}{dir}");
        var bhh = own_parameter($"bias_hh_l{k}{dir}");
        long steps = x.size(0);
        var pre = F.linear(x, wih, bih);                                     // (T, 4h): the input part of every step
        var h = zeros(new long[] { hidden }, x.dtype, x.device);
        var c = zeros(new long[] { hidden }, x.dtype, x.device);
        var outputs = new Tensor[steps];
        bool reverse = dir.Length > 0;
        for (long s = 0; s < steps; s++)
        {
            long t = reverse ? steps - 1 - s : s;
            var gates = pre.select(0, t).add(F.linear(h, whh, bhh));        // (4h)
            var parts = gates.split(hidden);
            c = parts[1].sigmoid().mul(c).add(parts[0].sigmoid().mul(parts[2].tanh()));
            h = parts[3].sigmoid().mul(c.tanh());
            outputs[t] = h;
        }
        return stack(outputs, 0);                                            // (T, h)
    }
}
