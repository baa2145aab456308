using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sower.Cli.Commands;
using Sower.Messages.GardenDaemon;

namespace Sower.Cli.Infrastructure;

/// <summary>
/// Connection and credentials (REFERENCE §8): <c>-e/--endpoint</c> (SOWER_ENDPOINT), <c>--access-token</c>
/// (SOWER_ACCESS_TOKEN), <c>--access-token-file</c> (SOWER_ACCESS_TOKEN_FILE, ignored when a token is given),
/// <c>-c/--config-file</c> (repeatable, SOWER_CONFIG_FILE, merged in order; default by the §5.1 rule).
/// Precedence: flags, then environment, then config files, then defaults.
/// </summary>
/// <param name="configFileShortAlias">False for commands that use <c>-c</c> for something else (<c>sower build -c/--cache</c>).</param>
public sealed class ConnectionOptions(bool configFileShortAlias = true)
{
    public Option<string?> Endpoint { get; } = new("--endpoint", "-e") { Description = "Server base URL (env SOWER_ENDPOINT, config endpoint)" };

    public Option<string?> AccessToken { get; } = new("--access-token") { Description = "Access token sower_… (env SOWER_ACCESS_TOKEN)" };

    public Option<string?> AccessTokenFile { get; } = new("--access-token-file")
    {
        Description = "File holding the access token (env SOWER_ACCESS_TOKEN_FILE; ignored when a token is given)",
    };

    public Option<string[]> ConfigFiles { get; } = new("--config-file", configFileShortAlias ? ["-c"] : [])
    {
        Description = "client.json to read (repeatable, merged in order; env SOWER_CONFIG_FILE; default /etc/sower/client.json or ~/.config/sower/client.json)",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Endpoint);
        command.Options.Add(AccessToken);
        command.Options.Add(AccessTokenFile);
        command.Options.Add(ConfigFiles);
    }

    /// <summary>The merged config files: files given with -c must exist; the located one may be missing.</summary>
    public JsonObject ReadConfig(ParseResult result, CliIo io)
    {
        var explicitFiles = result.GetValue(ConfigFiles) ?? [];
        var files = explicitFiles.Length > 0
            ? explicitFiles.Select(f => (Path: f, Required: true)).ToList()
            // The located file (SOWER_CONFIG_FILE or the default) may be missing: built-in defaults only (REFERENCE §5.1).
            : [(ClientConfigLocator.Locate(null, io.Env, ProcessIdentity.IsRoot, io.Env("HOME") ?? ProcessIdentity.Home, File.Exists), Required: false)];
        var merged = new JsonObject();
        foreach (var (path, required) in files)
        {
            if (!File.Exists(path))
            {
                if (required) throw new CliFailure(ExitCodes.Usage, $"config file {path} does not exist");
                continue;
            }
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliFailure(ExitCodes.Usage, $"cannot read config file {path}: {(e is UnauthorizedAccessException ? "permission denied" : e.Message)}");
            }
            catch (JsonException e)
            {
                throw new CliFailure(ExitCodes.Usage, $"config file {path} is not valid JSON: {e.Message}");
            }
            if (node is not JsonObject o) throw new CliFailure(ExitCodes.Usage, $"config file {path} must hold a JSON object");
            foreach (var (key, value) in o.ToList())
            {
                merged[key] = value?.DeepClone();
            }
        }
        return merged;
    }

    public ServerConnection Resolve(ParseResult result, CliIo io)
    {
        var config = ReadConfig(result, io);
        var env = ConfigEnvironment.FromProcess() with { Variable = io.Env };

        var endpoint = First(result.GetValue(Endpoint), io.Env("SOWER_ENDPOINT"), ConfigString(config, "endpoint"));
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            throw new CliFailure(ExitCodes.Usage, "no server endpoint: pass --endpoint, set SOWER_ENDPOINT, or set endpoint in client.json");
        }
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw new CliFailure(ExitCodes.Usage, $"the endpoint must be an http:// or https:// URL, got \"{endpoint}\"");
        }

        string? token = null;
        // Each level: a token wins over a token file (REFERENCE §8); flags beat the environment, which beats config.
        foreach (var (value, file, label) in new (string?, string?, string)[]
                 {
                     (result.GetValue(AccessToken), result.GetValue(AccessTokenFile), "--access-token-file"),
                     (io.Env("SOWER_ACCESS_TOKEN"), io.Env("SOWER_ACCESS_TOKEN_FILE"), "SOWER_ACCESS_TOKEN_FILE"),
                     (ConfigString(config, "access_token"), ExpandConfigPath(config, "access_token_file", env), "access_token_file"),
                 })
        {
            if (!string.IsNullOrEmpty(value))
            {
                token = value.Trim();
                break;
            }
            if (!string.IsNullOrEmpty(file))
            {
                token = ReadTokenFile(file, label);
                break;
            }
        }
        if (token is null) io.Error("warning: no access token (use --access-token, --access-token-file or SOWER_ACCESS_TOKEN); sending an unauthenticated request");
        return new ServerConnection(endpoint.Trim(), token);
    }

    /// <summary>The admin socket: <c>--socket</c>, SOWER_ADMIN_SOCKET, config <c>admin_socket</c>, then the §5.1 default.</summary>
    public string ResolveAdminSocket(ParseResult result, Option<string?> socketOption, CliIo io)
    {
        var flag = result.GetValue(socketOption);
        if (!string.IsNullOrEmpty(flag)) return flag;
        var fromEnv = io.Env("SOWER_ADMIN_SOCKET");
        if (!string.IsNullOrEmpty(fromEnv)) return fromEnv;
        var env = ConfigEnvironment.FromProcess() with { Variable = io.Env };
        var config = ReadConfig(result, io);
        return ExpandConfigPath(config, "admin_socket", env) ?? GardenConfigLoader.DefaultPath("admin_socket", env);
    }

    private static string? ExpandConfigPath(JsonObject config, string key, ConfigEnvironment env)
    {
        var value = ConfigString(config, key);
        if (string.IsNullOrEmpty(value)) return null;
        if (!GardenConfigLoader.TryExpandPath(key, value, env, out var expanded, out var error)) throw new CliFailure(ExitCodes.Usage, error!);
        return expanded;
    }

    private static string ReadTokenFile(string path, string label)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            if (text.Length == 0) throw new CliFailure(ExitCodes.Usage, $"the access token file {path} ({label}) is empty");
            return text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var reason = e switch
            {
                FileNotFoundException or DirectoryNotFoundException => "no such file",
                UnauthorizedAccessException => "permission denied",
                _ => e.Message,
            };
            throw new CliFailure(ExitCodes.Usage, $"cannot read the access token file {path} ({label}): {reason}");
        }
    }

    private static string? ConfigString(JsonObject config, string key) =>
        config[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static string? First(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrEmpty(v));
}

/// <summary>Where the server is and how to authenticate. The REST base is <c>&lt;endpoint&gt;/api/v1</c> unless the
/// endpoint already ends in api/v1; hubs live at the endpoint's root.</summary>
public sealed record ServerConnection(string Endpoint, string? Token)
{
    public string Root
    {
        get
        {
            var trimmed = Endpoint.TrimEnd('/');
            return trimmed.EndsWith("/api/v1", StringComparison.Ordinal) ? trimmed[..^"/api/v1".Length] : trimmed;
        }
    }

    public string ApiBase => Root + "/api/v1";
}
