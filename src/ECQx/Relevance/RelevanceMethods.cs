using ECQx.Relevance.Lrp;

namespace ECQx.Relevance;

/// <summary>Options for <see cref="RelevanceMethods.Create"/> beyond what the name selects.</summary>
public sealed record RelevanceOptions
{
    /// <summary>LRP weight rule: <c>epsilon</c> (reference default) or <c>gamma</c>.</summary>
    public string WeightRule { get; init; } = "epsilon";
    /// <summary>LRP canonizer (<see cref="Canonizers"/>): <c>bn_affine</c> (reference default: batch-norm re-parameterisation; alias <c>resnet</c>), <c>merge_bn</c>, <c>none</c>.</summary>
    public string Canonizer { get; init; } = Canonizers.Default;
    /// <summary>Start relevance at the target logit (LRP).</summary>
    public OutputRelevance Output { get; init; } = OutputRelevance.Logit;
    /// <summary>Divide the start relevance / multiplier by the batch size (reference: yes).</summary>
    public bool DivideByBatch { get; init; } = true;
    /// <summary>DeepLIFT reference (overrides a <c>deeplift:&lt;ref&gt;</c> suffix when set).</summary>
    public DeepLiftReference? DeepLiftReference { get; init; }
    /// <summary>Seed of the random control (overrides a <c>random:&lt;seed&gt;</c> suffix when set).</summary>
    public long? Seed { get; init; }
}

/// <summary>
/// The registry of weight-relevance methods by name: <c>lrp</c> (reference default composite),
/// <c>lrp:&lt;composite&gt;</c>, <c>deeplift</c> / <c>deeplift:zeros</c> / <c>deeplift:mean</c>, <c>gradxweight</c>,
/// <c>magnitude</c>, <c>random</c> / <c>random:&lt;seed&gt;</c>.
/// </summary>
public static class RelevanceMethods
{
    /// <summary>The method families.</summary>
    public static IReadOnlyList<string> Families { get; } = new[] { "lrp", "deeplift", "gradxweight", "magnitude", "random" };

    /// <summary>Every accepted name (families plus each <c>lrp:&lt;composite&gt;</c> and DeepLIFT reference).</summary>
    public static IReadOnlyList<string> Names =>
        new[] { "lrp" }.Concat(LrpComposites.Names.Select(c => "lrp:" + c))
            .Concat(new[] { "deeplift", "deeplift:zeros", "deeplift:mean", "gradxweight", "magnitude", "random" }).ToArray();

    /// <summary>Creates a method by name; unknown names are an error listing the known ones.</summary>
    public static IWeightRelevanceMethod Create(string name, RelevanceOptions? options = null)
    {
        options ??= new RelevanceOptions();
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("relevance method name is empty", nameof(name));
        string spec = name.Trim();
        int colon = spec.IndexOf(':');
        string family = (colon < 0 ? spec : spec[..colon]).ToLowerInvariant();
        string? arg = colon < 0 ? null : spec[(colon + 1)..];
        switch (family)
        {
            case "lrp":
                return new LrpRelevance(LrpComposites.Create(arg ?? LrpComposites.DefaultName), WeightRules.Create(options.WeightRule),
                    Canonizers.Create(options.Canonizer), options.Output, options.DivideByBatch);
            case "deeplift":
                return new DeepLiftRelevance(options.DeepLiftReference ?? DeepLiftReference.Parse(arg ?? "zeros"), options.DivideByBatch);
            case "gradxweight" or "gradient_x_weight" or "gradient":
                NoArgument();
                return GradientTimesWeight.Create(options.DivideByBatch);
            case "magnitude" or "abs":
                NoArgument();
                return new MagnitudeRelevance();
            case "random":
            {
                long seed = options.Seed ?? 0;
                if (options.Seed is null && arg is not null && !long.TryParse(arg, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out seed))
                    throw new ArgumentException($"random relevance seed '{arg}' is not an integer", nameof(name));
                return new RandomRelevance(seed);
            }
            default:
                throw new ArgumentException($"unknown relevance method '{name}'. Known: {string.Join(", ", Families)} (e.g. {string.Join(", ", Names.Take(4))})", nameof(name));
        }

        void NoArgument()
        {
            if (arg is not null) throw new ArgumentException($"relevance method '{family}' takes no ':{arg}' argument", nameof(name));
        }
    }
}
