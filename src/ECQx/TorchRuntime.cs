using TorchSharp;

namespace ECQx;

/// <summary>
/// Loads the native libtorch backend once and turns device names into <see cref="torch.Device"/>s.
/// Every tensor the library creates follows a device chosen through here, so the same code runs on
/// CPU and CUDA.
/// </summary>
public static class TorchRuntime
{
    private static readonly object Gate = new();
    private static bool _loaded;

    /// <summary>
    /// Makes sure the native backend is loaded. Throws an <see cref="InvalidOperationException"/> that
    /// explains the usual causes (wrong native package, the GLIBCXX patch not applied) when it cannot be.
    /// </summary>
    public static void EnsureLoaded()
    {
        if (_loaded) return;
        lock (Gate)
        {
            if (_loaded) return;
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException(
                    "ECQx could not load the native libtorch backend. On Linux, rebuild so that the " +
                    "GLIBCXX_3.4.32 weak-version patch is applied to libLibTorchSharp.so (see environment.md); " +
                    "make sure the libtorch package for this OS is referenced. Inner error: " + e.Message, e);
            }
            NativeHeap.KeepFreedMemoryForReuse();
            _loaded = true;
        }
    }

    /// <summary>
    /// Parses a device name: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>, or <c>auto</c> (CUDA when available,
    /// otherwise CPU). Asking for CUDA on a machine without it is an error that says so.
    /// </summary>
    public static torch.Device ParseDevice(string name)
    {
        EnsureLoaded();
        string n = (name ?? "cpu").Trim().ToLowerInvariant();
        if (n == "auto") return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        if (n == "cpu") return torch.CPU;
        if (n == "cuda" || n.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
                throw new ArgumentException(
                    $"Device '{name}' was requested but CUDA is not available in this build. " +
                    "Build with -p:EcqxCuda=true on a machine with an NVIDIA driver (see environment.md), or use --device cpu.");
            return new torch.Device(n);
        }
        throw new ArgumentException($"Unknown device '{name}'. Use cpu, cuda, cuda:N or auto.");
    }
}
