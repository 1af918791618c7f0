namespace Alignment.Torch.Tests;

/// <summary>A fact that runs only where the linked libtorch has CUDA and a GPU is visible; elsewhere it is reported
/// as skipped with the reason (CPU-only machines and CI).</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!torch.cuda.is_available())
            Skip = torch.cuda.is_built()
                ? "libtorch has CUDA but no GPU is visible"
                : "CPU-only libtorch (build with ALIGN_LIBTORCH pointing at a CUDA libtorch to run GPU tests)";
    }
}
