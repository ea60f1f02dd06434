using System.CommandLine;
using ECQx.Data.Download;
using ECQx.Data.Idx;
using ECQx.Data.Speech.Synthesis;
using Spectre.Console;

namespace ECQx.Cli.Verbs;

/// <summary>
/// <c>ecqx data list|download|verify|synthesize</c>: the dataset cache (<c>synthesize</c>: <see cref="DataSynthesizeCommand"/>). <c>list</c> shows every manifest dataset and what is on
/// disk; <c>download NAME</c> fetches (resumably), verifies and extracts it, with a progress bar;
/// <c>verify NAME</c> re-hashes the archive and checks the extracted files; <c>synthesize speech-commands</c> speaks a
/// Speech Commands-shaped corpus with espeak-ng (<see cref="SynthesizedSpeechCommands"/>). All take <c>--data-dir</c>
/// (default: <c>ECQX_DATA_DIR</c>, then the per-user data folder); <c>download</c> takes <c>--offline</c>.
/// Exit codes: 0 success, 1 verification failed or corrupt archive, 2 not available offline or unknown name (or espeak-ng
/// missing), 3 network failure.
/// </summary>
public sealed class DataVerb : ICliVerb
{
    /// <summary>Exit code for a failed verification or a corrupt archive.</summary>
    public const int ExitCorrupt = 1;

    /// <summary>Exit code for a dataset that is not available offline, or an unknown dataset name.</summary>
    public const int ExitUnavailable = 2;

    /// <summary>Exit code for a network failure.</summary>
    public const int ExitNetwork = 3;

    /// <summary>Console used for output (tests substitute a recording console).</summary>
    internal static IAnsiConsole Console { get; set; } = AnsiConsole.Console;

    /// <inheritdoc />
    public Command Build()
    {
        var dataDir = new Option<string?>("--data-dir")
        {
            Description = $"Data directory (default: ${DataDirectory.EnvironmentVariable}, then {DataDirectory.Resolve()})",
        };
        var offline = new Option<bool>("--offline") { Description = "Never use the network; say what is missing and where to put it" };

        var list = new Command("list", "List the known datasets and what is on disk");
        list.Options.Add(dataDir);
        list.SetAction(r => CliRun.Guarded(Console, _ => List(r.GetValue(dataDir))));

        var downloadName = new Argument<string>("name") { Description = "Dataset name (see 'ecqx data list')" };
        var download = new Command("download", "Download, verify and extract a dataset (resumable)");
        download.Arguments.Add(downloadName);
        download.Options.Add(dataDir);
        download.Options.Add(offline);
        download.SetAction((r, ct) => DownloadAsync(r.GetValue(downloadName)!, r.GetValue(dataDir), r.GetValue(offline), ct));

        var verifyName = new Argument<string>("name") { Description = "Dataset name" };
        var verify = new Command("verify", "Re-hash a dataset's archive and check its extracted files (no network)");
        verify.Arguments.Add(verifyName);
        verify.Options.Add(dataDir);
        verify.SetAction(r => CliRun.Guarded(Console, _ => Verify(r.GetValue(verifyName)!, r.GetValue(dataDir))));

        var data = new Command("data", "Datasets: list, download (resumable, verified), verify the local cache, synthesize speech");
        data.Subcommands.Add(list);
        data.Subcommands.Add(download);
        data.Subcommands.Add(verify);
        data.Subcommands.Add(BuildSynthesize(dataDir));
        return data;
    }

    private static Command BuildSynthesize(Option<string?> dataDir)
    {
        var outDir = new Option<string?>("--out") { Description = $"Corpus folder (default: <data dir>/{SynthesizedSpeechCommands.StoreFolder})" };
        var seed = new Option<long>("--seed") { Description = "Seed (the same seed writes the same corpus)", DefaultValueFactory = _ => new SpeechSynthesisOptions().Seed };
        var speech = new Command("speech-commands",
            "Speak a corpus in the Google Speech Commands v0.02 layout with espeak-ng (ten keywords, unknown words, background noise, " +
            "speaker-disjoint validation and test lists); quick mode uses it when the real dataset is absent");
        speech.Options.Add(outDir);
        speech.Options.Add(dataDir);
        speech.Options.Add(seed);
        speech.SetAction(r => CliRun.Guarded(Console, ct => Synthesize(r.GetValue(outDir), r.GetValue(dataDir), r.GetValue(seed), ct)));
        var synthesize = new Command("synthesize", "Make a dataset on this machine instead of downloading it");
        synthesize.Subcommands.Add(speech);
        synthesize.Subcommands.Add(DataSynthesizeCommand.Build(dataDir, () => Console));
        return synthesize;
    }

    internal static int Synthesize(string? outDir, string? dataDir, long seed, CancellationToken ct = default)
    {
        string root = outDir is not null ? Path.GetFullPath(outDir) : SynthesizedSpeechCommands.DefaultDirectory(dataDir);
        try
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            string path = null!;
            Console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("espeak-ng: words spoken", maxValue: 1);
                    path = SynthesizedSpeechCommands.Write(root, new SpeechSynthesisOptions { Seed = seed }, new WordsSpoken(task), ct);
                    task.Value = task.MaxValue;
                });
            Console.MarkupLine($"[green]synthesized Speech Commands[/] is ready at [bold]{Markup.Escape(path)}[/] ({watch.Elapsed.TotalSeconds:F0} s)");
            return 0;
        }
        catch (SpeechSynthesizerMissingException e)
        {
            Console.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
            return ExitUnavailable;
        }
    }

    internal static int List(string? dataDir)
    {
        var store = new DatasetStore(new DatasetStoreOptions { DataDirectory = dataDir, Offline = true });
        Console.MarkupLine($"Data directory: [bold]{Markup.Escape(store.Root)}[/]");
        var table = new Table().AddColumns("name", "title", "archive", "extracted", "checksum");
        foreach (var e in store.Manifest.Datasets)
        {
            var s = store.Status(e.Name);
            string archive = s.ArchivePresent ? "present" : s.PartialBytes > 0 ? $"partial ({s.PartialBytes:N0} B)" : "absent";
            string check = e.Archive.Sha256 is not null ? "sha256 (manifest)"
                : s.PinnedSha256 is not null ? "sha256 (pinned)"
                : e.Archive.Md5 is not null ? "md5 (published)" : "trust on first download";
            table.AddRow(Markup.Escape(e.Name), Markup.Escape(e.Title), archive, s.Extracted ? "yes" : "no", check);
        }
        Console.Write(table);
        string? sample = FashionMnist.FindBundledSample();
        Console.MarkupLine(sample is null
            ? $"Bundled Fashion-MNIST sample: [yellow]not found[/] (searched {Markup.Escape(string.Join(", ", BundledFiles.SearchRoots()))} and their parents)."
            : $"Bundled Fashion-MNIST sample (offline default): [bold]{Markup.Escape(sample)}[/]");
        return 0;
    }

    internal static async Task<int> DownloadAsync(string name, string? dataDir, bool offline, CancellationToken ct)
    {
        var store = new DatasetStore(new DatasetStoreOptions { DataDirectory = dataDir, Offline = offline });
        try
        {
            store.Manifest.Get(name);
            string path = null!;
            await Console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
                .StartAsync(async ctx =>
                {
                    var reporter = new TaskProgress(ctx);
                    path = await store.EnsureAsync(name, reporter, ct).ConfigureAwait(false);
                }).ConfigureAwait(false);
            Console.MarkupLine($"[green]{Markup.Escape(name)}[/] is ready at [bold]{Markup.Escape(path)}[/]");
            return 0;
        }
        catch (ArgumentException e)
        {
            Console.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
            return ExitUnavailable;
        }
        catch (DatasetNotAvailableException e)
        {
            Console.MarkupLine($"[yellow]{Markup.Escape(e.Message)}[/]");
            return ExitUnavailable;
        }
        catch (InvalidDataException e)
        {
            Console.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
            return ExitCorrupt;
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            Console.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
            Console.MarkupLine($"[yellow]Without network access: {Markup.Escape(store.MissingMessage(store.Manifest.Get(name)))}[/]");
            return ExitNetwork;
        }
    }

    internal static int Verify(string name, string? dataDir)
    {
        var store = new DatasetStore(new DatasetStoreOptions { DataDirectory = dataDir, Offline = true });
        VerifyReport report;
        try
        {
            report = store.Verify(name);
        }
        catch (ArgumentException e)
        {
            Console.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
            return ExitUnavailable;
        }
        catch (InvalidDataException e)
        {
            Console.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
            return ExitCorrupt;
        }
        foreach (string m in report.Messages) Console.MarkupLine(Markup.Escape(m));
        if (report.Ok)
        {
            Console.MarkupLine($"[green]{Markup.Escape(name)}: OK[/]");
            return 0;
        }
        bool nothing = report.ArchiveHashes is null && !report.Extracted;
        Console.MarkupLine(nothing
            ? $"[yellow]{Markup.Escape(name)}: nothing on disk to verify ({Markup.Escape(store.MissingMessage(store.Manifest.Get(name)))})[/]"
            : $"[red]{Markup.Escape(name)}: verification FAILED[/]");
        return nothing ? ExitUnavailable : ExitCorrupt;
    }

    /// <summary>Moves one Spectre progress task as words are spoken (synchronously, from the synthesizer's threads).</summary>
    private sealed class WordsSpoken(ProgressTask task) : IProgress<DataProgress>
    {
        private readonly object _gate = new();

        public void Report(DataProgress value)
        {
            lock (_gate)
            {
                if (value.Total is long t && t > 0) task.MaxValue = t;
                task.Value = value.Stage == DataStage.Done ? task.MaxValue : Math.Max(task.Value, value.Done);
            }
        }
    }

    /// <summary>Maps data progress reports onto one Spectre progress task per stage.</summary>
    private sealed class TaskProgress(ProgressContext ctx) : IProgress<DataProgress>
    {
        private readonly Dictionary<DataStage, ProgressTask> _tasks = new();
        private readonly object _gate = new();

        public void Report(DataProgress value)
        {
            lock (_gate)
            {
                if (value.Stage == DataStage.Done)
                {
                    foreach (var t in _tasks.Values) t.Value = t.MaxValue;
                    return;
                }
                if (!_tasks.TryGetValue(value.Stage, out var task))
                {
                    task = ctx.AddTask(Markup.Escape($"{value.Stage} {Path.GetFileName(value.Item)}"), maxValue: value.Total ?? 1);
                    if (value.Total is null) task.IsIndeterminate = true;
                    _tasks[value.Stage] = task;
                }
                if (value.Total is { } total && total > 0) task.MaxValue = total;
                task.Value = value.Done;
            }
        }
    }
}
