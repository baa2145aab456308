using System.Diagnostics;
using System.Text;

namespace Sower.Activator.Tests.Support;

/// <summary>Runs the real <c>sower-activator</c> binary (and the test client) as separate processes.</summary>
public static class ActivatorProcess
{
    public static string Dll => Path.Combine(TestArea.PublicBin, "sower-activator.dll");

    public static string ClientDll => Path.Combine(TestArea.PublicBin, "Sower.Activator.Tests.dll");

    /// <summary>
    /// The environment the operator would give the activator. NIX_CONFIG empties the system substituter list so that
    /// realisation never waits on the unreachable cache.nixos.org; the activator adds the operator's file:// cache.
    /// </summary>
    public static Dictionary<string, string> Environment() => new()
    {
        ["NIX_CONFIG"] = "substituters =\n",
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
    };

    /// <summary>Pipe mode as root: the request on stdin, frames on stdout.</summary>
    public static Shell.Result RunPipe(byte[] request, params string[] args) =>
        Shell.Run("dotnet", new[] { Dll }.Concat(args), Environment(), request);

    public static Shell.Result RunPipe(string requestJson, params string[] args) => RunPipe(Encoding.UTF8.GetBytes(requestJson + "\n"), args);

    /// <summary>Pipe mode as another user (runuser): the caller's privileges.</summary>
    public static Shell.Result RunPipeAs(string user, string requestJson, params string[] args) =>
        Shell.Run("runuser", new[] { "-u", user, "--", "dotnet", Dll }.Concat(args), Environment(), Encoding.UTF8.GetBytes(requestJson + "\n"));

    /// <summary>The test client, as <paramref name="user"/>, against an activator socket.</summary>
    public static Shell.Result ClientAs(string user, string socket, string requestJson) =>
        Shell.Run("runuser", ["-u", user, "--", "dotnet", ClientDll, "client", socket, requestJson], Environment());

    /// <summary>A long-running activator process (bound socket or socket activation); stderr is kept for assertions.</summary>
    public sealed class Server : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _stderr = new();
        private readonly StringBuilder _stdout = new();

        public Server(string program, IEnumerable<string> args, string socketPath, IDictionary<string, string>? extraEnv = null)
        {
            SocketPath = socketPath;
            var psi = new ProcessStartInfo(program)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            foreach (var a in args) psi.ArgumentList.Add(a);
            foreach (var (k, v) in Environment()) psi.Environment[k] = v;
            if (extraEnv is not null)
            {
                foreach (var (k, v) in extraEnv) psi.Environment[k] = v;
            }
            _process = Process.Start(psi)!;
            _process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data);
            };
            _process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not null) lock (_stdout) _stdout.AppendLine(e.Data);
            };
            _process.BeginErrorReadLine();
            _process.BeginOutputReadLine();
            var deadline = DateTime.UtcNow.AddSeconds(20);
            // Both the activator and systemd-socket-activate print "Listening" after listen(2): only then can clients connect.
            while (!File.Exists(socketPath) || !Stderr.Contains("Listening", StringComparison.Ordinal))
            {
                if (_process.HasExited) throw new InvalidOperationException($"activator exited early ({_process.ExitCode}):\n{Stderr}");
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"socket {socketPath} did not appear:\n{Stderr}");
                Thread.Sleep(20);
            }
        }

        /// <summary>Starts <c>sower-activator --socket PATH</c> with the given extra flags.</summary>
        public static Server Bound(string socketPath, params string[] args) =>
            new("dotnet", new[] { Dll, "--socket", socketPath }.Concat(args), socketPath);

        public string SocketPath { get; }

        public Process Process => _process;

        public string Stderr
        {
            get { lock (_stderr) return _stderr.ToString(); }
        }

        public bool HasExited => _process.HasExited;

        /// <summary>The journal arrives asynchronously: waits (bounded) until it contains <paramref name="text"/>.</summary>
        public string WaitForStderr(string text, TimeSpan? limit = null)
        {
            var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(10));
            while (!Stderr.Contains(text, StringComparison.Ordinal) && DateTime.UtcNow < deadline) Thread.Sleep(20);
            return Stderr;
        }

        /// <summary>Waits for the exit, then for the last redirected output (only the parameterless wait drains it).</summary>
        public bool WaitForExit(TimeSpan limit)
        {
            if (!_process.WaitForExit(limit)) return false;
            _process.WaitForExit();
            return true;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                Sower.Activator.Native.kill(_process.Id, 15);
                if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
            }
            _process.Dispose();
        }
    }
}
