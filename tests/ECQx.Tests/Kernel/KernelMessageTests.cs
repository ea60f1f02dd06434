using System.Text;
using ECQx.Notebooks.Kernel;
using Xunit;

namespace ECQx.Tests.Kernel;

/// <summary>
/// The kernel's checks of what a client sends, without a client: <see cref="JupyterMessage.Parse"/> refuses correctly
/// signed messages whose header cannot be read, <see cref="SignatureHistory"/> refuses a signature seen before within its
/// bound, and <see cref="KernelOptions"/> reads the size cap.
/// </summary>
public sealed class KernelMessageTests
{
    private static readonly MessageSigner Signer = new("secret");

    private static List<byte[]> Signed(byte[] header, byte[]? content = null)
    {
        byte[][] parts = [header, "{}"u8.ToArray(), "{}"u8.ToArray(), content ?? "{}"u8.ToArray()];
        return [Encoding.ASCII.GetBytes("peer"), Encoding.ASCII.GetBytes(JupyterMessage.Delimiter), Encoding.ASCII.GetBytes(Signer.Sign(parts)), .. parts];
    }

    [Theory]
    [InlineData("5", "Number 5")]
    [InlineData("{\"a\":1}", "Object {\"a\":1}")]
    [InlineData("[]", "Array []")]
    [InlineData("null", "missing")]
    public void AHeaderWhoseMessageTypeIsNotAStringIsRefused(string msgType, string shown)
    {
        byte[] header = Encoding.UTF8.GetBytes($"{{\"msg_id\":\"1\",\"session\":\"s\",\"msg_type\":{msgType}}}");
        var e = Assert.Throws<InvalidDataException>(() => JupyterMessage.Parse(Signed(header), Signer));
        Assert.Equal($"message header field 'msg_type' must be a string, not {shown}", e.Message);
    }

    [Fact]
    public void InvalidUtf8IsRefusedWhereverItIs()
    {
        byte[] badHeader = [.. "{\"msg_type\":\"execute_"u8, 0xFF, 0xFE, .. "request\"}"u8];
        Assert.Equal("message header is not valid UTF-8",
            Assert.Throws<InvalidDataException>(() => JupyterMessage.Parse(Signed(badHeader), Signer)).Message);
        byte[] badContent = [.. "{\"code\":\""u8, 0xC3, .. "\"}"u8];
        Assert.Equal("message content is not valid UTF-8",
            Assert.Throws<InvalidDataException>(() => JupyterMessage.Parse(Signed("{\"msg_type\":\"execute_request\"}"u8.ToArray(), badContent), Signer)).Message);
    }

    [Fact]
    public void AWellFormedMessageKeepsItsSignatureAndType()
    {
        List<byte[]> frames = Signed("{\"msg_type\":\"kernel_info_request\"}"u8.ToArray());
        JupyterMessage message = JupyterMessage.Parse(frames, Signer);
        Assert.Equal("kernel_info_request", message.MessageType);
        Assert.Equal(Encoding.ASCII.GetString(frames[2]), message.Signature);
        Assert.Equal(64, message.Signature.Length);
    }

    [Fact]
    public void TheSignatureHistoryRefusesRepeatsAndForgetsTheOldestWhenFull()
    {
        var history = new SignatureHistory(capacity: 3);
        Assert.True(history.Add("a"));
        Assert.False(history.Add("a"));
        Assert.True(history.Add("b"));
        Assert.True(history.Add("c"));
        Assert.True(history.Add("d")); // "a" is forgotten
        Assert.Equal(3, history.Count);
        Assert.False(history.Add("b"));
        Assert.False(history.Add("d"));
        Assert.True(history.Add("a"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SignatureHistory(0));
    }

    [Theory]
    [InlineData("64", 64L << 20)]
    [InlineData(" 0.5 ", 1L << 19)]
    [InlineData("1", 1L << 20)]
    public void TheMessageCapIsReadInMebibytes(string value, long bytes) =>
        Assert.Equal(bytes, KernelOptions.ParseMebibytes(value, "X"));

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("lots")]
    [InlineData("NaN")]
    public void ABadMessageCapIsRefusedNamingItsSource(string value)
    {
        var e = Assert.Throws<ArgumentException>(() => KernelOptions.ParseMebibytes(value, KernelOptions.MaxMessageEnvironmentVariable));
        Assert.Contains($"ECQX_KERNEL_MAX_MESSAGE_MIB = '{value}'", e.Message);
    }
}
