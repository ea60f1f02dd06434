using ECQx.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ECQx.Relevance.Engine;

/// <summary>
/// Turns a model into a <see cref="PlanNode"/> tree of known layers, reading (never writing) its parameters and
/// batch-norm statistics as detached tensors, with eval-mode semantics whatever the model's current mode.
/// Any layer the engine does not know is an error that names it.
/// </summary>
internal static class PlanCompiler
{
    /// <summary>The layer types the engine understands, for error messages.</summary>
    public const string SupportedLayers =
        "Conv1d, Conv2d, Linear, BatchNorm1d, BatchNorm2d, ReLU, MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d, " +
        "Flatten, ReshapeTo, Dropout, Identity, ZeroPadSubsample, Sequential, and ILayerGraphModule containers " +
        "(chains and residual sums)";

    public static PlanNode Compile(nn.Module model)
    {
        var names = new Dictionary<nn.Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, m) in model.named_modules()) names.TryAdd(m, name);
        names.TryAdd(model, "");
        return new Compiler(names).Module(model, functional: false, fallbackName: "");
    }

    /// <summary>The device of the model's first parameter or buffer (CPU when it has none).</summary>
    public static Device DeviceOf(nn.Module model)
    {
        foreach (var (_, p) in model.named_parameters()) return p.device;
        foreach (var (_, b) in model.named_buffers()) return b.device;
        return CPU;
    }

    private sealed class Compiler
    {
        private readonly Dictionary<nn.Module, string> _names;
        private int _anonymous;

        public Compiler(Dictionary<nn.Module, string> names) => _names = names;

        public PlanNode Module(nn.Module m, bool functional, string fallbackName)
        {
            string name = _names.TryGetValue(m, out var n) ? n : $"{fallbackName}({m.GetType().Name}#{++_anonymous})";
            string Param(string p) => name.Length == 0 ? p : name + "." + p;
            switch (m)
            {
                case ILayerGraphModule g:
                    return Node(g.Graph, name, functional);
                case Sequential s:
                    return new ChainPlan(s.named_children().Select(c => Module(c.module, functional, name)).ToList());
                case Conv2d conv:
                    return new AffinePlan(ConvLayer(conv, name, Param, twoD: true), functional);
                case Conv1d conv:
                    return new AffinePlan(ConvLayer(conv, name, Param, twoD: false), functional);
                case Linear lin:
                {
                    var w = lin.weight!.detach();
                    var b = lin.bias?.detach();
                    var layer = new AffineLayer(name, LayerKind.Linear, w, b, Param("weight"), b is null ? null : Param("bias"),
                        (x, wt, bs) => nn.functional.linear(x, wt, bs));
                    return new AffinePlan(layer, functional);
                }
                case BatchNorm1d or BatchNorm2d:
                    return BatchNorm((NormBase)m, name, Param, functional);
                case ReLU:
                    return new FunctionPlan(name, LayerKind.Activation, functional, x => x.relu());
                case MaxPool1d or MaxPool2d:
                    return Parameterless(m, name, LayerKind.MaxPool, functional);
                case AvgPool1d or AvgPool2d or AdaptiveAvgPool1d or AdaptiveAvgPool2d:
                    return Parameterless(m, name, LayerKind.AvgPool, functional);
                case Flatten or ReshapeTo:
                    return Parameterless(m, name, LayerKind.Reshape, functional);
                case Dropout:
                    return new FunctionPlan(name, LayerKind.Dropout, functional, x => x.alias()); // eval: identity
                case Identity:
                    return new FunctionPlan(name, LayerKind.Identity, functional, x => x.alias());
                case ZeroPadSubsample:
                    return Parameterless(m, name, LayerKind.ZeroPadShortcut, functional);
                default:
                    throw new NotSupportedException(
                        $"The relevance engine does not support layer '{(name.Length == 0 ? "<root>" : name)}' of type {m.GetType().FullName}. " +
                        $"Supported: {SupportedLayers}.");
            }
        }

        private PlanNode Node(LayerNode node, string owner, bool functional) => node switch
        {
            ModuleStep step => Module(step.Module, functional || step.Functional, owner),
            LayerChain chain => new ChainPlan(chain.Steps.Select(s => Node(s, owner, functional)).ToList()),
            ResidualSum res => new ResidualPlan(owner.Length == 0 ? "sum" : owner + ".sum",
                Node(res.Branch, owner, functional), Node(res.Shortcut, owner, functional), res.FunctionalAdd || functional),
            _ => throw new NotSupportedException($"Unknown layer-graph node {node.GetType().Name} in '{owner}'."),
        };

        private static FunctionPlan Parameterless(nn.Module m, string name, LayerKind kind, bool functional)
        {
            var module = (nn.Module<Tensor, Tensor>)m;
            return new FunctionPlan(name, kind, functional, module.forward);
        }

        private static AffineLayer ConvLayer(Convolution conv, string name, Func<string, string> param, bool twoD)
        {
            if (conv.padding_mode != PaddingModes.Zeros)
                throw new NotSupportedException($"Convolution '{name}' uses padding mode {conv.padding_mode}; the relevance engine supports zero padding only.");
            if (conv.padding_type == Padding.Same)
                throw new NotSupportedException($"Convolution '{name}' uses padding 'same'; give explicit padding sizes.");
            long[] stride = conv.stride;
            long[] padding = SafeConvolution.ExplicitPadding(conv);
            long[] dilation = conv.dilation;
            long groups = conv.groups;
            var w = conv.weight!.detach();
            var b = conv.bias?.detach();
            Func<Tensor, Tensor, Tensor?, Tensor> f = twoD
                ? (x, wt, bs) => SafeConvolution.Conv2d(x, wt, bs, stride, padding, dilation, groups)
                : (x, wt, bs) => SafeConvolution.Conv1d(x, wt, bs, stride[0], padding[0], dilation[0], groups);
            return new AffineLayer(name, LayerKind.Convolution, w, b, param("weight"), b is null ? null : param("bias"), f);
        }

        private static AffinePlan BatchNorm(NormBase bn, string name, Func<string, string> param, bool functional)
        {
            if (bn.running_mean is null || bn.running_var is null)
                throw new NotSupportedException($"Batch norm '{name}' tracks no running statistics, so it has no eval-mode form the relevance engine can use.");
            var mean = bn.running_mean.detach();
            var gamma = bn.weight?.detach() ?? ones_like(mean);
            var beta = bn.bias?.detach() ?? zeros_like(mean);
            var state = new BatchNormState(mean, bn.running_var.detach(), bn.eps);
            var layer = new AffineLayer(name, LayerKind.BatchNorm, gamma, beta,
                bn.weight is null ? null : param("weight"), bn.bias is null ? null : param("bias"),
                (x, g, b) => BatchNormForward(x, state, g, b));
            return new AffinePlan(layer, functional, state);
        }
    }

    /// <summary>Eval-mode batch norm with explicit per-channel parameters: <c>(x − mean)/√(var + eps)·γ + β</c>.</summary>
    internal static Tensor BatchNormForward(Tensor x, BatchNormState state, Tensor gamma, Tensor? beta)
    {
        if (x.dim() < 2) throw new ArgumentException($"batch norm input needs [N, C, …], got [{string.Join(", ", x.shape)}]");
        return nn.functional.batch_norm(x, state.Mean, state.Variance, gamma, beta, training: false, momentum: 0.0, eps: state.Eps);
    }
}
