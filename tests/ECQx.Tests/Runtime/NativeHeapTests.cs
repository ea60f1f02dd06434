using TorchSharp;
using Xunit;

namespace ECQx.Tests.Runtime;

/// <summary>
/// <see cref="NativeHeap.Release"/>: freed tensor memory goes back to the operating system (glibc's malloc_trim), and so does
/// the collector's free memory. In the global-state collection: the committed managed memory is the whole process's.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class NativeHeapTests
{
    [Fact]
    public void FreedHeapTensorsAreReturnedToTheSystem()
    {
        TorchRuntime.EnsureLoaded();
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/lib/x86_64-linux-gnu/libc.so.6") && !File.Exists("/lib/x86_64-linux-gnu/libc.so.6"))
            return; // glibc only; elsewhere Release only collects
        // Many small tensors (16 KB each: below glibc's mmap threshold, so they live in the heap), freed again.
        var tensors = Enumerable.Range(0, 4096).Select(_ => torch.ones(4096)).ToList();
        foreach (var t in tensors) t.Dispose();
        Assert.True(NativeHeap.Release(), "malloc_trim returned no memory although 64 MB of heap tensors were just freed");
    }

    [Fact]
    public void FreedManagedMemoryIsGivenBackToo()
    {
        // What a coding stage leaves behind: many mid-sized managed buffers, garbage by the time the stage ends.
        var buffers = new List<byte[]>();
        for (int i = 0; i < 200; i++)
        {
            var b = new byte[1 << 20];
            Array.Fill(b, (byte)i);
            buffers.Add(b);
        }
        GC.Collect(); // the memory info is as of the last collection
        long during = GC.GetGCMemoryInfo().TotalCommittedBytes;
        GC.KeepAlive(buffers);
        buffers.Clear();
        NativeHeap.Release();
        long after = GC.GetGCMemoryInfo().TotalCommittedBytes;
        Assert.True(after < during - (150L << 20),
            $"the collector still holds {after >> 20} MB committed after Release (it held {during >> 20} MB with 200 MB of buffers live)");
    }

    [Fact]
    public void FreedTensorMemoryIsReusedWithoutFaultingItInAgain()
    {
        TorchRuntime.EnsureLoaded();
        if (!NativeHeap.AllocatorTuned) return; // the user's MALLOC_* settings, or not glibc: nothing was changed
        // A step's worth of activations (12 × 8 MB, written), freed at its end; the next step allocates them again. The test
        // runs on a pool thread, whose glibc arena unmaps a 64 MB sub-heap once all of it is free whatever the settings (a
        // run's trainer on the main thread has no such heaps), so the bound is loose: half the pages (without the setting
        // ≈ 84 % are faulted in again; with it 0–25 % here).
        long Step()
        {
            long before = MinorFaults();
            var activations = Enumerable.Range(0, 12).Select(_ => torch.ones(2L << 20)).ToList();
            foreach (var t in activations) t.Dispose();
            return MinorFaults() - before;
        }
        long first = Step(), second = Step();
        const long pages = 12 * (8L << 20) / 4096;
        Assert.True(second < pages / 2,
            $"the second step faulted {second} pages in again (the first {first}; {pages} pages were freed between them)");
    }

    /// <summary>The process's minor page faults so far (field 10 of /proc/self/stat).</summary>
    private static long MinorFaults() =>
        long.Parse(File.ReadAllText("/proc/self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[7]);
}
