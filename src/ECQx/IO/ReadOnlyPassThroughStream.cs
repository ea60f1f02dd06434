namespace ECQx.IO;

/// <summary>
/// A forward-only, read-only stream over another stream that it owns: the base of the streams that watch the bytes
/// going through (a running CRC-32) or translate the errors of the stream below (gzip's).
/// </summary>
internal abstract class ReadOnlyPassThroughStream(Stream inner) : Stream
{
    /// <summary>The bytes read through this stream so far.</summary>
    public long BytesRead { get; private set; }

    /// <inheritdoc />
    public override bool CanRead => true;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <summary>The bytes read so far; setting it is not supported.</summary>
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public sealed override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public sealed override int Read(Span<byte> buffer)
    {
        int n = ReadInner(inner, buffer);
        BytesRead += n;
        OnRead(buffer[..n]);
        return n;
    }

    /// <summary>Reads from the stream below; override to translate its errors.</summary>
    protected virtual int ReadInner(Stream source, Span<byte> buffer) => source.Read(buffer);

    /// <summary>Sees every chunk of bytes read, in order.</summary>
    protected virtual void OnRead(ReadOnlySpan<byte> bytes)
    {
    }

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
