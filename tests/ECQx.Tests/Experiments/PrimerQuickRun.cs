using ECQx.Experiments;

namespace ECQx.Tests.Experiments;

/// <summary>
/// One tiny primer run shared by the primer tests: ECQ and ECQx at 2 bit, Λ = 0.1, three batches per epoch, on the
/// bundled Fashion-MNIST sample.
/// </summary>
public sealed class PrimerQuickRun : IDisposable
{
    public string Root { get; } = TestPaths.NewTempDir();

    public ExperimentSettings Settings { get; }

    public ExperimentOutcome Outcome { get; }

    public List<string> Log { get; } = new();

    public PrimerQuickRun()
    {
        Settings = new ExperimentSettings
        {
            Experiment = "primer", Quick = true, OutputRoot = Root, Bits = new[] { 2 }, Lambdas = new[] { 0.1 },
            Epochs = 1, BaselineEpochs = 1, MaxBatchesPerEpoch = 3, Threads = 1,
            // With NNCodec (always in CI, where its absence is a failure) the runs also record NNCodec's sizes.
            NnCodecDirectory = ECQx.Tests.Coding.Nnr.NnCodec.MissingReason is null || ECQx.Tests.Coding.Nnr.NnCodec.IsCi
                ? ECQx.Coding.Nnr.NnCodecInstallation.DefaultFolder : null,
        };
        Outcome = new ExperimentRunner(Settings, Log.Add).Run();
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
