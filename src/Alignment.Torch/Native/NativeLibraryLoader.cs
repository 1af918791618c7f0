using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Alignment.Torch.Native;

/// <summary>
/// Loads libaligntorch.so from beside this assembly (where the build copies it), and turns a failure into a message
/// that says what to do, instead of a bare DllNotFoundException.
/// </summary>
internal static class NativeLibraryLoader
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "A library must install its DllImport resolver before its first P/Invoke; this only registers a callback.")]
    internal static void Register() => NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != NativeMethods.Lib) return IntPtr.Zero;
        ThreadingEnvironment.Apply();   // before libtorch (and its OpenMP runtime) is loaded
        string dir = Path.GetDirectoryName(assembly.Location) ?? AppContext.BaseDirectory;
        string candidate = Path.Combine(dir, "libaligntorch.so");
        string? firstError = null;
        if (File.Exists(candidate))
        {
            try { return NativeLibrary.Load(candidate); }
            catch (DllNotFoundException e) { firstError = e.Message; }
        }
        if (NativeLibrary.TryLoad(name, assembly, searchPath, out IntPtr handle)) return handle;
        throw new DllNotFoundException(
            $"The native bridge libaligntorch.so could not be loaded{(firstError != null ? $": {firstError}" : $" (looked in {dir})")}.\n" +
            "  It is built by `dotnet build` of src/Alignment.Torch and needs libtorch at run time.\n" +
            "  Run `bash .ci/setup` (installs libtorch-dev, libopenblas0-pthread, cmake, g++), then build again.\n" +
            "  With your own libtorch (e.g. CUDA), set ALIGN_LIBTORCH to its folder before building.");
    }
}
