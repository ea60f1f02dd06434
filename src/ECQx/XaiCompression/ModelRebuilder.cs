using ECQx.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ECQx.XaiCompression;

/// <summary>
/// A model rebuilt from another layer-graph model with some modules replaced (e.g. smaller convolutions after
/// structured pruning). Its forward runs the original structure; its parameters keep the original dotted
/// state-dict names (containers are recreated as plain modules), so the relevance engine, the trainer and
/// safetensors round trips work on it as on the original.
/// </summary>
public sealed class RebuiltModel : GraphModule
{
    internal RebuiltModel(string name, LayerNode graph, IReadOnlyList<(string Path, nn.Module Module)> stateful) : base(name)
    {
        var containers = new Dictionary<string, ModuleContainer>(StringComparer.Ordinal);
        foreach (var (path, module) in stateful)
        {
            var parts = path.Split('.');
            if (parts.Length == 1) { Add(parts[0], module); continue; }
            ModuleContainer? parent = null;
            string prefix = "";
            for (int i = 0; i < parts.Length - 1; i++)
            {
                prefix = i == 0 ? parts[0] : prefix + "." + parts[i];
                if (!containers.TryGetValue(prefix, out var c))
                {
                    c = new ModuleContainer(parts[i]);
                    if (parent is null) Add(parts[i], c); else parent.AddChild(parts[i], c);
                    containers[prefix] = c;
                }
                parent = c;
            }
            parent!.AddChild(parts[^1], module);
        }
        Complete(graph, registerFields: false);
    }

    private sealed class ModuleContainer : nn.Module
    {
        public ModuleContainer(string name) : base(name) { }
        public void AddChild(string name, nn.Module m) => register_module(name, m);
    }
}

/// <summary>Rebuilds a layer-graph model with replaced modules.</summary>
public static class ModelRebuilder
{
    /// <summary>
    /// A new model with the same forward structure as <paramref name="model"/> in which every module with
    /// parameters or buffers is replaced by <paramref name="replace"/>(name, module) — which must return a new
    /// module (a copy when nothing changes). Parameterless modules (activations, pools, reshapes) are shared.
    /// The train/eval mode is copied.
    /// </summary>
    public static RebuiltModel Rebuild(nn.Module<Tensor, Tensor> model, Func<string, nn.Module<Tensor, Tensor>, nn.Module<Tensor, Tensor>> replace)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(replace);
        var names = new Dictionary<nn.Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, m) in model.named_modules()) names.TryAdd(m, name);
        var stateful = new List<(string, nn.Module)>();
        var mapped = new Dictionary<nn.Module, nn.Module<Tensor, Tensor>>(ReferenceEqualityComparer.Instance);

        LayerNode Rewrite(LayerNode node, bool functional) => node switch
        {
            LayerChain c => new LayerChain(c.Steps.Select(s => Rewrite(s, functional)).ToList()),
            ResidualSum r => new ResidualSum(Rewrite(r.Branch, functional), Rewrite(r.Shortcut, functional), r.FunctionalAdd),
            ModuleStep { Module: ILayerGraphModule g } s => Rewrite(g.Graph, functional || s.Functional),
            ModuleStep { Module: Sequential seq } s => new LayerChain(seq.children()
                .Select(ch => Rewrite(new ModuleStep((nn.Module<Tensor, Tensor>)ch), functional || s.Functional)).ToList()),
            ModuleStep s => new ModuleStep(Map(s.Module), functional || s.Functional),
            _ => throw new NotSupportedException($"unknown layer-graph node {node.GetType().Name}"),
        };

        nn.Module<Tensor, Tensor> Map(nn.Module<Tensor, Tensor> m)
        {
            if (mapped.TryGetValue(m, out var done)) return done;
            bool hasState = m.parameters(recurse: false).Any() || m.buffers(recurse: false).Any();
            if (!hasState) return mapped[m] = m;
            string name = names.TryGetValue(m, out var n) ? n
                : throw new InvalidOperationException($"module of type {m.GetType().Name} in the layer graph is not registered in the model");
            var r = replace(name, m);
            if (ReferenceEquals(r, m)) throw new InvalidOperationException($"replacement of '{name}' must be a new module");
            stateful.Add((name, r));
            return mapped[m] = r;
        }

        var graph = Rewrite(ChannelGroups.RootNode(model), false);
        var rebuilt = new RebuiltModel(model.GetName(), graph, stateful);
        rebuilt.train(model.training);
        return rebuilt;
    }

    /// <summary>A conv/linear/batch-norm module rebuilt from <paramref name="m"/> with the given output and input index selections (null = all).</summary>
    public static nn.Module<Tensor, Tensor> Slice(nn.Module<Tensor, Tensor> m, Tensor? outputKeep, Tensor? inputKeep)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor Sel(Tensor t, int dim, Tensor? keep) => keep is null ? t.detach().clone() : t.detach().index_select(dim, keep.to(t.device)).contiguous();
        switch (m)
        {
            case Conv2d c:
            {
                if (c.padding_type == Padding.Same) throw new NotSupportedException("padding 'same' convolutions are not supported by the rebuilder");
                var w = Sel(Sel(c.weight!, 0, outputKeep), 1, inputKeep);
                var pad = c.padding ?? new long[] { 0, 0 };
                var n = nn.Conv2d(w.shape[1], w.shape[0], (c.kernel_size[0], c.kernel_size[1]), stride: (c.stride[0], c.stride[1]),
                    padding: (pad[0], pad[1]), dilation: (c.dilation[0], c.dilation[1]), padding_mode: c.padding_mode, groups: 1,
                    bias: c.bias is not null, device: w.device, dtype: w.dtype);
                n.weight!.detach().copy_(w);
                if (c.bias is not null) n.bias!.detach().copy_(Sel(c.bias, 0, outputKeep));
                return n;
            }
            case Conv1d c:
            {
                if (c.padding_type == Padding.Same) throw new NotSupportedException("padding 'same' convolutions are not supported by the rebuilder");
                var w = Sel(Sel(c.weight!, 0, outputKeep), 1, inputKeep);
                var pad = c.padding ?? new long[] { 0 };
                var n = nn.Conv1d(w.shape[1], w.shape[0], c.kernel_size[0], stride: c.stride[0], padding: pad[0], dilation: c.dilation[0],
                    padding_mode: c.padding_mode, groups: 1, bias: c.bias is not null, device: w.device, dtype: w.dtype);
                n.weight!.detach().copy_(w);
                if (c.bias is not null) n.bias!.detach().copy_(Sel(c.bias, 0, outputKeep));
                return n;
            }
            case Linear l:
            {
                var w = Sel(Sel(l.weight!, 0, outputKeep), 1, inputKeep);
                var n = nn.Linear(w.shape[1], w.shape[0], hasBias: l.bias is not null, device: w.device, dtype: w.dtype);
                n.weight!.detach().copy_(w);
                if (l.bias is not null) n.bias!.detach().copy_(Sel(l.bias, 0, outputKeep));
                return n;
            }
            case BatchNorm2d or BatchNorm1d:
            {
                if (inputKeep is not null) throw new ArgumentException("a batch norm has no separate input selection");
                var bn = (NormBase)m;
                var mean = Sel(bn.running_mean!, 0, outputKeep);
                long f = mean.shape[0];
                nn.Module<Tensor, Tensor> n = m is BatchNorm2d
                    ? nn.BatchNorm2d(f, bn.eps, bn.momentum ?? 0.1, bn.affine, bn.track_running_stats, device: mean.device, dtype: mean.dtype)
                    : nn.BatchNorm1d(f, bn.eps, bn.momentum ?? 0.1, bn.affine, bn.track_running_stats, device: mean.device, dtype: mean.dtype);
                var nb = (NormBase)n;
                nb.running_mean!.copy_(mean);
                nb.running_var!.copy_(Sel(bn.running_var!, 0, outputKeep));
                if (bn.num_batches_tracked is not null && nb.num_batches_tracked is not null) nb.num_batches_tracked.copy_(bn.num_batches_tracked);
                if (bn.weight is not null) nb.weight!.detach().copy_(Sel(bn.weight, 0, outputKeep));
                if (bn.bias is not null) nb.bias!.detach().copy_(Sel(bn.bias, 0, outputKeep));
                return n;
            }
            default:
                if (outputKeep is null && inputKeep is null)
                    throw new NotSupportedException($"cannot copy module of type {m.GetType().Name} (only Conv1d/Conv2d/Linear/BatchNorm1d/2d are rebuilt)");
                throw new NotSupportedException($"cannot slice module of type {m.GetType().Name}");
        }
    }
}
