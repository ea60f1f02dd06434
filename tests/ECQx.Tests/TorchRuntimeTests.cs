using TorchSharp;
using Xunit;

namespace ECQx.Tests;

public class TorchRuntimeTests
{
    [Fact]
    public void LibTorchLoadsAndComputes()
    {
        TorchRuntime.EnsureLoaded();
        using var sum = torch.ones(3).sum();
        Assert.Equal(3f, sum.item<float>());
    }

    [Fact]
    public void UnknownDeviceNameIsAClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => TorchRuntime.ParseDevice("tpu"));
        Assert.Contains("tpu", e.Message);
    }

    [Fact]
    public void CpuDeviceParses()
    {
        Assert.Equal(DeviceType.CPU, TorchRuntime.ParseDevice("cpu").type);
    }
}
