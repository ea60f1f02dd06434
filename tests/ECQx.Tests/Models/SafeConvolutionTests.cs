using ECQx.Models;
using ECQx.Training;
using ECQx.XaiCompression;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ECQx.Tests.Models;

/// <summary>
/// <see cref="SafeConvolution"/>: convolutions whose channel counts make libtorch's oneDNN kernels read memory nobody
/// wrote are computed by im2col and a matrix product — equal to a float64 convolution (libtorch's own path, which
/// oneDNN never takes) forward and backward, finite and repeatable when the freed memory holds NaN, and every other
/// shape is libtorch's own convolution bit for bit. In the global-state collection: filling freed memory with NaN
/// would otherwise reach tests running alongside that call libtorch's convolution directly.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class SafeConvolutionTests(ITestOutputHelper log)
{
    [Theory]
    [InlineData(16, 16, false)]
    [InlineData(3, 16, false)]
    [InlineData(8, 32, false)]
    [InlineData(32, 64, false)]
    [InlineData(512, 512, false)]
    [InlineData(1, 6, true)]      // output channels not a multiple of 16 (backward reads the block's tail)
    [InlineData(16, 24, true)]
    [InlineData(9, 16, true)]     // AVX2's 8-channel blocks
    [InlineData(24, 32, true)]
    [InlineData(44, 64, true)]
    public void TheRuleNamesTheChannelCountsThatBypassOneDnn(long inChannels, long outChannels, bool bypasses) =>
        Assert.Equal(bypasses, SafeConvolution.Bypasses(inChannels, outChannels));

    [Fact]
    public void GroupedConvolutionsKeepLibtorchsPath() => Assert.False(SafeConvolution.Bypasses(24, 24, groups: 2));

    [Theory]
    [InlineData(24, 32, 3, 1, 1, 1, true)]
    [InlineData(44, 64, 3, 1, 1, 1, false)]
    [InlineData(16, 24, 3, 2, 1, 1, true)]
    [InlineData(26, 13, 5, 1, 2, 2, true)]
    [InlineData(1, 6, 5, 1, 0, 1, true)]
    [InlineData(17, 8, 2, 2, 0, 1, false)]
    public void Conv2dAgreesWithAFloat64ConvolutionForwardAndBackward(long ic, long oc, long k, long stride, long padding, long dilation, bool bias)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(7);
        var x = randn(new long[] { 5, ic, 13, 11 }, generator: g);
        var w = randn(new long[] { oc, ic, k, k }, generator: g) * 0.2;
        var b = bias ? randn(new long[] { oc }, generator: g) : null;
        AgreesWithFloat64(x, w, b, g,
            (xi, wi, bi) => SafeConvolution.Conv2d(xi, wi, bi, [stride, stride], [padding, padding], [dilation, dilation]),
            (xi, wi, bi) => nn.functional.conv2d(xi, wi, bi, [stride, stride], [padding, padding], [dilation, dilation]));
    }

    [Fact]
    public void Conv1dAgreesWithAFloat64ConvolutionForwardAndBackward()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(11);
        var x = randn(new long[] { 4, 20, 37 }, generator: g);
        var w = randn(new long[] { 12, 20, 3 }, generator: g) * 0.2;
        var b = randn(new long[] { 12 }, generator: g);
        AgreesWithFloat64(x, w, b, g,
            (xi, wi, bi) => SafeConvolution.Conv1d(xi, wi, bi, stride: 2, padding: 1, dilation: 1),
            (xi, wi, bi) => nn.functional.conv1d(xi, wi, bi, 2, 1, 1));
    }

    /// <summary>
    /// <paramref name="ours"/> on float32 copies and <paramref name="reference"/> on float64 copies of the input, weight and
    /// bias: the same output shape, and output and every gradient (for one random upstream gradient) within tolerance.
    /// </summary>
    private static void AgreesWithFloat64(Tensor x, Tensor w, Tensor? b, Generator g,
        Func<Tensor, Tensor, Tensor?, Tensor> ours, Func<Tensor, Tensor, Tensor?, Tensor> reference)
    {
        Tensor Leaf(Tensor t, ScalarType type) => t.detach().to(type).requires_grad_(true);
        var (x32, w32, b32) = (Leaf(x, float32), Leaf(w, float32), b is null ? null : Leaf(b, float32));
        var (x64, w64, b64) = (Leaf(x, float64), Leaf(w, float64), b is null ? null : Leaf(b, float64));
        var y = ours(x32, w32, b32);
        var y64 = reference(x64, w64, b64);
        Assert.Equal(y64.shape, y.shape);
        var upstream = randn(y.shape, generator: g);
        y.backward([upstream]);
        y64.backward([upstream.to(float64)]);
        Close(y64, y);
        Close(x64.grad!, x32.grad!);
        Close(w64.grad!, w32.grad!);
        if (b32 is not null) Close(b64!.grad!, b32.grad!);
    }

    [Fact]
    public void AModuleOfASafeShapeRunsLibtorchsOwnConvolution()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        var conv = nn.Conv2d(16, 32, 3, padding: 1);
        var x = randn(new long[] { 4, 16, 9, 9 }, generator: g);
        using var noGrad = no_grad();
        Assert.True(SafeConvolution.Forward(conv, x).equal(conv.forward(x)).all().item<bool>());
    }

    [Fact]
    public void AnUnsafeShapeIsFiniteAndRepeatableWhenTheFreedMemoryHoldsNaN()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(5);
        var x = randn(new long[] { 16, 24, 16, 16 }, generator: g);
        var w = (randn(new long[] { 24, 24, 3, 3 }, generator: g) * 0.1).detach().requires_grad_(true);
        var upstream = randn(new long[] { 16, 24, 16, 16 }, generator: g);
        Tensor? first = null, firstGrad = null;
        int libtorchNonFinite = 0;
        for (int rep = 0; rep < 5; rep++)
        {
            PoisonFreedMemory(x.numel() * 4);
            using (no_grad())
            using (var plain = nn.functional.conv2d(x, w, null, [1, 1], [1, 1]))
                if (!plain.isfinite().all().item<bool>()) libtorchNonFinite++;
            PoisonFreedMemory(x.numel() * 4);
            w.grad?.zero_();
            var y = SafeConvolution.Conv2d(x, w, null, [1, 1], [1, 1], [1, 1]);
            PoisonFreedMemory(x.numel() * 4);
            y.backward([upstream]);
            Assert.True(y.isfinite().all().item<bool>(), $"repeat {rep}: non-finite output");
            Assert.True(w.grad!.isfinite().all().item<bool>(), $"repeat {rep}: non-finite weight gradient");
            if (first is null) { first = y.detach().clone(); firstGrad = w.grad!.clone(); }
            else
            {
                Assert.True(first.equal(y.detach()).all().item<bool>(), $"repeat {rep}: output differs from the first");
                Assert.True(firstGrad!.equal(w.grad!).all().item<bool>(), $"repeat {rep}: weight gradient differs from the first");
            }
        }
        log.WriteLine($"libtorch's own conv2d of the same shape was non-finite in {libtorchNonFinite} of 5 poisoned repeats on this machine");
    }

    [Fact]
    public void APrunedResNet20GivesTheSameFiniteLogitsEveryTime()
    {
        using var scope = NewDisposeScope();
        var model = ModelZoo.Create("resnet20", seed: 2);
        model.eval();
        using var scores = RelevanceCalibration.Scores(model, null, new CalibrationOptions { Method = "magnitude" });
        long target = (long)(0.8 * ModelEvaluation.ParameterCount(model));
        var plan = StructuredPruning.PlanForParameters(model, scores, target);
        var pruned = StructuredPruning.Shrink(model, plan);
        pruned.eval();
        var widths = pruned.named_modules().Select(m => m.module).OfType<TorchSharp.Modules.Conv2d>().Select(c => c.weight!.shape[0]).ToList();
        Assert.Contains(widths, c => c % 16 != 0); // the pruned model has the channel counts in question
        var x = randn(new long[] { 16, 3, 32, 32 }, generator: new Generator(9));
        using var noGrad = no_grad();
        var reference = pruned.forward(x);
        Assert.True(reference.isfinite().all().item<bool>());
        for (int rep = 0; rep < 4; rep++)
        {
            PoisonFreedMemory(16 * 64 * 32 * 32);
            Assert.True(pruned.forward(x).equal(reference).all().item<bool>(), $"repeat {rep}: logits differ");
        }
    }

    /// <summary>Allocates tensors of NaN around <paramref name="elements"/> and frees them, so the allocator hands that memory out next.</summary>
    private static void PoisonFreedMemory(long elements)
    {
        for (int k = 0; k < 6; k++) full(new long[] { elements + k * 4096 }, float.NaN).Dispose();
        for (int k = 0; k < 6; k++) full(new long[] { elements / (k + 2) }, float.NaN).Dispose();
    }

    private static void Close(Tensor expected64, Tensor actual)
    {
        double scale = expected64.abs().max().item<double>() + 1e-12;
        double err = (actual.detach().to(float64) - expected64.detach()).abs().max().item<double>();
        Assert.True(err <= 1e-5 * scale, $"max |error| {err:E2} against a float64 convolution whose values reach {scale:E2}");
    }
}
