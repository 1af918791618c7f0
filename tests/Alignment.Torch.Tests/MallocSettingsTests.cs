using System.Runtime.InteropServices;

namespace Alignment.Torch.Tests;

// native/allocator.cpp: big tensors come from malloc's heap, not from a fresh mmap per allocation.
public partial class MallocSettingsTests
{
    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }

    [LibraryImport("libc")]
    private static partial MallInfo2 mallinfo2();

    [Fact]
    public void A_48_MiB_tensor_is_not_a_separate_mmap_when_the_settings_are_on()
    {
        if (Environment.GetEnvironmentVariable("ALIGN_MALLOC") == "system")
        {
            Assert.False(torch.malloc_tuned);
            return;
        }
        Assert.True(torch.malloc_tuned);
        ulong before = mallinfo2().Hblkhd;   // bytes held in mmapped blocks, process-wide
        using var scope = NewDisposeScope();
        var big = zeros(new long[] { 12L << 20 });   // 48 MiB of float32: glibc's defaults mmap every block of 32 MiB or more
        ulong during = mallinfo2().Hblkhd;
        Assert.Equal(0f, big.select(0, 12345).item<float>());
        // With glibc's defaults `during - before` is at least 48 MiB; other tests may allocate meanwhile, so allow
        // anything under half of that. (This runs on a worker thread: its arena holds blocks up to 64 MiB.)
        Assert.True(during < before + (24UL << 20), $"mmapped bytes grew from {before} to {during} while a 48 MiB tensor was alive");
    }
}
