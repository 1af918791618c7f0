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

    // torch.map_large_blocks: while its scope is open a block that no free space of the heap can hold is a mapping of
    // its own, returned when freed; after the scope such a block extends the heap instead. (In this class so that it
    // never overlaps the test above.)
    [Fact]
    public void Large_blocks_are_mapped_only_inside_the_scope()
    {
        if (!torch.malloc_tuned) return;   // ALIGN_MALLOC=system: glibc's own rules, nothing to switch
        // Bigger than all free heap space together (every arena), so it cannot come from a free chunk; under 64 MiB,
        // which a worker thread's arena would map in any case. Earlier tests in this process may have left more free
        // heap than that (it is kept up to 1 GiB): then only the part after the scope can be checked.
        ulong size = mallinfo2().Fordblks + (4UL << 20);
        bool checkInside = size < (60UL << 20);
        if (!checkInside) size = 16UL << 20;
        long floats = (long)(size / 4);
        using var scope = NewDisposeScope();
        ulong before = mallinfo2().Hblkhd;
        using (torch.map_large_blocks())
        {
            if (checkInside)
            {
                var inside = zeros(new long[] { floats });
                ulong during = mallinfo2().Hblkhd;
                Assert.True(during >= before + size, $"mmapped bytes went from {before} to {during} while a {size >> 20} MiB block was alive in the scope");
                inside.Dispose();
                Assert.True(mallinfo2().Hblkhd < during, "the block's mapping stayed after it was freed");
            }
        }
        ulong after = mallinfo2().Hblkhd;
        var outside = zeros(new long[] { floats });
        Assert.True(mallinfo2().Hblkhd < after + size, "a block was mapped after the scope closed");
        Assert.Equal(0f, outside.select(0, 7).item<float>());
    }
}
