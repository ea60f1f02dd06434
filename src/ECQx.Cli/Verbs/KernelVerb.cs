using System.CommandLine;
using System.Diagnostics;
using ECQx.Notebooks.Kernel;

namespace ECQx.Cli.Verbs;

/// <summary>
/// <c>ecqx kernel --connection-file F</c> runs the C# (ECQx) Jupyter kernel; <c>ecqx kernel install</c>
/// writes its kernelspec (per user by default, or <c>--sys-prefix</c>, <c>--prefix DIR</c>) so that VS Code,
/// JupyterLab, Notebook and nbclient can start it; <c>ecqx kernel uninstall</c> removes it.
/// </summary>
public sealed class KernelVerb : ICliVerb
{
    /// <inheritdoc />
    public Command Build()
    {
        var connectionFile = new Option<FileInfo?>("--connection-file", "-f")
        {
            Description = "Run the kernel for this Jupyter connection file (Jupyter passes it; see kernel.json).",
        };
        var maxMessage = new Option<string?>("--max-message-mib")
        {
            Description = $"The largest message the kernel reads, in MiB (default {KernelOptions.DefaultMaxMessageBytes >> 20}, or ${KernelOptions.MaxMessageEnvironmentVariable}); larger ones are dropped before their signature is checked.",
        };
        var kernel = new Command("kernel", "The C# (ECQx) Jupyter kernel: run it, or install/uninstall its kernelspec.");
        kernel.Options.Add(connectionFile);
        kernel.Options.Add(maxMessage);
        kernel.Subcommands.Add(BuildInstall(install: true));
        kernel.Subcommands.Add(BuildInstall(install: false));
        kernel.SetAction(parseResult =>
        {
            FileInfo? file = parseResult.GetValue(connectionFile);
            if (file is null)
            {
                Console.Error.WriteLine("ecqx kernel: give --connection-file F to run the kernel, or use 'ecqx kernel install' / 'ecqx kernel uninstall'.");
                return 2;
            }
            KernelOptions options;
            try
            {
                options = parseResult.GetValue(maxMessage) is { } mib
                    ? new KernelOptions { MaxMessageBytes = KernelOptions.ParseMebibytes(mib, "--max-message-mib") }
                    : KernelOptions.FromEnvironment();
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"ecqx kernel: {e.Message}");
                return 2;
            }
            return JupyterKernel.Run(file.FullName, Console.Error, options);
        });
        return kernel;
    }

    private static Command BuildInstall(bool install)
    {
        var user = new Option<bool>("--user") { Description = "The per-user Jupyter data directory (the default)." };
        var sysPrefix = new Option<bool>("--sys-prefix") { Description = "The active Python environment (VIRTUAL_ENV or CONDA_PREFIX, else python3's sys.prefix)." };
        var prefix = new Option<DirectoryInfo?>("--prefix") { Description = "Under DIR/share/jupyter/kernels (add DIR/share/jupyter to JUPYTER_PATH)." };
        var name = new Option<string>("--name") { Description = "The kernelspec name.", DefaultValueFactory = _ => KernelSpec.DefaultName };
        var command = new Command(install ? "install" : "uninstall",
            install ? "Write the kernelspec 'C# (ECQx)' that starts this ecqx build's kernel." : "Remove the kernelspec.");
        command.Options.Add(user);
        command.Options.Add(sysPrefix);
        command.Options.Add(prefix);
        command.Options.Add(name);
        command.SetAction(parseResult =>
        {
            try
            {
                int chosen = (parseResult.GetValue(user) ? 1 : 0) + (parseResult.GetValue(sysPrefix) ? 1 : 0) + (parseResult.GetValue(prefix) is null ? 0 : 1);
                if (chosen > 1) throw new ArgumentException("choose one of --user, --sys-prefix and --prefix DIR.");
                string kernels = parseResult.GetValue(prefix) is { } dir ? KernelSpec.PrefixKernelsDirectory(dir.FullName)
                    : parseResult.GetValue(sysPrefix) ? KernelSpec.PrefixKernelsDirectory(PythonPrefix())
                    : KernelSpec.UserKernelsDirectory();
                string kernelName = parseResult.GetValue(name)!;
                if (install)
                {
                    string folder = KernelSpec.Install(kernels, kernelName, Launcher());
                    Console.WriteLine($"Installed kernelspec '{kernelName}' ({KernelSpec.DisplayName}) in {folder}");
                    return 0;
                }
                if (!KernelSpec.Uninstall(kernels, kernelName))
                {
                    Console.Error.WriteLine($"ecqx kernel uninstall: no kernelspec '{kernelName}' in {kernels}");
                    return 1;
                }
                Console.WriteLine($"Removed kernelspec '{kernelName}' from {kernels}");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                Console.Error.WriteLine($"ecqx kernel {(install ? "install" : "uninstall")}: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    /// <summary>The command that starts this build's kernel: its apphost, or <c>dotnet ECQx.Cli.dll</c>.</summary>
    private static List<string> Launcher()
    {
        string process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable is running.");
        string entry = typeof(KernelVerb).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? [process, entry] : [process];
    }

    private static string PythonPrefix()
    {
        foreach (string variable in new[] { "VIRTUAL_ENV", "CONDA_PREFIX" })
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value) return value;
        try
        {
            using var python = Process.Start(new ProcessStartInfo("python3", ["-c", "import sys; print(sys.prefix)"]) { RedirectStandardOutput = true, UseShellExecute = false })!;
            string output = python.StandardOutput.ReadToEnd().Trim();
            python.WaitForExit();
            if (python.ExitCode == 0 && output.Length > 0) return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
        throw new InvalidOperationException("--sys-prefix needs an active Python environment (VIRTUAL_ENV or CONDA_PREFIX) or python3 on PATH.");
    }
}
