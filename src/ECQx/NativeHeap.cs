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
    /// operating system (<see cref="ReturnFreeNativePages"/>). For the end of a stage; returns whether native pages were returned.
    /// </summary>
    public static bool Release()
    {
        // Aggressive: the collector also gives its own free memory back (a sweep's coding stage leaves ≈ 170 MB of it
        // committed otherwise, carried into the next run's training).
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return ReturnFreeNativePages();
    }

    /// <summary>
    /// Returns the C heap's free pages to the operating system (glibc's <c>malloc_trim(0)</c>; elsewhere nothing), without a
    /// garbage collection: cheap enough for the end of every training epoch. Returns whether pages were returned.
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

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
