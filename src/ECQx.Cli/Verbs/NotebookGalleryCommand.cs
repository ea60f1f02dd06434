using System.CommandLine;
using ECQx.Notebooks;
using ECQx.Notebooks.Gallery;
using ECQx.Notebooks.Nbformat;

namespace ECQx.Cli.Verbs;

/// <summary>
/// <c>ecqx notebook gallery [--notebooks notebooks] [--out docs/gallery] [--full | --executed results/notebooks]</c>: runs every notebook that has a list in
/// <c>notebooks/expected-figures/</c> (quick mode unless <c>--full</c>; sweeps write to their usual <c>results/</c>) and writes the
/// PNGs of its key figures plus an index page to the gallery folder. Exit code 0 when every notebook ran and every key figure
/// was found with a PNG, 1 otherwise (the figures found are still written), 2 on bad input.
/// </summary>
internal static class NotebookGalleryCommand
{
    public static Command Build()
    {
        var notebooks = new Option<DirectoryInfo>("--notebooks")
        {
            Description = "Folder of the notebooks; their key figures are listed in <folder>/expected-figures/<notebook>.json.",
            DefaultValueFactory = _ => new DirectoryInfo("notebooks"),
        };
        var output = new Option<DirectoryInfo>("--out", "-o")
        {
            Description = "The gallery folder (PNG files per notebook and README.md).",
            DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("docs", "gallery")),
        };
        var full = new Option<bool>("--full") { Description = "Run the notebooks in full mode instead of quick=true (hours on a CPU)." };
        var executed = new Option<DirectoryInfo?>("--executed")
        {
            Description = "Take the executed notebooks from this folder (e.g. results/notebooks after 'ecqx notebook run') instead of running them.",
        };
        var command = new Command("gallery", "Run the notebooks (quick mode) and write the PNGs of their key figures to docs/gallery/.");
        command.Options.Add(notebooks);
        command.Options.Add(output);
        command.Options.Add(full);
        command.Options.Add(executed);
        command.SetAction(async (parseResult, ct) =>
        {
            var folder = parseResult.GetValue(notebooks)!;
            var gallery = parseResult.GetValue(output)!;
            string lists = Path.Combine(folder.FullName, "expected-figures");
            if (!Directory.Exists(lists))
            {
                Console.Error.WriteLine($"ecqx notebook gallery: no folder {lists} listing the key figures");
                return 2;
            }
            if (ChartPngRenderer.FindChromium() is null)
            {
                Console.Error.WriteLine($"ecqx notebook gallery: PNGs need Chromium (install chromium, or set {ChartPngRenderer.ExecutableVariable})");
                return 2;
            }
            var figures = new List<GalleryFigure>();
            bool complete = true;
            foreach (string list in Directory.GetFiles(lists, "*.json").OrderBy(f => f, StringComparer.Ordinal))
            {
                string name = Path.GetFileNameWithoutExtension(list) + ".ipynb";
                string input = Path.Combine(folder.FullName, name);
                if (!File.Exists(input))
                {
                    Console.Error.WriteLine($"{list}: there is no notebook {input}");
                    return 2;
                }
                IReadOnlyList<string> titles;
                try { titles = FigureGallery.Titles(list); }
                catch (InvalidDataException e) { Console.Error.WriteLine($"ecqx notebook gallery: {e.Message}"); return 2; }
                NotebookDocument notebookRun;
                if (parseResult.GetValue(executed) is { } done)
                {
                    string copy = Path.Combine(done.FullName, name);
                    if (!File.Exists(copy))
                    {
                        Console.Error.WriteLine($"{name}: no executed copy {copy}; its figures are left out");
                        complete = false;
                        continue;
                    }
                    try { notebookRun = NotebookDocument.Load(copy); }
                    catch (Exception e) when (e is InvalidDataException or IOException) { Console.Error.WriteLine($"ecqx notebook gallery: {e.Message}"); return 2; }
                }
                else
                {
                    var parameters = parseResult.GetValue(full) ? new List<KeyValuePair<string, string>>() : new List<KeyValuePair<string, string>> { new("quick", "true") };
                    var runner = new NotebookRunner(new NotebookRunnerOptions { WorkingDirectory = folder.FullName, Log = Console.Error });
                    Console.Error.WriteLine($"{name}: running ({(parseResult.GetValue(full) ? "full" : "quick")} mode) ...");
                    var (result, written) = await runner.RunFileAsync(input, null, parameters, ct);
                    if (result.Failure is { } failure)
                    {
                        Console.Error.WriteLine($"{name} failed at {failure}; partially executed copy: {written}");
                        complete = false;
                    }
                    notebookRun = result.Notebook;
                }
                var found = FigureGallery.Extract(notebookRun, name, titles, gallery.FullName, out var missing);
                figures.AddRange(found);
                foreach (string m in missing) Console.Error.WriteLine($"{name}: no figure titled '{m}' with a PNG");
                foreach (var (figure, claim) in found.SelectMany(f => (f.Claims ?? []).Where(c => !c.Holds).Select(c => (f, c))))
                {
                    Console.Error.WriteLine($"{name}: '{figure.Title}': a claim does not hold in this run: {claim.Statement} ({claim.Evidence})");
                    complete = false;
                }
                complete &= missing.Count == 0;
                Console.Error.WriteLine($"{name}: {found.Count} figure(s) written");
            }
            string index = FigureGallery.WriteIndex(gallery.FullName, figures, "./ecqx notebook gallery   # on Windows: dotnet run --project src/ECQx.Cli -c Release -- notebook gallery");
            Console.Error.WriteLine($"{figures.Count} figures in {gallery.FullName}; index {index}");
            return complete ? 0 : 1;
        });
        return command;
    }
}
