using ECQx.Training;
using TorchSharp;
using Xunit;

namespace ECQx.Tests.Training;

public class EarlyStoppingTests
{
    [Fact]
    public void StopsAfterPatienceEpochsWithoutAMinDeltaImprovement()
    {
        var s = new EarlyStopping(patience: 2, minDelta: 0.5);
        Assert.True(s.Observe(50));            // first epoch sets the reference
        Assert.False(s.Observe(double.NaN));   // no test set: ignored
        Assert.True(s.Observe(50.3));          // a new best, but less than 0.5 better: bad epoch 1
        Assert.Equal((50.3, 1, false), (s.Best, s.BadEpochs, s.Stopped));
        Assert.True(s.Observe(52));            // 1.7 better: count reset
        Assert.Equal((52.0, 0), (s.Best, s.BadEpochs));
        Assert.False(s.Observe(51));           // bad 1
        Assert.True(s.Observe(52.4));          // a new best but only 0.4 better: bad 2 → stop
        Assert.Equal((52.4, 2, true), (s.Best, s.BadEpochs, s.Stopped));
        s.ResetPhase();
        Assert.Equal((double.NaN, 0, true), (s.Best, s.BadEpochs, s.Stopped));
        s.ClearStop();
        Assert.False(s.Stopped);
    }

    [Fact]
    public void PatienceZeroNeverStops()
    {
        var s = new EarlyStopping(patience: 0, minDelta: 0);
        foreach (double a in new[] { 60.0, 50, 40, 30, 20 }) s.Observe(a);
        Assert.Equal((60.0, 4, false), (s.Best, s.BadEpochs, s.Stopped));
    }

    [Fact]
    public void ACheckpointCodebookThatIsNotItsGridIsAClearError()
    {
        TorchRuntime.EnsureLoaded();
        var info = new CheckpointState.StoredCodebook(0.25, 2);
        using var good = torch.tensor(new float[] { -0.5f, -0.25f, 0f, 0.25f });
        using var cb = TrainingCheckpoint.ReadCodebook("w", info, good, torch.CPU, "ck.safetensors");
        Assert.Equal((-2, 2, 0.25), (cb.MinLevel, cb.Bits, cb.Step));
        using var bad = torch.tensor(new float[] { -0.5f, -0.25f, 0f, 0.3f });
        var e = Assert.Throws<InvalidDataException>(() => TrainingCheckpoint.ReadCodebook("w", info, bad, torch.CPU, "ck.safetensors"));
        Assert.Contains("ck.safetensors", e.Message);
        Assert.Contains("codebook/w", e.Message);
    }
}
