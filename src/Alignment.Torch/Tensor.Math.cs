using Alignment.Torch.Native;

namespace Alignment.Torch;

// Elementwise arithmetic and comparisons (broadcasting as in PyTorch).
public partial class Tensor
{
    // The numbers of native/op_codes.h (the bridge's op table); OpCodeTests checks both sides agree through atg_op_name.
    internal enum UnaryOp
    {
        Neg = 0, Exp = 1, Log = 2, Sqrt = 3, Rsqrt = 4, Tanh = 5, Sigmoid = 6, Silu = 7, Gelu = 8, GeluTanh = 9,
        LogSigmoid = 10, Abs = 11, Relu = 12, Sin = 13, Cos = 14, Log1p = 15, Expm1 = 16, Sign = 17, Floor = 18,
        Ceil = 19, Round = 20, LogicalNot = 21, Reciprocal = 22, Square = 23, IsNan = 24, IsInf = 25,
    }

    internal enum BinaryOp
    {
        Add = 0, Sub = 1, Mul = 2, Div = 3, Pow = 4, Eq = 5, Ne = 6, Lt = 7, Le = 8, Gt = 9, Ge = 10, Maximum = 11,
        Minimum = 12, LogicalAnd = 13, LogicalOr = 14, Remainder = 15, FloorDivide = 16, RSub = 100, RDiv = 101, RPow = 102,
    }

    internal Tensor Unary(UnaryOp op) => Wrap(NativeMethods.atg_tensor_unary(Handle, (int)op));

    internal Tensor Binary(Tensor other, BinaryOp op) => Wrap(NativeMethods.atg_tensor_binary(Handle, other.Handle, (int)op));

    internal Tensor Binary(double other, BinaryOp op) => Wrap(NativeMethods.atg_tensor_binary_scalar(Handle, other, (int)op));

    internal Tensor BinaryInPlace(Tensor other, BinaryOp op)
    {
        NativeError.Check(NativeMethods.atg_tensor_binary_(Handle, other.Handle, (int)op));
        return this;
    }

    internal Tensor BinaryInPlace(double other, BinaryOp op)
    {
        NativeError.Check(NativeMethods.atg_tensor_binary_scalar_(Handle, other, (int)op));
        return this;
    }

    public Tensor neg() => Unary(UnaryOp.Neg);
    public Tensor exp() => Unary(UnaryOp.Exp);
    public Tensor log() => Unary(UnaryOp.Log);
    public Tensor sqrt() => Unary(UnaryOp.Sqrt);
    public Tensor rsqrt() => Unary(UnaryOp.Rsqrt);
    public Tensor tanh() => Unary(UnaryOp.Tanh);
    public Tensor sigmoid() => Unary(UnaryOp.Sigmoid);
    public Tensor silu() => Unary(UnaryOp.Silu);
    /// <summary>GELU; approximate "tanh" selects the tanh approximation (HF's gelu_pytorch_tanh).</summary>
    public Tensor gelu(string approximate = "none") => approximate switch
    {
        "none" => Unary(UnaryOp.Gelu),
        "tanh" => Unary(UnaryOp.GeluTanh),
        _ => throw new TorchException($"gelu approximate must be 'none' or 'tanh', not '{approximate}'"),
    };
    public Tensor logsigmoid() => Unary(UnaryOp.LogSigmoid);
    public Tensor abs() => Unary(UnaryOp.Abs);
    public Tensor relu() => Unary(UnaryOp.Relu);
    public Tensor sin() => Unary(UnaryOp.Sin);
    public Tensor cos() => Unary(UnaryOp.Cos);
    public Tensor log1p() => Unary(UnaryOp.Log1p);
    public Tensor expm1() => Unary(UnaryOp.Expm1);
    public Tensor sign() => Unary(UnaryOp.Sign);
    public Tensor floor() => Unary(UnaryOp.Floor);
    public Tensor ceil() => Unary(UnaryOp.Ceil);
    public Tensor round() => Unary(UnaryOp.Round);
    public Tensor logical_not() => Unary(UnaryOp.LogicalNot);
    public Tensor reciprocal() => Unary(UnaryOp.Reciprocal);
    public Tensor square() => Unary(UnaryOp.Square);
    public Tensor isnan() => Unary(UnaryOp.IsNan);
    public Tensor isinf() => Unary(UnaryOp.IsInf);

    public Tensor softplus(double beta = 1, double threshold = 20) => Wrap(NativeMethods.atg_tensor_softplus(Handle, beta, threshold));

    public Tensor add(Tensor other) => Binary(other, BinaryOp.Add);
    public Tensor add(Tensor other, double alpha) => Wrap(NativeMethods.atg_tensor_add_scaled(Handle, other.Handle, alpha));
    public Tensor add(double other) => Binary(other, BinaryOp.Add);
    public Tensor sub(Tensor other) => Binary(other, BinaryOp.Sub);
    public Tensor sub(double other) => Binary(other, BinaryOp.Sub);
    public Tensor mul(Tensor other) => Binary(other, BinaryOp.Mul);
    public Tensor mul(double other) => Binary(other, BinaryOp.Mul);
    public Tensor div(Tensor other) => Binary(other, BinaryOp.Div);
    public Tensor div(double other) => Binary(other, BinaryOp.Div);
    public Tensor pow(Tensor exponent) => Binary(exponent, BinaryOp.Pow);
    public Tensor pow(double exponent) => Binary(exponent, BinaryOp.Pow);
    public Tensor remainder(Tensor other) => Binary(other, BinaryOp.Remainder);
    public Tensor remainder(double other) => Binary(other, BinaryOp.Remainder);
    public Tensor floor_divide(Tensor other) => Binary(other, BinaryOp.FloorDivide);
    public Tensor floor_divide(double other) => Binary(other, BinaryOp.FloorDivide);
    public Tensor maximum(Tensor other) => Binary(other, BinaryOp.Maximum);
    public Tensor minimum(Tensor other) => Binary(other, BinaryOp.Minimum);

    public Tensor eq(Tensor other) => Binary(other, BinaryOp.Eq);
    public Tensor eq(double other) => Binary(other, BinaryOp.Eq);
    public Tensor ne(Tensor other) => Binary(other, BinaryOp.Ne);
    public Tensor ne(double other) => Binary(other, BinaryOp.Ne);
    public Tensor lt(Tensor other) => Binary(other, BinaryOp.Lt);
    public Tensor lt(double other) => Binary(other, BinaryOp.Lt);
    public Tensor le(Tensor other) => Binary(other, BinaryOp.Le);
    public Tensor le(double other) => Binary(other, BinaryOp.Le);
    public Tensor gt(Tensor other) => Binary(other, BinaryOp.Gt);
    public Tensor gt(double other) => Binary(other, BinaryOp.Gt);
    public Tensor ge(Tensor other) => Binary(other, BinaryOp.Ge);
    public Tensor ge(double other) => Binary(other, BinaryOp.Ge);
    public Tensor logical_and(Tensor other) => Binary(other, BinaryOp.LogicalAnd);
    public Tensor logical_or(Tensor other) => Binary(other, BinaryOp.LogicalOr);

    // In place (trailing underscore, as in PyTorch).
    public Tensor add_(Tensor other) => BinaryInPlace(other, BinaryOp.Add);
    public Tensor add_(Tensor other, double alpha)
    {
        NativeError.Check(NativeMethods.atg_tensor_add_scaled_(Handle, other.Handle, alpha));
        return this;
    }
    public Tensor add_(double other) => BinaryInPlace(other, BinaryOp.Add);
    public Tensor sub_(Tensor other) => BinaryInPlace(other, BinaryOp.Sub);
    public Tensor sub_(double other) => BinaryInPlace(other, BinaryOp.Sub);
    public Tensor mul_(Tensor other) => BinaryInPlace(other, BinaryOp.Mul);
    public Tensor mul_(double other) => BinaryInPlace(other, BinaryOp.Mul);
    public Tensor div_(Tensor other) => BinaryInPlace(other, BinaryOp.Div);
    public Tensor div_(double other) => BinaryInPlace(other, BinaryOp.Div);
    public Tensor pow_(double exponent) => BinaryInPlace(exponent, BinaryOp.Pow);
    public Tensor clamp_min_(double min) => BinaryInPlace(min, BinaryOp.Maximum);
    public Tensor clamp_max_(double max) => BinaryInPlace(max, BinaryOp.Minimum);

    /// <summary>Clamps to [min, max]; either bound may be omitted.</summary>
    public Tensor clamp(double? min = null, double? max = null) =>
        Wrap(NativeMethods.atg_tensor_clamp(Handle, min ?? 0, min.HasValue ? 1 : 0, max ?? 0, max.HasValue ? 1 : 0));

    public Tensor clamp_min(double min) => clamp(min: min);
    public Tensor clamp_max(double max) => clamp(max: max);

    /// <summary>Fills positions where mask is true with value.</summary>
    public Tensor masked_fill(Tensor mask, double value) => Wrap(NativeMethods.atg_tensor_masked_fill(Handle, mask.Handle, value));

    public Tensor masked_fill_(Tensor mask, double value)
    {
        NativeError.Check(NativeMethods.atg_tensor_masked_fill_(Handle, mask.Handle, value));
        return this;
    }

    /// <summary>Lower triangle (elements above the given diagonal set to zero).</summary>
    public Tensor tril(long diagonal = 0) => Wrap(NativeMethods.atg_tensor_tril(Handle, diagonal));

    /// <summary>Upper triangle (elements below the given diagonal set to zero).</summary>
    public Tensor triu(long diagonal = 0) => Wrap(NativeMethods.atg_tensor_triu(Handle, diagonal));

    public Tensor matmul(Tensor other) => Wrap(NativeMethods.atg_tensor_matmul(Handle, other.Handle));
    public Tensor mm(Tensor other) => Wrap(NativeMethods.atg_tensor_mm(Handle, other.Handle));
    public Tensor bmm(Tensor other) => Wrap(NativeMethods.atg_tensor_bmm(Handle, other.Handle));

    public static Tensor operator +(Tensor a, Tensor b) => a.add(b);
    public static Tensor operator +(Tensor a, double b) => a.add(b);
    public static Tensor operator +(double a, Tensor b) => b.add(a);
    public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);
    public static Tensor operator -(Tensor a, double b) => a.sub(b);
    public static Tensor operator -(double a, Tensor b) => b.Binary(a, BinaryOp.RSub);
    public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);
    public static Tensor operator *(Tensor a, double b) => a.mul(b);
    public static Tensor operator *(double a, Tensor b) => b.mul(a);
    public static Tensor operator /(Tensor a, Tensor b) => a.div(b);
    public static Tensor operator /(Tensor a, double b) => a.div(b);
    public static Tensor operator /(double a, Tensor b) => b.Binary(a, BinaryOp.RDiv);
    public static Tensor operator %(Tensor a, Tensor b) => a.remainder(b);
    public static Tensor operator %(Tensor a, double b) => a.remainder(b);
    public static Tensor operator -(Tensor a) => a.neg();
    public static Tensor operator <(Tensor a, Tensor b) => a.lt(b);
    public static Tensor operator >(Tensor a, Tensor b) => a.gt(b);
    public static Tensor operator <=(Tensor a, Tensor b) => a.le(b);
    public static Tensor operator >=(Tensor a, Tensor b) => a.ge(b);
    public static Tensor operator <(Tensor a, double b) => a.lt(b);
    public static Tensor operator >(Tensor a, double b) => a.gt(b);
    public static Tensor operator <=(Tensor a, double b) => a.le(b);
    public static Tensor operator >=(Tensor a, double b) => a.ge(b);
    public static Tensor operator &(Tensor a, Tensor b) => a.logical_and(b);
    public static Tensor operator |(Tensor a, Tensor b) => a.logical_or(b);
    public static Tensor operator !(Tensor a) => a.logical_not();
}
