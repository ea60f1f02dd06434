using ECQx.Cli;
using ECQx.Cli.Verbs;
using ECQx.Tests.Fixtures;
using Spectre.Console;
using Xunit;

namespace ECQx.Tests.Data;

/// <summary>The <c>ecqx data</c> verb, run through the real command-line parser, offline only.</summary>
public class DataVerbTests
{
    internal static (int code, string output) Run(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 400;
        var saved = DataVerb.Console;
        try
        {
            DataVerb.Console = console;
            int code = Program.BuildRoot().Parse(args).Invoke();
            return (code, writer.ToString());
        }
        finally
        {
            DataVerb.Console = saved;
        }
    }

    [Fact]
    public void ListShowsTheManifestAndTheBundledSample()
    {
        string dir = TestPaths.NewTempDir();
        var (code, output) = Run("data", "list", "--data-dir", dir);
        Assert.Equal(0, code);
        Assert.Contains(dir, output);
        Assert.Contains("cifar10", output);
        Assert.Contains("speech_commands_v0.02", output);
        Assert.Contains("sha256 (manifest)", output);
        Assert.Contains("trust on first download", output);
        Assert.Contains("fashion-mnist-sample", output);
    }

    [Fact]
    public void OfflineDownloadOfAMissingDatasetSaysWhereToPutIt()
    {
        string dir = TestPaths.NewTempDir();
        var (code, output) = Run("data", "download", "cifar10", "--offline", "--data-dir", dir);
        Assert.Equal(DataVerb.ExitUnavailable, code);
        Assert.Contains(Path.Combine(dir, "downloads", "cifar-10-binary.tar.gz"), output.Replace("\n", ""));
        Assert.Contains("cs.toronto.edu", output);
    }

    [Fact]
    public void UnknownNameFailsWithTheKnownNames()
    {
        var (code, output) = Run("data", "download", "imagenet", "--offline", "--data-dir", TestPaths.NewTempDir());
        Assert.Equal(DataVerb.ExitUnavailable, code);
        Assert.Contains("cifar10", output);
    }

    [Fact]
    public void ArchivePlacedByHandIsVerifiedExtractedAndPinned()
    {
        string dir = TestPaths.NewTempDir();
        string archive = Path.Combine(dir, "downloads", "speech_commands_v0.01.tar.gz");
        Directory.CreateDirectory(Path.GetDirectoryName(archive)!);
        File.WriteAllBytes(archive, SpeechCommandsFixtures.MakeArchive(new SpeechCommandsFixtures.Spec { SpeakersPerWord = 2 }));

        var (code, output) = Run("data", "download", "speech_commands_v0.01", "--offline", "--data-dir", dir);
        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(dir, "speech_commands_v0.01", "validation_list.txt")));

        var (vcode, voutput) = Run("data", "verify", "speech_commands_v0.01", "--data-dir", dir);
        Assert.True(vcode == 0, voutput);
        Assert.Contains("checksums match", voutput);

        // Tamper with the archive: verify now fails against the pin.
        File.AppendAllText(archive, "tampered");
        var (bad, badOutput) = Run("data", "verify", "speech_commands_v0.01", "--data-dir", dir);
        Assert.Equal(DataVerb.ExitCorrupt, bad);
        Assert.Contains("pinned", badOutput);
    }

    [Fact]
    public void WrongArchiveForAPublishedChecksumIsRejected()
    {
        string dir = TestPaths.NewTempDir();
        string archive = Path.Combine(dir, "downloads", "cifar-10-binary.tar.gz");
        Directory.CreateDirectory(Path.GetDirectoryName(archive)!);
        File.WriteAllBytes(archive, CifarFixtures.MakeArchive(perTrainFile: 1, testCount: 1));
        var (code, output) = Run("data", "download", "cifar10", "--offline", "--data-dir", dir);
        Assert.Equal(DataVerb.ExitCorrupt, code);
        Assert.Contains("c32a1d4ab5d03f1284b67883e8d87530", output.Replace("\n", ""));
        Assert.False(Directory.Exists(Path.Combine(dir, "cifar10")));
    }
}
