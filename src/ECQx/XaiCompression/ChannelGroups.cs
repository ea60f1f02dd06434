using ECQx.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ECQx.XaiCompression;

/// <summary>
/// A structurally prunable group: the output channels (conv filters) or output neurons (linear rows) of
/// <see cref="ProducerName"/>, the batch norms that act on them per channel, and the layer that consumes them
/// (its input channels, or — after a flatten — its input features <c>c·S … c·S + S − 1</c> of channel c).
/// </summary>
/// <param name="ProducerName">Dotted name of the conv/linear whose outputs are pruned.</param>
/// <param name="Producer">That module.</param>
/// <param name="Norms">Batch norms between producer and consumer (name, module).</param>
/// <param name="ConsumerName">Dotted name of the consuming conv/linear.</param>
/// <param name="Consumer">That module.</param>
/// <param name="FeaturesPerChannel">S: consumer input features per producer channel (1 without a flatten).</param>
public sealed record ChannelGroup(string ProducerName, nn.Module Producer, IReadOnlyList<(string Name, NormBase Module)> Norms,
    string ConsumerName, nn.Module Consumer, long FeaturesPerChannel)
{
    /// <summary>Number of output channels/neurons of the producer.</summary>
    public long Units => ChannelGroups.OutputUnits(Producer);

    /// <summary>State-dict name of the producer's weight.</summary>
    public string ProducerWeightName => ProducerName + ".weight";
}

/// <summary>
/// Finds the structurally prunable groups of a layer-graph model (<see cref="ILayerGraphModule"/>, or an
/// <c>nn.Sequential</c>). Rule (this package's): inside one chain, a Conv2d/Linear producer whose output reaches
/// a Conv2d/Linear consumer of the same chain only through per-channel operations (batch norm, ReLU, max/avg
/// pools, dropout, identity, and for conv→linear one flatten) is prunable. Anything else in between (a residual
/// sum, a reshape, the end of the chain) makes it unprunable. For the CIFAR ResNets this leaves exactly the inner
/// <c>conv1</c> of every basic block (its filters, <c>bn1</c>, and <c>conv2</c>'s input channels): block outputs
/// feed residual sums and stay whole. The classifier's outputs are never pruned. Grouped convolutions are not prunable.
/// </summary>
public static class ChannelGroups
{
    /// <summary>The prunable groups of <paramref name="model"/>, in forward order.</summary>
    public static IReadOnlyList<ChannelGroup> Find(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var names = new Dictionary<nn.Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, m) in model.named_modules()) names.TryAdd(m, name);
        var root = RootNode(model);
        var groups = new List<ChannelGroup>();
        Visit(root, names, groups);
        return groups;
    }

    internal static LayerNode RootNode(nn.Module model) => model switch
    {
        ILayerGraphModule g => g.Graph,
        Sequential s => new LayerChain(s.children().Select(c => (LayerNode)new ModuleStep((nn.Module<Tensor, Tensor>)c)).ToList()),
        _ => throw new NotSupportedException($"structured pruning needs a layer-graph model (ECQx.Models) or an nn.Sequential, got {model.GetType().Name}"),
    };

    /// <summary>The node's chain with containers (graph modules, sequentials) expanded, residual sums kept as items.</summary>
    internal static List<LayerNode> Flatten(LayerNode node)
    {
        var items = new List<LayerNode>();
        void Add(LayerNode n)
        {
            switch (n)
            {
                case LayerChain c: foreach (var s in c.Steps) Add(s); break;
                case ModuleStep { Module: ILayerGraphModule g }: Add(g.Graph); break;
                case ModuleStep { Module: Sequential seq }:
                    foreach (var c in seq.children()) Add(new ModuleStep((nn.Module<Tensor, Tensor>)c)); break;
                default: items.Add(n); break;
            }
        }
        Add(node);
        return items;
    }

    private static void Visit(LayerNode node, Dictionary<nn.Module, string> names, List<ChannelGroup> groups)
    {
        var items = Flatten(node);
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i] is ResidualSum rs) { Visit(rs.Branch, names, groups); Visit(rs.Shortcut, names, groups); continue; }
            if (items[i] is not ModuleStep { Module: var producer } || !IsProducer(producer)) continue;
            var norms = new List<(string, NormBase)>();
            bool flattened = false;
            for (int j = i + 1; j < items.Count; j++)
            {
                if (items[j] is not ModuleStep { Module: var m }) break;
                if (m is NormBase bn && (m is BatchNorm1d or BatchNorm2d)) { norms.Add((Name(bn), bn)); continue; }
                if (m is ReLU or MaxPool2d or MaxPool1d or AvgPool2d or AvgPool1d or AdaptiveAvgPool2d or AdaptiveAvgPool1d or Dropout or Identity) continue;
                if (m is Flatten && !flattened && producer is Conv2d or Conv1d) { flattened = true; continue; }
                if (IsProducer(m))
                {
                    long units = OutputUnits(producer);
                    long s = 1;
                    bool convProducer = producer is Conv2d or Conv1d;
                    if (m is Linear lin)
                    {
                        long inF = lin.weight!.shape[1];
                        if (convProducer != flattened || inF % units != 0) break;
                        s = inF / units;
                    }
                    else if (!convProducer || flattened || InputUnits(m) != units || m.GetType() != producer.GetType()) break;
                    if (units > 1) groups.Add(new ChannelGroup(Name(producer), producer, norms, Name(m), m, s));
                }
                break;
            }
        }

        string Name(nn.Module m) => names.TryGetValue(m, out var n) ? n
            : throw new InvalidOperationException($"module of type {m.GetType().Name} in the layer graph is not registered in the model");
    }

    private static bool IsProducer(nn.Module m) => m switch
    {
        Conv2d c => c.groups == 1,
        Conv1d c => c.groups == 1,
        Linear => true,
        _ => false,
    };

    /// <summary>Output channels (conv) or output features (linear) of a producer.</summary>
    internal static long OutputUnits(nn.Module m) => m switch
    {
        Conv2d c => c.weight!.shape[0],
        Conv1d c => c.weight!.shape[0],
        Linear l => l.weight!.shape[0],
        _ => throw new ArgumentException($"{m.GetType().Name} is not a conv or linear layer"),
    };

    private static long InputUnits(nn.Module m) => m switch
    {
        Conv2d c => c.weight!.shape[1],
        Conv1d c => c.weight!.shape[1],
        Linear l => l.weight!.shape[1],
        _ => -1,
    };
}
