using System.Text;

namespace ECQx.Notebooks;

/// <summary>
/// Replaces <see cref="Console.Out"/> and <see cref="Console.Error"/> once per process with writers that send
/// text to the running cell's <see cref="CellCapture"/> when the writing code runs inside a notebook cell
/// (tracked by an async-local, so it follows tasks and parallel loops the cell starts), and to the
/// original console otherwise. Other code in the process keeps writing to the real console.
/// <see cref="Console.In"/> is replaced the same way: a cell's reads go to its capture's input source
/// (<see cref="ICellInput"/>: the kernel's <c>input_request</c>, or a clear error where there is no stdin).
/// </summary>
internal static class ConsoleRouter
{
    private static readonly object Gate = new();
    private static TextWriter? _installedOut;
    private static TextWriter? _installedErr;
    private static TextReader? _installedIn;

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
            if (!ReferenceEquals(Console.In, _installedIn))
            {
                Console.SetIn(new RoutingReader(Console.In));
                _installedIn = Console.In;
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

    private sealed class RoutingReader(TextReader original) : TextReader
    {
        public override string? ReadLine() => Display.Active is { } capture ? capture.ReadLine() : original.ReadLine();

        public override int Read() => Display.Active is { } capture ? capture.ReadChar(consume: true) : original.Read();

        public override int Peek() => Display.Active is { } capture ? capture.ReadChar(consume: false) : original.Peek();

        public override int Read(char[] buffer, int index, int count) =>
            Display.Active is null ? original.Read(buffer, index, count) : Read(buffer.AsSpan(index, count));

        public override int Read(Span<char> buffer)
        {
            if (Display.Active is not { } capture) return original.Read(buffer);
            // Like a console: at most the rest of the current line (with its line end) per call.
            int n = 0;
            while (n < buffer.Length)
            {
                if (n > 0 && buffer[n - 1] == '\n') break;
                buffer[n++] = (char)capture.ReadChar(consume: true);
            }
            return n;
        }

        public override string ReadToEnd() => Display.Active is null
            ? original.ReadToEnd()
            : throw new NotSupportedException("A notebook cell's console input has no end: read it line by line with Console.ReadLine().");
    }
}
