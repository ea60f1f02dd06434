using TorchSharp;
using static TorchSharp.torch;

namespace ECQx.Relevance.Engine;

/// <summary>Runs a compiled model forward, recording every layer's input (and, on request, weight graphs).</summary>
internal static class PlanRunner
{
    /// <summary>
    /// Forward pass with eval-mode semantics. Records each leaf's input; for affine leaves selected by
    /// <paramref name="recordWeightGraph"/>, records the output with the effective weight and bias as
    /// gradient-requiring leaves (and, with <paramref name="recordInputGraph"/>, the input too). Call under a
    /// dispose scope; the returned output is detached.
    /// </summary>
    public static Tensor Forward(PlanNode node, Tensor x, Func<AffinePlan, bool> recordWeightGraph, bool recordInputGraph = false)
    {
        switch (node)
        {
            case ChainPlan chain:
            {
                var current = x;
                foreach (var step in chain.Steps) current = Forward(step, current, recordWeightGraph, recordInputGraph);
                return current;
            }
            case ResidualPlan res:
            {
                var a = Forward(res.Branch, x, recordWeightGraph, recordInputGraph);
                var b = Forward(res.Shortcut, x, recordWeightGraph, recordInputGraph);
                res.BranchOutput = a;
                res.ShortcutOutput = b;
                if (!a.shape.SequenceEqual(b.shape))
                    throw new InvalidOperationException($"residual '{res.Name}': branch output [{string.Join(", ", a.shape)}] and shortcut output [{string.Join(", ", b.shape)}] differ");
                return a.add(b);
            }
            case AffinePlan aff:
            {
                aff.Input = x;
                if (recordWeightGraph(aff))
                {
                    using var _ = enable_grad();
                    var w = aff.Layer.Weight.detach().requires_grad_(true);
                    var b = aff.Layer.Bias?.detach().requires_grad_(true);
                    var xl = recordInputGraph ? x.detach().requires_grad_(true) : x;
                    var z = aff.Layer.Forward(xl, w, b);
                    aff.Record = new LayerRecord(x, z, w, b, recordInputGraph ? xl : null);
                    return z.detach();
                }
                aff.Record = null;
                using (no_grad()) return aff.Layer.Forward(x, aff.Layer.Weight, aff.Layer.Bias);
            }
            case FunctionPlan fn:
            {
                fn.Input = x;
                using (no_grad()) return fn.Forward(x);
            }
            default:
                throw new NotSupportedException($"unknown plan node {node.GetType().Name}");
        }
    }
}
