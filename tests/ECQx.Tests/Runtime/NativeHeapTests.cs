using TorchSharp;
using Xunit;

namespace ECQx.Tests.Runtime;

/// <summary><see cref="NativeHeap.Release"/>: freed tensor memory goes back to the operating system (glibc's malloc_trim).</summary>
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
}
