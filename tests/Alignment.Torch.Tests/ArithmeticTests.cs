namespace Alignment.Torch.Tests;

// Broadcasting arithmetic against values computed by hand.
public class ArithmeticTests
{
    [Fact]
    public void Broadcasting_add_of_column_and_row_gives_the_outer_sum()
    {
        using var scope = NewDisposeScope();
        var col = tensor(new float[] { 1, 2, 3 }, new long[] { 3, 1 });
        var row = tensor(new float[] { 10, 20 }, new long[] { 1, 2 });
        var sum = col + row;
        Assert.Equal(new long[] { 3, 2 }, sum.shape);
        Assert.Equal(new float[] { 11, 21, 12, 22, 13, 23 }, sum.data<float>());
    }

    [Fact]
    public void Broadcasting_mul_sub_div_with_scalars_and_tensors()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new double[] { 1, 2, 3, 4, 5, 6 }, new long[] { 2, 3 });
        var b = tensor(new double[] { 2, 4, 8 });
        // (a * b - 1) / 2, row by row: [(2-1)/2, (8-1)/2, (24-1)/2], [(8-1)/2, (20-1)/2, (48-1)/2]
        var r = (a * b - 1) / 2;
        Assert.Equal(new double[] { 0.5, 3.5, 11.5, 3.5, 9.5, 23.5 }, r.data<double>());
        var s = 10.0 - a;   // reversed scalar subtraction
        Assert.Equal(new double[] { 9, 8, 7, 6, 5, 4 }, s.data<double>());
        var q = 12.0 / b;   // reversed scalar division
        Assert.Equal(new double[] { 6, 3, 1.5 }, q.data<double>());
    }

    [Fact]
    public void Comparisons_broadcast_and_give_bool()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new long[] { 1, 5, 3 });
        var m = a > 2;
        Assert.Equal(ScalarType.Bool, m.dtype);
        Assert.Equal(new[] { false, true, true }, m.data<bool>());
        Assert.Equal(new long[] { 2, 6, 4 }, (a + 1).data<long>());
        Assert.Equal(ScalarType.Int64, (a + 1).dtype);
    }
}
