using Spectre.Console;

namespace ECQx.Cli.Verbs;

/// <summary>
/// The one place where a verb's expected failures become an <c>error: …</c> line and a non-zero exit code instead of
/// a stack trace: bad input (options, missing or malformed files, non-finite numbers) exits with
/// <see cref="BadInput"/>; a failed write or read of the file system (disk full, read-only or missing folder,
/// permission denied) with <see cref="IoFailure"/>; Ctrl+C or SIGTERM with <see cref="Cancelled"/> (Slurm's <c>scancel</c>
/// and time limits send SIGTERM: the work stops at the next batch and keeps its checkpoint). Every verb runs its body
/// through <see cref="Guarded(IAnsiConsole, Func{CancellationToken, int})"/> or <see cref="Guarded(TextWriter, int, Action)"/>.
/// </summary>
internal static class CliRun
{
    /// <summary>Exit code for bad input (options, files).</summary>
    public const int BadInput = 2;

    /// <summary>Exit code for a file-system failure (disk full, read-only folder, permission denied).</summary>
    public const int IoFailure = 1;

    /// <summary>Exit code after Ctrl+C or SIGTERM.</summary>
    public const int Cancelled = 130;

    /// <summary>
    /// The exit code of an expected failure, or null for an exception that is a bug (which keeps its stack trace).
    /// Missing files and folders count as bad input; other I/O errors as <see cref="IoFailure"/>.
    /// </summary>
    public static int? ExitCodeFor(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => BadInput,
        IOException or UnauthorizedAccessException or TimeoutException => IoFailure,
        ArgumentException or InvalidDataException or InvalidOperationException or NotSupportedException
            or KeyNotFoundException or FormatException => BadInput,
        _ => null,
    };

    /// <summary>Runs <paramref name="body"/> with Ctrl+C cancellation, reporting expected failures on <paramref name="console"/>.</summary>
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
            return Cancelled;
        }
        catch (Exception e) when (ExitCodeFor(e) is int code)
        {
            console.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return code;
        }
        finally { Console.CancelKeyPress -= onCancel; }
    }

    /// <summary>
    /// Runs <paramref name="body"/>, writing expected failures as <c>error: …</c> to <paramref name="error"/> and
    /// returning <paramref name="failureExitCode"/> for all of them (the coding verbs' convention); 0 on success.
    /// </summary>
    public static int Guarded(TextWriter error, int failureExitCode, Action body)
    {
        try
        {
            body();
            return 0;
        }
        catch (Exception e) when (ExitCodeFor(e) is not null)
        {
            error.WriteLine($"error: {e.Message}");
            return failureExitCode;
        }
    }
}
