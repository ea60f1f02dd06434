using System.CommandLine;
using ECQx.Cli.Rendering;
using ECQx.Coding;
using ECQx.Coding.Nnr;

namespace ECQx.Cli.Verbs;

/// <summary><c>ecqx inspect q.ecqx</c>: per-layer table (shape, bits, sparsity, entropy, coded bytes) and the size report.</summary>
public sealed class InspectVerb : ICliVerb
{
    /// <inheritdoc />
    public Command Build()
    {
        var input = new Argument<FileInfo>("input") { Description = "The .ecqx file or NNR bitstream." };
        var noBaselines = new Option<bool>("--no-baselines") { Description = "Skip the Brotli/Deflate/Zstandard comparison." };
        var command = new Command("inspect", "Show an .ecqx file's layers and its size report (FP32 bytes, coded bytes, ×-factor, entropy bound).");
        command.Arguments.Add(input);
        command.Options.Add(noBaselines);
        var nncodec = NnrCliSupport.NnCodecOption();
        command.Options.Add(nncodec);
        command.SetAction(parse => CompressionCliErrors.Run(() =>
        {
            var source = parse.GetValue(input)!;
            var reference = NnrCliSupport.OpenNnCodec(parse.GetValue(nncodec));
            if (CodedModelFiles.Detect(source.FullName) == CodedModelFormat.Nnr)
            {
                NnrCliSupport.Inspect(source, reference);
                return;
            }
            var contents = EcqxModelFile.ReadDetailed(source.FullName);
            CompressionReportView.Render(CompressionReport.Create(contents, !parse.GetValue(noBaselines)), source.Name);
            NnrCliSupport.RenderSizes(CodedSizeComparison.Measure(contents.Model, ecqxBytes: contents.FileBytes, nncodec: reference));
        }));
        return command;
    }
}
