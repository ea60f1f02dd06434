using ECQx.Experiments;
using Xunit;

namespace ECQx.Tests.Experiments;

/// <summary>The step-time cache file: round trip, lookups by the whole key, and unreadable files read as empty with a warning.</summary>
public sealed class StepTimeCacheTests
{
    private static readonly StepTimeKey Key = new("2 × test CPU", "cpu", 2, "mlp_28x28", 64, "1x28x28", 4, "lrp", "0.107.0");
    private static readonly StepTimes Times = new(0.001, 0.002, 0.004, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, new DateTimeOffset(2026, 12, 7, 6, 30, 0, TimeSpan.Zero));

    private static string NewCachePath() => Path.Combine(TestPaths.NewTempDir(), "nested", "ecqx", StepTimeCache.FileName);

    [Fact]
    public void SavedTimesReadBackEqualUnderTheSameKeyAndOtherEntriesStay()
    {
        string path = NewCachePath();
        var cache = StepTimeCache.Load(path);
        Assert.Empty(cache.Entries);
        var other = Key with { Threads = 1 };
        cache.Set(Key, Times);
        cache.Set(other, Times with { EcqxStep = 0.5 });
        cache.Set(Key, Times with { Coding = 0.25 }); // replaces the entry of the same key
        cache.Save();

        var warnings = new List<string>();
        var read = StepTimeCache.Load(path, warnings.Add);
        Assert.Empty(warnings);
        Assert.Equal(2, read.Entries.Count);
        Assert.Equal(Times with { Coding = 0.25 }, read.Find(Key));
        Assert.Equal(0.5, read.Find(other)!.EcqxStep);
        Assert.Equal(Times.MeasuredAt, read.Find(Key)!.MeasuredAt);
    }

    [Theory]
    [InlineData("Threads")]
    [InlineData("Device")]
    [InlineData("Machine")]
    [InlineData("BatchSize")]
    [InlineData("Bits")]
    [InlineData("Relevance")]
    [InlineData("TorchSharp")]
    public void AKeyDifferingInAnyPartFindsNothing(string part)
    {
        string path = NewCachePath();
        var cache = StepTimeCache.Load(path);
        cache.Set(Key, Times);
        cache.Save();
        var changed = part switch
        {
            "Threads" => Key with { Threads = 3 },
            "Device" => Key with { Device = "cuda:0" },
            "Machine" => Key with { Machine = "8 × other CPU" },
            "BatchSize" => Key with { BatchSize = 128 },
            "Bits" => Key with { Bits = 5 },
            "Relevance" => Key with { Relevance = "deeplift" },
            _ => Key with { TorchSharp = "0.108.0" },
        };
        Assert.Null(StepTimeCache.Load(path).Find(changed));
        Assert.NotNull(StepTimeCache.Load(path).Find(Key));
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("null")]
    [InlineData("{\"version\": 99, \"entries\": []}")]
    [InlineData("{\"version\": 1}")]
    [InlineData("{\"version\": 1, \"entries\": [{\"key\": null}]}")]
    public void ACorruptFileIsAWarningNamingItAndReadsAsEmpty(string content)
    {
        string path = NewCachePath();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        var warnings = new List<string>();
        var cache = StepTimeCache.Load(path, warnings.Add);
        Assert.Empty(cache.Entries);
        Assert.Contains(path, Assert.Single(warnings));
        cache.Set(Key, Times); // and it is rewritten whole
        cache.Save();
        Assert.Equal(Times, StepTimeCache.Load(path).Find(Key));
    }

    [Fact]
    public void AnEntryWithAnInvalidTimeIsAWarningNamingTheField()
    {
        string path = NewCachePath();
        var cache = StepTimeCache.Load(path);
        cache.Set(Key, Times);
        cache.Save();
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"ecqStep\": 0.002", "\"ecqStep\": -1"));
        var warnings = new List<string>();
        Assert.Empty(StepTimeCache.Load(path, warnings.Add).Entries);
        Assert.Contains("ecqStep = -1", Assert.Single(warnings));
    }

    [Fact]
    public void InvalidTimesAreNotStored()
    {
        var cache = StepTimeCache.Load(NewCachePath());
        var e = Assert.Throws<ArgumentException>(() => cache.Set(Key, Times with { EcqxStep = double.NaN }));
        Assert.Contains("ecqxStep = NaN", e.Message);
        Assert.Throws<ArgumentException>(() => cache.Set(Key, Times with { FullPrecisionStep = 0 }));
    }
}
