using System.Text.Json.Nodes;
using Xunit;

namespace ECQx.Tests.Notebooks;

/// <summary>
/// The "run this notebook headless" tasks of <c>.vscode/tasks.json</c>, run the way VS Code runs them: the variables
/// substituted, the Linux command by <c>bash -c</c>, the Windows command by PowerShell (<c>pwsh -NoProfile -Command</c>,
/// the same language as the task's <c>powershell.exe</c>). The notebook runner and the editor are stand-ins on PATH
/// (a fake <c>ecqx</c> / <c>dotnet</c> that writes the executed copy and exits with a chosen code, a fake <c>code</c>
/// that records what it opens), so what is checked is the task's own logic: the run's exit code comes back, and the
/// executed copy is opened also when a cell failed (exit 1, a partly executed copy), but not when there is none.
/// </summary>
public sealed class VsCodeTasksTests
{
    /// <summary>
    /// The command line that starts PowerShell: <c>pwsh</c> on PATH, or the dotnet tool that <c>.ci/install-prereqs</c>
    /// installs, started as <c>dotnet pwsh.dll</c> with the absolute path of the real <c>dotnet</c> (the tool's shim
    /// looks <c>dotnet</c> up on PATH, where these tests put a stand-in). Null when there is none.
    /// </summary>
    internal static string[]? Pwsh()
    {
        string[] path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        if (path.Select(dir => Path.Combine(dir, "pwsh")).FirstOrDefault(File.Exists) is { } installed) return [installed];
        string store = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "ecqx-pwsh", ".store");
        string? dll = Directory.Exists(store)
            ? Directory.EnumerateFiles(store, "pwsh.dll", SearchOption.AllDirectories).FirstOrDefault(f => f.Contains($"{Path.DirectorySeparatorChar}unix{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            : null;
        string dotnet = ChildProcess.DotnetExecutable;
        if (!Path.IsPathRooted(dotnet)) dotnet = path.Select(dir => Path.Combine(dir, "dotnet")).FirstOrDefault(File.Exists) ?? dotnet;
        return dll is null ? null : [dotnet, dll];
    }

    private static JsonObject Task(string label)
    {
        var tasks = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot(), ".vscode", "tasks.json")))!["tasks"]!.AsArray();
        return tasks.Cast<JsonObject>().Single(t => t["label"]!.GetValue<string>() == label);
    }

    /// <summary>A workspace with a notebook, a stub folder for PATH and a log of what <c>code</c> opened.</summary>
    private sealed record Workspace(string Root, string Notebook, string Stubs, string CodeLog, string ExecutedCopy);

    private static Workspace NewWorkspace()
    {
        string root = TestPaths.NewTempDir();
        string notebook = Path.Combine(root, "notebooks", "01 speech commands.ipynb"); // a space, as in real paths
        Directory.CreateDirectory(Path.GetDirectoryName(notebook)!);
        File.WriteAllText(notebook, "{}");
        string stubs = Path.Combine(root, "stubs");
        Directory.CreateDirectory(stubs);
        // The editor: records each file it is asked to open.
        WriteScript(Path.Combine(stubs, "code"), "printf '%s\\n' \"$@\" >> \"$CODE_LOG\"\n");
        // The runner (./ecqx on Linux, dotnet on Windows): records its arguments, writes the executed copy when asked, exits as told.
        string runner = "printf '%s\\n' \"$@\" > \"$RUNNER_ARGS\"\nif [ -n \"$RUNNER_COPY\" ]; then mkdir -p \"$(dirname \"$RUNNER_COPY\")\"; echo '{}' > \"$RUNNER_COPY\"; fi\nexit \"$RUNNER_EXIT\"\n";
        WriteScript(Path.Combine(root, "ecqx"), runner);
        WriteScript(Path.Combine(stubs, "dotnet"), runner);
        return new Workspace(root, notebook, stubs, Path.Combine(root, "code.log"), Path.Combine(root, "results", "notebooks", Path.GetFileName(notebook)));
    }

    private static void WriteScript(string path, string body)
    {
        File.WriteAllText(path, "#!/usr/bin/env bash\n" + body);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static string Substitute(string command, Workspace ws) => command
        .Replace("${workspaceFolder}", ws.Root).Replace("${fileBasename}", Path.GetFileName(ws.Notebook)).Replace("${file}", ws.Notebook);

    private static (int Exit, string Output, string[] Opened, string[] RunnerArgs) Run(string shell, string[] shellArgs, string command, Workspace ws, int runnerExit, bool writesCopy)
    {
        foreach (string f in new[] { ws.CodeLog, ws.ExecutedCopy }.Where(File.Exists)) File.Delete(f);
        string runnerArgs = Path.Combine(ws.Root, "runner.args");
        var env = new Dictionary<string, string>
        {
            ["PATH"] = ws.Stubs + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
            ["CODE_LOG"] = ws.CodeLog,
            ["RUNNER_ARGS"] = runnerArgs,
            ["RUNNER_EXIT"] = runnerExit.ToString(),
            ["RUNNER_COPY"] = writesCopy ? ws.ExecutedCopy : "",
        };
        var result = ChildProcess.Run(shell, ws.Root, TimeSpan.FromMinutes(2), env, [.. shellArgs, command]);
        string[] opened = File.Exists(ws.CodeLog) ? File.ReadAllLines(ws.CodeLog) : [];
        string[] args = File.Exists(runnerArgs) ? File.ReadAllLines(runnerArgs) : [];
        return (result.ExitCode, result.Transcript, opened, args);
    }

    public static TheoryData<string, bool> NotebookTasks() => new()
    {
        { "ecqx: run this notebook headless", false },
        { "ecqx: run this notebook headless (quick)", true },
    };

    [Theory]
    [MemberData(nameof(NotebookTasks))]
    public void LinuxCommandReturnsTheRunsExitCodeAndOpensTheExecutedCopy(string label, bool quick)
    {
        var ws = NewWorkspace();
        string command = Substitute(Task(label)["command"]!.GetValue<string>(), ws);
        Check(ws, quick, (exit, copy) => Run("/bin/bash", ["-c"], command, ws, exit, copy), ["notebook", "run"]);
    }

    [PowerShellTheory]
    [MemberData(nameof(NotebookTasks))]
    public void WindowsCommandDoesTheSameInPowerShell(string label, bool quick)
    {
        string[] pwsh = Pwsh()!;
        JsonObject windows = Task(label)["windows"]!.AsObject();
        var shellArgs = windows["options"]!["shell"]!["args"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray();
        Assert.Equal("powershell.exe", windows["options"]!["shell"]!["executable"]!.GetValue<string>());
        var ws = NewWorkspace();
        string command = Substitute(windows["command"]!.GetValue<string>(), ws);
        Check(ws, quick, (exit, copy) => Run(pwsh[0], [.. pwsh.Skip(1), .. shellArgs], command, ws, exit, copy), ["run", "--project", "src/ECQx.Cli", "-c", "Release", "--", "notebook", "run"]);
    }

    private static void Check(Workspace ws, bool quick, Func<int, bool, (int Exit, string Output, string[] Opened, string[] RunnerArgs)> run, string[] runnerPrefix)
    {
        // Success: exit 0, the executed copy opened, the notebook passed to the runner as one argument.
        var ok = run(0, true);
        Assert.True(ok.Exit == 0, ok.Output);
        Assert.Equal([ws.ExecutedCopy], ok.Opened.Select(p => Path.GetFullPath(p, ws.Root)).ToArray());
        Assert.Equal([.. runnerPrefix, ws.Notebook, .. quick ? new[] { "--param", "quick=true" } : []], ok.RunnerArgs);
        // A failing cell: exit 1 comes back, and the partly executed copy is opened all the same.
        var failed = run(1, true);
        Assert.True(failed.Exit == 1, failed.Output);
        Assert.Equal([ws.ExecutedCopy], failed.Opened.Select(p => Path.GetFullPath(p, ws.Root)).ToArray());
        // No executed copy (the notebook could not be read): exit 2 comes back, nothing is opened.
        var none = run(2, false);
        Assert.True(none.Exit == 2, none.Output);
        Assert.Empty(none.Opened);
    }
}

/// <summary>A theory that needs PowerShell; skipped, saying how to get it, where there is none.</summary>
public sealed class PowerShellTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when <see cref="VsCodeTasksTests.Pwsh"/> finds no PowerShell.</summary>
    public PowerShellTheoryAttribute()
    {
        if (VsCodeTasksTests.Pwsh() is null)
            Skip = "PowerShell (pwsh) is not installed: .ci/install-prereqs installs it as a dotnet tool into ~/.cache/ecqx-pwsh";
    }
}
