using System.Text;

namespace ECQx.Notebooks;

/// <summary>
/// Replaces <see cref="Console.Out"/> and <see cref="Console.Error"/> once per process with writers that send
/// text to the running cell's <see cref="CellCapture"/> when the writing code runs inside a notebook cell
/// (tracked by an async-local, so it follows tasks and parallel loops the cell starts), and to the
/// original console otherwise. Other code in the process keeps writing to the real console.
/// </summary>
internal static class ConsoleRouter
{
    private static readonly object Gate = new();
    private static TextWriter? _installedOut;
    private static TextWriter? _installedErr;

    /// <summary>The console writers that were in place before routing (where echoed cell output goes).</summary>
    internal static TextWriter OriginalOut { get; private set; } = Console.Out;

    /// <inheritdoc cref="OriginalOut"/>
    internal static TextWriter OriginalError { get; private set; } = Console.Error;

    /// <summary>Installs the routing writers unless they are still the console's writers.</summary>
    internal static void EnsureInstalled()
    {
        lock (Gate)
        {
            if (!ReferenceEquals(Console.Out, _installedOut))
            {
                OriginalOut = Console.Out;
                Console.SetOut(new RoutingWriter(OriginalOut, "stdout"));
                _installedOut = Console.Out;
            }
            if (!ReferenceEquals(Console.Error, _installedErr))
            {
                OriginalError = Console.Error;
                Console.SetError(new RoutingWriter(OriginalError, "stderr"));
                _installedErr = Console.Error;
            }
        }
    }

    private sealed class RoutingWriter(TextWriter original, string stream) : TextWriter
    {
        public override Encoding Encoding => original.Encoding;

        public override IFormatProvider FormatProvider => original.FormatProvider;

        public override void Write(char value)
        {
            if (Display.Active is { } capture) capture.WriteStream(stream, value.ToString());
            else original.Write(value);
        }

        public override void Write(string? value)
        {
            if (value is null) return;
            if (Display.Active is { } capture) capture.WriteStream(stream, value);
            else original.Write(value);
        }

        public override void Write(char[] buffer, int index, int count)
        {
            if (Display.Active is { } capture) capture.WriteStream(stream, new string(buffer, index, count));
            else original.Write(buffer, index, count);
        }

        public override void Write(ReadOnlySpan<char> buffer)
        {
            if (Display.Active is { } capture) capture.WriteStream(stream, new string(buffer));
            else original.Write(buffer);
        }

        public override void WriteLine(string? value) => Write((value ?? "") + CoreNewLineStr);

        public override void WriteLine() => Write(CoreNewLineStr);

        public override void Flush()
        {
            if (Display.Active is null) original.Flush();
        }

        private string CoreNewLineStr => new(CoreNewLine);
    }
}
