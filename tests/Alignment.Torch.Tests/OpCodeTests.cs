using System.Runtime.InteropServices;
using Alignment.Torch.Native;

namespace Alignment.Torch.Tests;

// The bridge's op table (native/op_codes.h) and the C# enums of Tensor.Math.cs must give every code the same meaning:
// the compiled bridge names each code (atg_op_name), and the C# enum member of that number must carry that name.
public class OpCodeTests
{
    private const int Unary = 0, Binary = 1;

    private static string? NativeName(int kind, int code) => Marshal.PtrToStringUTF8(NativeMethods.atg_op_name(kind, code));

    // GELU_TANH and GeluTanh, LOGSIGMOID and LogSigmoid name the same op.
    private static string Normalize(string name) => name.Replace("_", "", StringComparison.Ordinal).ToUpperInvariant();

    public static TheoryData<int, Type> Kinds => new() { { Unary, typeof(Tensor.UnaryOp) }, { Binary, typeof(Tensor.BinaryOp) } };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_csharp_code_names_the_same_native_op(int kind, Type codes)
    {
        foreach (var value in Enum.GetValues(codes))
        {
            int code = Convert.ToInt32(value);
            string csharp = Enum.GetName(codes, value)!;
            Assert.True(NativeName(kind, code) is { } native && Normalize(native) == Normalize(csharp),
                $"{codes.Name}.{csharp} = {code}, but the bridge's code {code} is {NativeName(kind, code) ?? "unknown"}");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_native_code_has_a_csharp_member(int kind, Type codes)
    {
        var csharp = Enum.GetValues(codes).Cast<object>().Select(Convert.ToInt32).ToHashSet();
        for (int code = 0; code < 256; code++)
        {
            if (NativeName(kind, code) is { } native)
                Assert.True(csharp.Contains(code), $"the bridge's {native} = {code} has no member in {codes.Name}");
        }
    }

    [Fact]
    public void Unknown_codes_have_no_name()
    {
        Assert.Null(NativeName(Unary, 26));
        Assert.Null(NativeName(Binary, 17));
        Assert.Null(NativeName(2, 0));
    }

    [Fact]
    public void Scaled_add_returns_a_new_tensor_and_in_place_changes_the_receiver()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3 });
        var b = tensor(new float[] { 10, 20, 30 });
        Assert.Equal(new float[] { -4, -8, -12 }, a.add(b, -0.5).data<float>().ToArray());   // 1 - 0.5·10 ...
        Assert.Equal(new float[] { 1, 2, 3 }, a.data<float>().ToArray());
        var same = a.add_(b, 2);
        Assert.Same(a, same);
        Assert.Equal(new float[] { 21, 42, 63 }, a.data<float>().ToArray());
        var e = Assert.Throws<TorchException>(() => a.add_(ones(2), 1));
        Assert.Contains("size", e.Message);
        Assert.Equal(new float[] { 21, 42, 63 }, a.data<float>().ToArray());
    }
}
