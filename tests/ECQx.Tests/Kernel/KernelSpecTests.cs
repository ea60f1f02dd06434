using System.Text.Json.Nodes;
using Xunit;

namespace ECQx.Tests.Kernel;

/// <summary>
/// <c>ecqx kernel install --prefix DIR</c> run as the real command: Jupyter's own <c>jupyter kernelspec list</c>
/// (with <c>JUPYTER_PATH</c>) finds the kernelspec with our argv, display name, language and interrupt mode,
/// the logos are PNGs that Python's zlib reads back, and <c>ecqx kernel uninstall</c> removes it again.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class KernelSpecTests
{
    private static (int Exit, string Output) Ecqx(params string[] args) =>
        JupyterClients.RunProcess(JupyterClients.Launcher()[0], [.. JupyterClients.Launcher().Skip(1), .. args], new Dictionary<string, string>(), TimeSpan.FromMinutes(2));

    /// <summary>The JSON document in a command's output (Jupyter may log a line before it).</summary>
    private static JsonNode Json(string output) => JsonNode.Parse(output[output.IndexOf('{')..(output.LastIndexOf('}') + 1)])!;

    [JupyterFact]
    public void InstalledKernelSpecIsListedByJupyterAndUninstalled()
    {
        string prefix = TestPaths.NewTempDir();
        var (exit, output) = Ecqx("kernel", "install", "--prefix", prefix);
        Assert.True(exit == 0, output);
        string jupyterPath = Path.Combine(prefix, "share", "jupyter");
        var env = new Dictionary<string, string> { ["JUPYTER_PATH"] = jupyterPath, ["JUPYTER_DATA_DIR"] = TestPaths.NewTempDir() };

        var (listExit, list) = JupyterClients.RunProcess("/usr/bin/jupyter", ["kernelspec", "list", "--json"], env, TimeSpan.FromMinutes(1));
        Assert.True(listExit == 0, list);
        var spec = Json(list)["kernelspecs"]!["ecqx-csharp"]!;
        Assert.Equal(Path.Combine(jupyterPath, "kernels", "ecqx-csharp"), spec["resource_dir"]!.GetValue<string>());
        Assert.Equal("C# (ECQx)", spec["spec"]!["display_name"]!.GetValue<string>());
        Assert.Equal("csharp", spec["spec"]!["language"]!.GetValue<string>());
        Assert.Equal("message", spec["spec"]!["interrupt_mode"]!.GetValue<string>());
        var argv = spec["spec"]!["argv"]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        Assert.Equal([.. JupyterClients.Launcher(), "kernel", "--connection-file", "{connection_file}"], argv);

        // The logos: PNG chunks whose CRCs and zlib data Python checks, at the sizes Jupyter asks for.
        string check = """
            import struct, sys, zlib
            for path, size in ((sys.argv[1], 32), (sys.argv[2], 64)):
                data = open(path, 'rb').read()
                assert data[:8] == b'\x89PNG\r\n\x1a\n', path
                pos, idat = 8, b''
                while pos < len(data):
                    n, kind = struct.unpack('>I4s', data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]
                    assert struct.unpack('>I', data[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(kind + body), (path, kind)
                    if kind == b'IHDR': assert struct.unpack('>II', body[:8]) == (size, size), path
                    if kind == b'IDAT': idat += body
                    pos += 12 + n
                assert len(zlib.decompress(idat)) == size * (1 + 4 * size), path
            print('logos ok')
            """;
        string folder = spec["resource_dir"]!.GetValue<string>();
        var (pngExit, pngOut) = JupyterClients.RunProcess(JupyterClients.Python,
            ["-c", check, Path.Combine(folder, "logo-32x32.png"), Path.Combine(folder, "logo-64x64.png")], env, TimeSpan.FromMinutes(1));
        Assert.True(pngExit == 0 && pngOut.Contains("logos ok"), pngOut);

        (exit, output) = Ecqx("kernel", "uninstall", "--prefix", prefix);
        Assert.True(exit == 0, output);
        (listExit, list) = JupyterClients.RunProcess("/usr/bin/jupyter", ["kernelspec", "list", "--json"], env, TimeSpan.FromMinutes(1));
        Assert.True(listExit == 0, list);
        Assert.Null(Json(list)["kernelspecs"]!["ecqx-csharp"]);
        (exit, output) = Ecqx("kernel", "uninstall", "--prefix", prefix);
        Assert.Equal(1, exit);
        Assert.Contains("no kernelspec 'ecqx-csharp'", output);
    }

    /// <summary>
    /// <c>ecqx kernel install --user</c> (the documented per-user step) writes where Jupyter looks for the same user,
    /// also when the home directory has no Jupyter folder yet (not a path relative to the current directory).
    /// </summary>
    [JupyterFact]
    public void UserInstallGoesWhereJupyterLooksForThatUser()
    {
        string home = Path.Combine(TestPaths.NewTempDir(), "home-without-jupyter-yet");
        string cwd = TestPaths.NewTempDir();
        (int Exit, string Output) Run(string file, params string[] args)
        {
            var start = new System.Diagnostics.ProcessStartInfo(file, args) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.Environment["HOME"] = home;
            foreach (string variable in new[] { "JUPYTER_DATA_DIR", "JUPYTER_PATH", "XDG_DATA_HOME" }) start.Environment.Remove(variable);
            using var process = System.Diagnostics.Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(120_000)) process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (process.ExitCode, output + error.Result);
        }

        var launcher = JupyterClients.Launcher();
        var (exit, output) = Run(launcher[0], [.. launcher.Skip(1), "kernel", "install", "--user"]);
        Assert.True(exit == 0, output);
        string expected = Path.Combine(home, ".local", "share", "jupyter", "kernels", "ecqx-csharp");
        Assert.True(File.Exists(Path.Combine(expected, "kernel.json")), output);
        Assert.False(Directory.Exists(Path.Combine(cwd, ".local")), "installed relative to the current directory");
        var (listExit, list) = Run("/usr/bin/jupyter", "kernelspec", "list", "--json");
        Assert.True(listExit == 0, list);
        Assert.Equal(expected, Json(list)["kernelspecs"]!["ecqx-csharp"]!["resource_dir"]!.GetValue<string>());
    }

    [Fact]
    public void BadConnectionFileIsReportedWithTheFieldAndExitCode2()
    {
        string dir = TestPaths.NewTempDir();
        string file = Path.Combine(dir, "kernel.json");
        File.WriteAllText(file, """{"transport": "tcp", "ip": "127.0.0.1", "shell_port": 70000, "iopub_port": 1, "stdin_port": 2, "control_port": 3, "hb_port": 4, "key": "k", "signature_scheme": "hmac-sha256"}""");
        var (exit, output) = Ecqx("kernel", "--connection-file", file);
        Assert.Equal(2, exit);
        Assert.Contains("shell_port", output);
        Assert.Contains(file, output);
        Assert.DoesNotContain("   at ", output);
    }
}
