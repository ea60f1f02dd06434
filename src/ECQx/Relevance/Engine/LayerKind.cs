namespace ECQx.Relevance.Engine;

/// <summary>The kinds of layer the relevance engine understands; composites map kinds to rules.</summary>
public enum LayerKind
{
    /// <summary>Conv1d / Conv2d.</summary>
    Convolution,
    /// <summary>Fully connected layer.</summary>
    Linear,
    /// <summary>BatchNorm1d / BatchNorm2d, evaluated with running statistics (eval mode).</summary>
    BatchNorm,
    /// <summary>ReLU.</summary>
    Activation,
    /// <summary>Max pooling.</summary>
    MaxPool,
    /// <summary>Average pooling, including adaptive average pooling.</summary>
    AvgPool,
    /// <summary>Flatten / reshape.</summary>
    Reshape,
    /// <summary>Dropout (the identity in eval mode).</summary>
    Dropout,
    /// <summary>Identity.</summary>
    Identity,
    /// <summary>The "option A" subsample + zero-pad shortcut (the reference's <c>LambdaLayer</c>).</summary>
    ZeroPadShortcut,
    /// <summary>The sum of a residual branch and its shortcut.</summary>
    ResidualSum,
}
