using System.Runtime.InteropServices;

namespace Alignment.Torch.Native;

/// <summary>
/// Turns the native sentinels into exceptions. Every native export catches its own exceptions and leaves the
/// message in a thread-local slot; after each call the C# side checks the sentinel and, if set, takes the
/// message (freeing it natively) and throws <see cref="TorchException"/>.
/// </summary>
internal static class NativeError
{
    /// <summary>The pending native error message, cleared as it is read; null when there is none.</summary>
    internal static string? Take()
    {
        IntPtr p = NativeMethods.atg_error_take();
        if (p == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(p); }
        finally { NativeMethods.atg_string_free(p); }
    }

    /// <summary>The pending native error; a managed exception that a checkpointed body threw on this thread during the
    /// call (see <see cref="Checkpointed"/>) becomes its inner exception.</summary>
    internal static TorchException Exception()
    {
        string message = Take() ?? "native call failed without a message";
        return Checkpointed.TakePending() is { } inner ? new TorchException(message, inner) : new TorchException(message);
    }

    /// <summary>Checks a handle-returning call: null means failure.</summary>
    internal static IntPtr Check(IntPtr handle)
    {
        if (handle == IntPtr.Zero) throw Exception();
        return handle;
    }

    /// <summary>Checks a call that may legitimately return null (e.g. a gradient that does not exist yet).</summary>
    internal static IntPtr CheckNullable(IntPtr handle)
    {
        if (handle == IntPtr.Zero)
        {
            string? message = Take();
            if (message != null) throw new TorchException(message);
        }
        return handle;
    }

    /// <summary>Checks a status or count result: negative means failure.</summary>
    internal static int Check(int rc)
    {
        if (rc < 0) throw Exception();
        return rc;
    }

    internal static long Check(long rc)
    {
        if (rc < 0) throw Exception();
        return rc;
    }

    /// <summary>Reads a malloc'ed native string and frees it.</summary>
    internal static string TakeString(IntPtr p)
    {
        Check(p);
        try { return Marshal.PtrToStringUTF8(p) ?? ""; }
        finally { NativeMethods.atg_string_free(p); }
    }
}
