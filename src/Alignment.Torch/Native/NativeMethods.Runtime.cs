using System.Runtime.InteropServices;

namespace Alignment.Torch.Native;

// P/Invoke declarations for native/runtime.cpp.
internal static partial class NativeMethods
{
    internal const string Lib = "aligntorch";

    [LibraryImport(Lib)] internal static partial IntPtr atg_error_take();
    [LibraryImport(Lib)] internal static partial void atg_string_free(IntPtr p);
    [LibraryImport(Lib)] internal static partial IntPtr atg_runtime_version();
    [LibraryImport(Lib)] internal static partial long atg_runtime_live_tensors();
    [LibraryImport(Lib)] internal static partial int atg_runtime_get_num_threads();
    [LibraryImport(Lib)] internal static partial int atg_runtime_malloc_tuned();
    [LibraryImport(Lib)] internal static partial int atg_runtime_trim_heap();
    [LibraryImport(Lib)] internal static partial int atg_runtime_map_large_blocks(int on);
    [LibraryImport(Lib)] internal static partial int atg_runtime_set_num_threads(int n);
    [LibraryImport(Lib)] internal static partial int atg_runtime_cuda_is_available();
    [LibraryImport(Lib)] internal static partial int atg_runtime_cuda_device_count();
    [LibraryImport(Lib)] internal static partial int atg_runtime_has_cuda_build();
    [LibraryImport(Lib)] internal static partial int atg_runtime_cuda_synchronize();
    [LibraryImport(Lib)] internal static partial int atg_runtime_grad_enabled();
    [LibraryImport(Lib)] internal static partial int atg_runtime_set_grad_enabled(int enabled);
    [LibraryImport(Lib)] internal static partial int atg_runtime_manual_seed(ulong seed);

    [LibraryImport(Lib)] internal static partial IntPtr atg_generator_new(ulong seed);
    [LibraryImport(Lib)] internal static partial IntPtr atg_generator_default();
    [LibraryImport(Lib)] internal static partial void atg_generator_free(IntPtr g);
    [LibraryImport(Lib)] internal static partial int atg_generator_manual_seed(GeneratorHandle g, ulong seed);
    [LibraryImport(Lib)] internal static partial int atg_generator_initial_seed(GeneratorHandle g, out ulong seed);
    [LibraryImport(Lib)] internal static partial IntPtr atg_generator_get_state(GeneratorHandle g);
    [LibraryImport(Lib)] internal static partial int atg_generator_set_state(GeneratorHandle g, TensorHandle state);
}
