using System.CommandLine;
using ECQx.Cli.Rendering;
using ECQx.Coding;
using ECQx.Coding.Nnr;
using ECQx.IO;
using Spectre.Console;

namespace ECQx.Cli.Verbs;

/// <summary>
/// <c>ecqx compress q.safetensors --out q.ecqx [--float16]</c>: entropy-codes the quantized tensors of a
/// safetensors file into an .ecqx file and prints the size report (spec §d). <c>--out</c> may name a folder
/// (<see cref="OutputFilePath"/>): <c>--out models/</c> writes <c>models/q.ecqx</c>.
/// </summary>
public sealed class CompressVerb : ICliVerb
{
    /// <inheritdoc />
    public Command Build()
    {
        var input = new Argument<FileInfo>("input") { Description = "Quantized model (.safetensors): the quantizer's output, or any state dict whose ≥2-D float32 tensors lie on uniform grids." };
        var output = new Option<string>("--out", "-o") { Description = "The .ecqx file to write, or a folder (ending in / or existing) to write <input-name>.ecqx into.", Required = true };
        var float16 = new Option<bool>("--float16") { Description = "Store non-quantized float tensors (BN, biases) as float16 (lossy; default float32 = lossless)." };
        var greaterThan = new Option<int>("--gtx") { Description = "Number of context-coded 'greater than k' flags before the Exp-Golomb remainder (0..16).", DefaultValueFactory = _ => CoderOptions.Default.GreaterThanFlags };
        var noParamOpt = new Option<bool>("--no-param-opt") { Description = "Do not optimise per-context initialisation by a trial pass." };
        var baselines = new Option<bool>("--baselines") { Description = "Also compress the levels with Brotli, Deflate and Zstandard for comparison." };
        var format = NnrCliSupport.FormatOption();

        var command = new Command("compress", "Entropy-code a quantized model into an .ecqx file (DeepCABAC-style arithmetic coder).");
        command.Arguments.Add(input);
        command.Options.Add(output);
        command.Options.Add(float16);
        command.Options.Add(greaterThan);
        command.Options.Add(noParamOpt);
        command.Options.Add(baselines);
        command.Options.Add(format);
        var nncodec = NnrCliSupport.NnCodecOption();
        command.Options.Add(nncodec);
        command.SetAction(parse => CompressionCliErrors.Run(() =>
        {
            var options = new EcqxWriteOptions
            {
                StoreFloatsAsFloat16 = parse.GetValue(float16),
                Coder = new CoderOptions
                {
                    GreaterThanFlags = parse.GetValue(greaterThan),
                    OptimizeContextParameters = !parse.GetValue(noParamOpt),
                },
            };
            options.Coder.Validate();
            var source = parse.GetValue(input)!;
            var reference = NnrCliSupport.OpenNnCodec(parse.GetValue(nncodec));
            string? chosenFormat = parse.GetValue(format);
            var target = new FileInfo(OutputFilePath.Resolve(parse.GetValue(output)!, source.FullName,
                chosenFormat == "nnr" ? NnrModelFile.Extension : EcqxModelFile.Extension));
            EcqxModel model;
            using (var document = SafeTensors.Load(source.FullName))
            {
                model = StateDictAdapter.FromStateDict(document.Tensors, document.Metadata);
            }
            if (NnrCliSupport.WantsNnr(chosenFormat, target))
            {
                NnrCliSupport.Compress(model, source, target, options.Coder, reference);
                return;
            }
            EcqxModelFile.Write(target.FullName, model, options);
            var report = CompressionReport.Create(EcqxModelFile.ReadDetailed(target.FullName), parse.GetValue(baselines));
            CompressionReportView.Render(report, $"{source.Name} → {target.Name}");
            if (reference is not null)
                NnrCliSupport.RenderSizes(CodedSizeComparison.Measure(model, ecqxBytes: report.FileBytes, nncodec: reference));
        }));
        return command;
    }
}
