using ECQx.IO;
using TorchSharp;
using Xunit;

namespace ECQx.Tests.IO;

public class TensorDictionaryTests
{
    public TensorDictionaryTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void KeepsInsertionOrderAndDisposesEveryTensorOnce()
    {
        var a = torch.ones(2); var b = torch.zeros(3); var c = torch.arange(4);
        var d = new TensorDictionary(new[] { new KeyValuePair<string, torch.Tensor>("z", a), new("a", b) });
        d.Add("m", c);
        Assert.Equal(new[] { "z", "a", "m" }, d.Keys);
        Assert.Same(b, d["a"]);
        Assert.True(d.TryGetValue("m", out var m) && ReferenceEquals(m, c));
        Assert.False(d.ContainsKey("x"));
        Assert.Contains("'x'", Assert.Throws<KeyNotFoundException>(() => d["x"]).Message);
        Assert.Contains("'z'", Assert.Throws<ArgumentException>(() => d.Add("z", torch.ones(1))).Message);
        d.Dispose();
        d.Dispose();
        Assert.All(new[] { a, b, c }, t => Assert.True(t.IsInvalid));
        Assert.Throws<ObjectDisposedException>(() => d.Add("n", torch.ones(1)));
    }
}
