namespace Alignment.Torch.Tests;

// Shape, indexing and joining operations against hand-worked results.
public class ShapeOpsTests
{
    private static Tensor Range(params long[] shape)
    {
        long n = 1;
        foreach (long s in shape) n *= s;
        return arange(0, n, 1, ScalarType.Float32).reshape(shape);
    }

    [Fact]
    public void View_permute_transpose_contiguous()
    {
        using var scope = NewDisposeScope();
        var x = Range(2, 3);                                   // [[0,1,2],[3,4,5]]
        var t = x.transpose(0, 1);                             // [[0,3],[1,4],[2,5]]
        Assert.False(t.is_contiguous());
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, t.data<float>());
        Assert.Throws<TorchException>(() => t.view(6));        // a view needs compatible strides
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, t.contiguous().view(6).data<float>());
        var p = Range(2, 3, 4).permute(2, 0, 1);
        Assert.Equal(new long[] { 4, 2, 3 }, p.shape);
        Assert.Equal(13f, p.select(0, 1).select(0, 1).select(0, 0).item<float>());   // x[1,0,1] = 12+1
        Assert.Equal(new long[] { 3, 2 }, x.reshape(-1, 2).shape);
        Assert.Equal(new long[] { 6 }, Range(2, 3).flatten().shape);
    }

    [Fact]
    public void Narrow_slice_squeeze_unsqueeze_expand()
    {
        using var scope = NewDisposeScope();
        var x = Range(4, 3);
        Assert.Equal(new float[] { 3, 4, 5, 6, 7, 8 }, x.narrow(0, 1, 2).data<float>());
        Assert.Equal(new float[] { 0, 2, 3, 5, 6, 8, 9, 11 }, x.slice(1, 0, 3, 2).data<float>());
        Assert.Equal(new float[] { 9, 10, 11 }, x.slice(0, 3, long.MaxValue).data<float>());
        var u = x.unsqueeze(1);
        Assert.Equal(new long[] { 4, 1, 3 }, u.shape);
        Assert.Equal(new long[] { 4, 3 }, u.squeeze(1).shape);
        Assert.Equal(new long[] { 4, 3 }, u.squeeze().shape);
        var col = tensor(new float[] { 1, 2 }, new long[] { 2, 1 });
        Assert.Equal(new float[] { 1, 1, 1, 2, 2, 2 }, col.expand(2, 3).data<float>());
        Assert.Equal(new float[] { 1, 2, 1, 2 }, col.repeat(2, 1).flatten().data<float>());
        Assert.Equal(new float[] { 2, 1 }, col.flip(0).flatten().data<float>());
    }

    [Fact]
    public void Index_select_gather_scatter()
    {
        using var scope = NewDisposeScope();
        var x = Range(3, 4);
        Assert.Equal(new float[] { 8, 9, 10, 11, 0, 1, 2, 3 }, x.index_select(0, tensor(new long[] { 2, 0 })).data<float>());
        // gather along dim 1: out[i][j] = x[i][idx[i][j]]
        var idx = tensor(new long[] { 3, 0, 1, 1, 2, 0 }, new long[] { 3, 2 });
        Assert.Equal(new float[] { 3, 0, 5, 5, 10, 8 }, x.gather(1, idx).data<float>());
        // scatter along dim 1: out[i][idx[i][j]] = src[i][j]
        var src = tensor(new float[] { 1, 2, 3, 4, 5, 6 }, new long[] { 3, 2 });
        var s = zeros(3, 4).scatter(1, idx, src);
        Assert.Equal(new float[] { 2, 0, 0, 1, 0, 4, 0, 0, 6, 0, 5, 0 }, s.data<float>());
        var sa = zeros(1, 3).scatter_add(1, tensor(new long[] { 0, 0, 2 }, new long[] { 1, 3 }), tensor(new float[] { 1, 2, 3 }, new long[] { 1, 3 }));
        Assert.Equal(new float[] { 3, 0, 3 }, sa.data<float>());
    }

    [Fact]
    public void Cat_stack_split_chunk()
    {
        using var scope = NewDisposeScope();
        var a = Range(2, 2);
        var b = Range(2, 2) + 10;
        Assert.Equal(new float[] { 0, 1, 10, 11, 2, 3, 12, 13 }, cat(new[] { a, b }, 1).data<float>());
        Assert.Equal(new long[] { 4, 2 }, cat(new[] { a, b }).shape);
        Assert.Equal(new long[] { 2, 2, 2 }, stack(new[] { a, b }).shape);
        Assert.Equal(new float[] { 0, 1, 10, 11, 2, 3, 12, 13 }, stack(new[] { a, b }, 1).flatten().data<float>());
        var parts = arange(0, 5, 1, ScalarType.Float32).split(2);
        Assert.Equal(3, parts.Length);
        Assert.Equal(new float[] { 4 }, parts[2].data<float>());
        var sized = arange(0, 5, 1, ScalarType.Float32).split(new long[] { 1, 4 });
        Assert.Equal(new float[] { 1, 2, 3, 4 }, sized[1].data<float>());
        var chunks = Range(6, 1).chunk(3);
        Assert.Equal(new float[] { 2, 3 }, chunks[1].flatten().data<float>());
    }

    [Fact]
    public void Tril_triu_masked_fill_where_repeat_interleave()
    {
        using var scope = NewDisposeScope();
        var m = ones(3, 3);
        Assert.Equal(new float[] { 1, 0, 0, 1, 1, 0, 1, 1, 1 }, m.tril().data<float>());
        Assert.Equal(new float[] { 0, 1, 1, 0, 0, 1, 0, 0, 0 }, m.triu(1).data<float>());
        var x = Range(2, 2);
        var mask = x > 1.5;
        Assert.Equal(new float[] { 0, 1, -1, -1 }, x.masked_fill(mask, -1).data<float>());
        Assert.Equal(new float[] { 0, 1, 20, 30 }, where(mask, x * 10, x).data<float>());
        Assert.Equal(new long[] { 1, 1, 2, 2 }, tensor(new long[] { 1, 2 }).repeat_interleave(2, 0).data<long>());
        Assert.Equal(new long[] { 1, 2, 2, 2 }, tensor(new long[] { 1, 2 }).repeat_interleave(tensor(new long[] { 1, 3 }), 0).data<long>());
    }

    [Fact]
    public void Dtype_conversions_keep_values()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1.5f, -2.25f, 3 });
        Assert.Equal(new double[] { 1.5, -2.25, 3 }, x.@double().data<double>());
        Assert.Equal(new float[] { 1.5f, -2.25f, 3 }, x.half().@float().data<float>());
        Assert.Equal(new float[] { 1.5f, -2.25f, 3 }, x.bfloat16().@float().data<float>());
        Assert.Equal(new long[] { 1, -2, 3 }, x.@long().data<long>());
        Assert.Equal(ScalarType.Float16, x.half().dtype);
        Assert.Equal(new[] { (Half)1.5f, (Half)(-2.25f), (Half)3f }, x.half().data<Half>());
        // bfloat16 bits of 1.5 = 0x3FC0
        Assert.Equal((ushort)0x3FC0, x.bfloat16().data<ushort>()[0]);
        Assert.Equal("cpu", x.device.ToString());
        Assert.Equal(new long[] { 2, 2 }, frombuffer(new byte[16], new long[] { 2, 2 }, ScalarType.Float32).shape);
    }
}
