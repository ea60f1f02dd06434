using System.Runtime.CompilerServices;

namespace ECQx.Notebooks.Execution;

/// <summary>
/// A top-level variable of the notebook: its name, its type (as C# source for the generated cell classes, and at run
/// time) and its storage, a <see cref="StrongBox{T}"/> that every cell and method using the variable reads and writes.
/// A later declaration of the same name is a new variable (a new box); the old one lives on for the methods that used it.
/// </summary>
internal sealed class CellVariable
{
    /// <param name="name">The variable's name (without a leading <c>@</c>).</param>
    /// <param name="typeText">Its type as fully qualified C# source.</param>
    /// <param name="fieldName">The name of the static field of a cell class that holds its box.</param>
    internal CellVariable(string name, string typeText, string fieldName)
    {
        Name = name;
        TypeText = typeText;
        FieldName = fieldName;
    }

    /// <summary>
    /// True when its type has no name in C# (an anonymous type, a list of them): the declaring cell then keeps the
    /// declaration as a local of that type and stores the value in an <c>object</c> box for later cells.
    /// </summary>
    internal bool LocalInItsCell { get; init; }

    /// <summary>The variable's name.</summary>
    internal string Name { get; }

    /// <summary>Its type as fully qualified C# source.</summary>
    internal string TypeText { get; }

    /// <summary>The static field that holds its box in the cell classes that use it.</summary>
    internal string FieldName { get; }

    /// <summary>The box (a <see cref="StrongBox{T}"/> of <see cref="Type"/>), created when the declaring cell was loaded.</summary>
    internal IStrongBox? Box { get; private set; }

    /// <summary>The variable's type at run time (set with <see cref="Box"/>).</summary>
    internal Type? Type { get; private set; }

    /// <summary>The variable's current value.</summary>
    internal object? Value => Box?.Value;

    /// <summary>Creates the box, of the type the compiled field of <paramref name="cellClass"/> has.</summary>
    internal void CreateBox(Type cellClass)
    {
        Type boxType = cellClass.GetField(FieldName)!.FieldType;
        Box = (IStrongBox)Activator.CreateInstance(boxType)!;
        Type = boxType.GetGenericArguments()[0];
    }

    /// <summary>Hands the box to the compiled field of <paramref name="cellClass"/>.</summary>
    internal void Bind(Type cellClass) => cellClass.GetField(FieldName)!.SetValue(null, Box);
}

/// <summary>A variable a cell declared, as the headless runner reports it (e.g. to type <c>--param</c> overrides).</summary>
/// <param name="Name">The variable's name.</param>
/// <param name="Type">Its declared type.</param>
/// <param name="Value">Its value when the cell ended.</param>
internal sealed record DeclaredVariable(string Name, Type Type, object? Value);
