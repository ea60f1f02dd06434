using System.CommandLine;
using System.Globalization;
using ECQx.Coding;
using ECQx.Coding.Nnr;
using Spectre.Console;

namespace ECQx.Cli.Verbs;

/// <summary>The NNR side of the coding verbs: <c>compress --format nnr</c>, <c>inspect</c> of an NNR bitstream, and the
/// sizes of both formats side by side.</summary>
internal static class NnrCliSupport
{
    /// <summary><c>--format ecqx|nnr</c>; without it, the output's extension decides (<c>.nnr</c> → NNR).</summary>
    internal static Option<string?> FormatOption()
    {
        var option = new Option<string?>("--format")
        {
            Description = "Output format: 'ecqx' (this package's .ecqx file) or 'nnr' (an MPEG NNR bitstream that NNCodec decodes; " +
                "--gtx G sets its cabac_unary_length_minus1 = G). Default: nnr when --out ends in .nnr, else ecqx.",
        };
        option.AcceptOnlyFromAmong("ecqx", "nnr");
        return option;
    }

    /// <summary><c>--nncodec DIR</c>: put NNCodec's own sizes (built in DIR) beside .ecqx's and NNR's.</summary>
    internal static Option<DirectoryInfo?> NnCodecOption() => new("--nncodec")
    {
        Description = "folder NNCodec (the MPEG NNR reference software) was built in (.ci/install-prereqs: ~/.cache/ecqx-nncodec): " +
                      "also show NNCodec's own size of the same levels and float tensors, as the ECQx reference computes it",
    };

    /// <summary>NNCodec opened from <c>--nncodec</c>, or null when not given.</summary>
    internal static NnCodecInstallation? OpenNnCodec(DirectoryInfo? folder) => folder is null ? null : NnCodecInstallation.Open(folder.FullName);

    /// <summary>Whether the output is to be an NNR bitstream.</summary>
    internal static bool WantsNnr(string? format, FileInfo target) =>
        format is null ? string.Equals(target.Extension, NnrModelFile.Extension, StringComparison.OrdinalIgnoreCase) : format == "nnr";

    /// <summary>Writes <paramref name="model"/> as an NNR bitstream and prints its units and both formats' sizes.</summary>
    internal static void Compress(EcqxModel model, FileInfo source, FileInfo target, CoderOptions coder, NnCodecInstallation? nncodec = null)
    {
        var options = new NnrWriteOptions
        {
            UnaryLengthMinus1 = Math.Clamp(coder.GreaterThanFlags, 0, 255),
            OptimizeContextInitialization = coder.OptimizeContextParameters,
            TrialLevels = coder.TrialLevels,
        };
        NnrModelFile.Write(target.FullName, model, options);
        var contents = NnrModelFile.ReadDetailed(target.FullName);
        Render(contents, $"{source.Name} → {target.Name}");
        RenderSizes(CodedSizeComparison.Measure(contents.Model, nnrBytes: contents.FileBytes, nnrOptions: options, nncodec: nncodec));
    }

    /// <summary>Prints an NNR bitstream's units and both formats' sizes.</summary>
    internal static void Inspect(FileInfo source, NnCodecInstallation? nncodec = null)
    {
        var contents = NnrModelFile.ReadDetailed(source.FullName);
        Render(contents, source.Name);
        // Without the ecqx note the int32 tensors are NNCodec's levels: compare with .ecqx coding them as levels.
        var model = contents.HasEcqxNote ? contents.Model : CodedSizeComparison.LevelsAsQuantized(contents.Model);
        RenderSizes(CodedSizeComparison.Measure(model, nnrBytes: contents.FileBytes, nncodec: nncodec));
    }

    private static void Render(NnrFileContents contents, string title)
    {
        var table = new Table().Title(Markup.Escape(title + (contents.HasEcqxNote ? " (NNR, written by ecqx)" : " (NNR)"))).Border(TableBorder.Rounded);
        table.AddColumn("tensor");
        table.AddColumn("shape");
        table.AddColumn("payload");
        table.AddColumn(new TableColumn("bits").RightAligned());
        table.AddColumn(new TableColumn("sparsity").RightAligned());
        table.AddColumn(new TableColumn("unit B").RightAligned());
        table.AddColumn(new TableColumn("payload B").RightAligned());
        for (int i = 0; i < contents.Tensors.Count; i++)
        {
            var unit = contents.Tensors[i];
            var tensor = contents.Model.Tensors[i];
            var q = tensor as QuantizedTensor;
            table.AddRow(Markup.Escape(unit.Name), Markup.Escape(tensor.ShapeText), NnrPayloadName(unit.PayloadType) + (q is null ? "" : " (levels)"),
                q?.BitWidth.ToString(CultureInfo.InvariantCulture) ?? "",
                q is null ? "" : LevelStatistics.Sparsity(q.Levels.Span).ToString("P1", CultureInfo.InvariantCulture),
                unit.UnitBytes.ToString("N0", CultureInfo.InvariantCulture), unit.PayloadBytes.ToString("N0", CultureInfo.InvariantCulture));
        }
        AnsiConsole.Write(table);
    }

    /// <summary>The .ecqx and NNR sizes of one model, with their ×-factors over FP32.</summary>
    internal static void RenderSizes(CodedSizeComparison sizes)
    {
        var table = new Table().Title("coded size by format").Border(TableBorder.Rounded);
        table.AddColumn("format");
        table.AddColumn(new TableColumn("bytes").RightAligned());
        table.AddColumn(new TableColumn("× vs FP32").RightAligned());
        table.AddRow("FP32", sizes.Fp32Bytes.ToString("N0", CultureInfo.InvariantCulture), "1.00");
        table.AddRow(".ecqx", sizes.EcqxBytes.ToString("N0", CultureInfo.InvariantCulture), sizes.EcqxFactor.ToString("F2", CultureInfo.InvariantCulture));
        table.AddRow("NNR", sizes.NnrBytes.ToString("N0", CultureInfo.InvariantCulture), sizes.NnrFactor.ToString("F2", CultureInfo.InvariantCulture));
        if (sizes.NnCodec is { } n)
            table.AddRow(Markup.Escape($"NNCodec (levels {n.LevelBytes:N0} + floats {n.FloatBytes:N0} + {n.QuantizedTensors} steps × 4; the paper's accounting)"),
                n.PaperBytes.ToString("N0", CultureInfo.InvariantCulture), sizes.NnCodecFactor!.Value.ToString("F2", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
    }

    private static string NnrPayloadName(NnrPayloadType type) => type switch
    {
        NnrPayloadType.Int => "NNR_PT_INT",
        NnrPayloadType.Float => "NNR_PT_FLOAT",
        NnrPayloadType.RawFloat => "NNR_PT_RAW_FLOAT",
        _ => "NNR_PT_BLOCK",
    };
}
