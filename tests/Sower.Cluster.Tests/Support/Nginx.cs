using System.Diagnostics;

namespace Sower.Cluster.Tests.Support;

/// <summary>Debian's nginx in the foreground with its own configuration: the README's high-availability layout
/// (WebSocket upgrade, the garden hub round-robin, the other hubs and the console sticky by client address, failed
/// upstreams retried on the next node).</summary>
public sealed class Nginx : IDisposable
{
    private readonly ManagedProcess _process;

    public Nginx(string dir, int port, IEnumerable<int> upstreamPorts)
    {
        Port = port;
        Directory.CreateDirectory(Path.Combine(dir, "tmp"));
        var config = Path.Combine(dir, "nginx.conf");
        File.WriteAllText(config, Config(dir, port, upstreamPorts.ToArray()));
        _process = new ManagedProcess("nginx", Path.Combine(dir, "nginx.log"), [Executable, "-c", config, "-p", dir, "-g", "daemon off;"]);
    }

    public static string Executable => new[] { "/usr/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("nginx is not installed: apt-get install nginx-light (./test.sh installs it as root)");

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";

    public static string Config(string dir, int port, int[] upstreams)
    {
        string Servers(string indent) => string.Join("\n", upstreams.Select(p => $"{indent}server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;"));
        return $$"""
            worker_processes 1;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/error.log warn;
            events { worker_connections 1024; }
            http {
              access_log {{dir}}/access.log;
              client_body_temp_path {{dir}}/tmp/body;
              proxy_temp_path {{dir}}/tmp/proxy;
              fastcgi_temp_path {{dir}}/tmp/fastcgi;
              uwsgi_temp_path {{dir}}/tmp/uwsgi;
              scgi_temp_path {{dir}}/tmp/scgi;
              map $http_upgrade $connection_upgrade { default upgrade; '' close; }
              upstream sower { 
            {{Servers("    ")}}
              }
              upstream sower_sticky {
                ip_hash;
            {{Servers("    ")}}
              }
              server {
                listen 127.0.0.1:{{port}};
                proxy_http_version 1.1;
                proxy_set_header Host $host;
                proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                proxy_set_header X-Forwarded-Proto $scheme;
                proxy_set_header Upgrade $http_upgrade;
                proxy_set_header Connection $connection_upgrade;
                proxy_connect_timeout 2s;
                proxy_next_upstream error timeout http_502 http_503;
                location /hubs/garden { proxy_pass http://sower; proxy_read_timeout 1h; }
                location /hubs/ { proxy_pass http://sower_sticky; proxy_read_timeout 1h; }
                location /_blazor { proxy_pass http://sower_sticky; proxy_read_timeout 1h; }
                location / { proxy_pass http://sower; }
              }
            }
            """;
    }

    public async Task StartAsync()
    {
        _process.Start();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Wait.Until(async () =>
        {
            if (!_process.Running) throw new InvalidOperationException("nginx exited");
            using var response = await http.GetAsync(Url + "/healthz/live");
            return true;
        }, TimeSpan.FromSeconds(20), "nginx to listen", () => _process.Tail(20));
    }

    public void Dispose() => _process.Dispose();
}
