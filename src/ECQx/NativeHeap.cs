using System.Runtime.InteropServices;

namespace ECQx;

/// <summary>
/// Gives freed memory back to the operating system between the stages of long work (a sweep's baseline and runs).
/// libtorch's CPU tensors are allocated with the C library's <c>malloc</c>; glibc keeps what is freed in its heaps for
/// reuse (and raises its mmap threshold as large blocks are freed), so without this a process's resident memory only
/// grows from stage to stage although nothing is leaked. Managed memory (coded files, level arrays) is collected first,
/// which also finalizes any tensor nobody disposed.
/// </summary>
public static class NativeHeap
{
    /// <summary>
    /// Collects managed memory and gives the collector's free memory back, then returns free native heap pages to the
    /// operating system (<see cref="ReturnFreeNativePages"/>). For the end of a stage or of a training epoch (with the package's
    /// small managed heap the collections take milliseconds); returns whether native pages were returned.
    /// </summary>
    public static bool Release()
    {
        // Aggressive: the collector also gives its own free memory back (a sweep's coding stage leaves ≈ 170 MB of it
        // committed otherwise, carried into the next run's training).
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        // The finalizers this collection queued run now, not beside the caller's next tensor work: a finalizer thread
        // busy freeing tensors can trigger a collection while the caller is inside a native call whose temporary Scalar
        // (TorchSharp's implicit conversions) has no other reference — and free it under the call.
        GC.WaitForPendingFinalizers();
        return ReturnFreeNativePages();
    }

    /// <summary>
    /// Returns the C heap's free pages to the operating system (glibc's <c>malloc_trim(0)</c>; elsewhere nothing), without a
    /// garbage collection. Returns whether pages were returned.
    /// </summary>
    public static bool ReturnFreeNativePages()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return MallocTrim(0) != 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // musl and others: no malloc_trim
        }
    }

    /// <summary>The mmap threshold the allocator is given: 32 MB, glibc's own upper limit for its adaptive threshold.</summary>
    public const int MmapThresholdBytes = 32 << 20;

    /// <summary>Whether <see cref="KeepFreedMemoryForReuse"/> changed the allocator's settings in this process.</summary>
    public static bool AllocatorTuned { get; private set; }

    /// <summary>
    /// Tunes glibc's allocator for tensor work, once per process (the backend's loading calls it): blocks under
    /// <see cref="MmapThresholdBytes"/> come from the heap, and freed memory is no longer trimmed automatically whenever the
    /// heap's top is free — the package gives it back itself at the end of every epoch and stage (<see cref="Release"/>). Without this a training step's activations
    /// go back to the system as the step ends and are faulted in again by the next step (ResNet20, batch 128: 26,000–30,000
    /// page faults per forward/backward of an ECQ step, against ≈ 7,800 with it, mostly the warm-up's); the peak is the same
    /// either way. Does nothing when the user chose the allocator's behaviour (any <c>MALLOC_*_</c> variable or
    /// <c>GLIBC_TUNABLES</c>), or off glibc.
    /// </summary>
    /// <returns>Whether the settings were changed.</returns>
    public static bool KeepFreedMemoryForReuse()
    {
        if (AllocatorTuned || !OperatingSystem.IsLinux() || UserChoseAllocatorSettings()) return false;
        try
        {
            // Setting either disables glibc's adaptive thresholds, so both are set: trimming only above 2 GB of free top.
            AllocatorTuned = Mallopt(MTrimThreshold, int.MaxValue) == 1 && Mallopt(MMmapThreshold, MmapThresholdBytes) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            AllocatorTuned = false; // not glibc
        }
        return AllocatorTuned;
    }

    private static bool UserChoseAllocatorSettings()
    {
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
            if (entry.Key is string key && (key.StartsWith("MALLOC_", StringComparison.Ordinal) || key == "GLIBC_TUNABLES")) return true;
        return false;
    }

    private const int MTrimThreshold = -1, MMmapThreshold = -3;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
