using System.CommandLine;
using ECQx.Coding;
using ECQx.Coding.Nnr;
using ECQx.IO;
using Spectre.Console;

namespace ECQx.Cli.Verbs;

/// <summary><c>ecqx decompress q.ecqx --out r.safetensors</c>: decodes an .ecqx file back to a state dict (<c>--out</c>
/// may name a folder, see <see cref="OutputFilePath"/>).</summary>
public sealed class DecompressVerb : ICliVerb
{
    /// <inheritdoc />
    public Command Build()
    {
        var input = new Argument<FileInfo>("input") { Description = "The .ecqx file or NNR bitstream." };
        var output = new Option<string>("--out", "-o") { Description = "The .safetensors file to write, or a folder (ending in / or existing) to write <input-name>.safetensors into.", Required = true };
        var command = new Command("decompress", "Decode an .ecqx file or NNR bitstream into a safetensors state dict (quantized weights bit-identical).");
        command.Arguments.Add(input);
        command.Options.Add(output);
        command.SetAction(parse => CompressionCliErrors.Run(() =>
        {
            var source = parse.GetValue(input)!;
            var target = new FileInfo(OutputFilePath.Resolve(parse.GetValue(output)!, source.FullName, ".safetensors"));
            var model = CodedModelFiles.Read(source.FullName);
            using (var tensors = StateDictAdapter.ToStateDict(model))
                SafeTensors.Save(target.FullName, tensors, StateDictAdapter.MetadataFor(model));
            int quantized = model.Tensors.Count(t => t is QuantizedTensor);
            AnsiConsole.MarkupLine(
                $"Wrote [bold]{Markup.Escape(target.Name)}[/]: {model.Tensors.Count} tensors ({quantized} dequantized from levels).");
        }));
        return command;
    }
}
