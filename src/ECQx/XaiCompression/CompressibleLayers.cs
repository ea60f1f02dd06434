using ECQx.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ECQx.XaiCompression;

/// <summary>One weight tensor the compression tools act on: the weight of a convolution or linear layer.</summary>
/// <param name="ModuleName">Dotted module name (e.g. <c>layer1.0.conv1</c>).</param>
/// <param name="Module">The module.</param>
/// <param name="Weight">The module's weight parameter.</param>
public sealed record CompressibleLayer(string ModuleName, nn.Module Module, Parameter Weight)
{
    /// <summary>State-dict name of the weight (<c>&lt;module&gt;.weight</c>).</summary>
    public string WeightName => ModuleName.Length == 0 ? "weight" : ModuleName + ".weight";

    /// <summary>Number of weights.</summary>
    public long Count => Weight.numel();
}

/// <summary>Finds the convolution and linear layers of a model (the tensors pruning, sharing and mixed precision act on).</summary>
public static class CompressibleLayers
{
    /// <summary>
    /// Every Conv1d, Conv2d and Linear module of <paramref name="model"/> in forward order for a layer-graph model or an
    /// <c>nn.Sequential</c> (a residual block's branch before its shortcut), otherwise in registration order.
    /// </summary>
    public static IReadOnlyList<CompressibleLayer> Of(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var list = new List<CompressibleLayer>();
        foreach (var (name, m) in model.named_modules())
        {
            Parameter? w = m switch
            {
                Conv2d c => c.weight,
                Conv1d c => c.weight,
                Linear l => l.weight,
                _ => null,
            };
            if (w is not null) list.Add(new CompressibleLayer(name, m, w));
        }
        if (list.Count == 0) throw new ArgumentException($"model {model.GetName()} has no convolution or linear layer to compress");
        if (model is not (ILayerGraphModule or Sequential)) return list;
        var order = new Dictionary<nn.Module, int>(ReferenceEqualityComparer.Instance);
        void Visit(LayerNode node)
        {
            foreach (var item in ChannelGroups.Flatten(node))
                if (item is ResidualSum rs) { Visit(rs.Branch); Visit(rs.Shortcut); }
                else if (item is ModuleStep step) order.TryAdd(step.Module, order.Count);
        }
        Visit(ChannelGroups.RootNode(model));
        return list.OrderBy(l => order.TryGetValue(l.Module, out int i) ? i : int.MaxValue).ToList();
    }

    /// <summary>The device of the model's first parameter (CPU when it has none).</summary>
    public static Device DeviceOf(nn.Module model)
    {
        foreach (var (_, p) in model.named_parameters()) return p.device;
        return CPU;
    }

    /// <summary>Throws when a weight tensor contains NaN or infinity, naming it.</summary>
    public static void CheckFinite(IEnumerable<CompressibleLayer> layers)
    {
        using var scope = NewDisposeScope();
        foreach (var l in layers)
            if (!l.Weight.detach().isfinite().all().item<bool>())
                throw new ArgumentException($"weight '{l.WeightName}' contains NaN or infinite values");
    }
}
