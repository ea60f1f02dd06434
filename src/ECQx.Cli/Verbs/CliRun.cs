using Spectre.Console;

namespace ECQx.Cli.Verbs;

/// <summary>
/// Runs a verb body with Ctrl+C and SIGTERM cancellation (Slurm's <c>scancel</c> and time limits send SIGTERM: the work
/// stops at the next batch and keeps its checkpoint) and turns expected failures into one clear error line.
/// </summary>
internal static class CliRun
{
    /// <summary>Exit code for bad input (options, files).</summary>
    public const int BadInput = 2;

    public static int Guarded(IAnsiConsole console, Func<CancellationToken, int> body)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            cts.Cancel();
        });
        try { return body(cts.Token); }
        catch (OperationCanceledException)
        {
            console.MarkupLine("[yellow]cancelled; continue with --resume from the last checkpoint[/]");
            return 130;
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or InvalidOperationException)
        {
            console.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return BadInput;
        }
        finally { Console.CancelKeyPress -= onCancel; }
    }
}
