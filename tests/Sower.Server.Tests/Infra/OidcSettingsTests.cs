using Sower.Server.Configuration;

namespace Sower.Server.Tests.Infra;

/// <summary>The <c>auth.oidc_*</c> settings: all or nothing, every problem named, never silently ignored.</summary>
public sealed class OidcSettingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sower-oidc-options-").FullName;
    private static readonly Dictionary<string, string?> NoEnv = [];

    private ServerOptionsResult LoadFile(string json)
    {
        var path = Path.Combine(_dir, "server.json");
        File.WriteAllText(path, json);
        return ServerOptionsLoader.Load(["--config", path], NoEnv);
    }

    [Fact]
    public void A_complete_oidc_section_binds_authority_client_secret_scopes_and_role_mapping()
    {
        File.WriteAllText(Path.Combine(_dir, "oidc-secret"), "s3cret\n");
        var result = LoadFile("""
            { "auth": {
                "oidc_authority": "https://id.example.com/realms/ops/",
                "oidc_client_id": "sower",
                "oidc_client_secret_file": "oidc-secret",
                "oidc_scopes": ["openid", "profile", "groups"],
                "oidc_role_mapping": { "groups": { "sower-admins": "admin", "ops": ["deployment:read", "deployment:write"] } } } }
            """);
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        var auth = result.Options!.Auth;
        Assert.True(auth.OidcEnabled);
        Assert.Equal("https://id.example.com/realms/ops", auth.OidcAuthority);
        Assert.Equal("sower", auth.OidcClientId);
        Assert.Equal("s3cret", auth.OidcClientSecret);
        Assert.Equal(["openid", "profile", "groups"], auth.OidcScopes.ToArray());
        Assert.Equal(["admin"], auth.OidcRoleMapping.RolesFor(["groups=sower-admins"]).ToArray());
        Assert.Equal(["deployment:read", "deployment:write"], auth.OidcRoleMapping.RolesFor(["groups=ops", "groups=unknown"]).ToArray());
    }

    [Fact]
    public void The_environment_carries_the_role_mapping_as_json()
    {
        var result = ServerOptionsLoader.Load([], new Dictionary<string, string?>
        {
            ["SOWER_AUTH__OIDC_AUTHORITY"] = "http://127.0.0.1:9000",
            ["SOWER_AUTH__OIDC_CLIENT_ID"] = "sower",
            ["SOWER_AUTH__OIDC_ROLE_MAPPING"] = """{"roles": {"viewer": "deployment:read"}}""",
        });
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        Assert.Equal(["deployment:read"], result.Options!.Auth.OidcRoleMapping.RolesFor(["roles=viewer"]).ToArray());
        Assert.Null(result.Options.Auth.OidcClientSecret);
    }

    [Fact]
    public void No_oidc_settings_leave_oidc_off()
    {
        var result = ServerOptionsLoader.Load([], NoEnv);
        Assert.False(result.Options!.Auth.OidcEnabled);
    }

    [Theory]
    [InlineData("""{ "auth": { "oidc_client_id": "sower" } }""", "auth.oidc_authority: required")]
    [InlineData("""{ "auth": { "oidc_authority": "https://id.example.com", "oidc_role_mapping": {"groups": {"a": "admin"}} } }""", "auth.oidc_client_id: required")]
    [InlineData("""{ "auth": { "oidc_authority": "https://id.example.com", "oidc_client_id": "sower" } }""", "auth.oidc_role_mapping: required")]
    [InlineData("""{ "auth": { "oidc_authority": "http://id.example.com", "oidc_client_id": "s", "oidc_role_mapping": {"groups": {"a": "admin"}} } }""", "must be an absolute https:// URL")]
    [InlineData("""{ "auth": { "oidc_authority": "id.example.com", "oidc_client_id": "s", "oidc_role_mapping": {"groups": {"a": "admin"}} } }""", "must be an absolute https:// URL")]
    [InlineData("""{ "auth": { "oidc_authority": "https://id.example.com", "oidc_client_id": "s", "oidc_role_mapping": {"groups": {"a": "superuser"}} } }""", "auth.oidc_role_mapping.groups.a: unknown role \"superuser\"")]
    [InlineData("""{ "auth": { "oidc_authority": "https://id.example.com", "oidc_client_id": "s", "oidc_role_mapping": {"groups": {"a": "garden"}} } }""", "unknown role \"garden\"")]
    [InlineData("""{ "auth": { "oidc_authority": "https://id.example.com", "oidc_client_id": "s", "oidc_role_mapping": {"groups": "admin"} } }""", "auth.oidc_role_mapping.groups: must be an object")]
    [InlineData("""{ "auth": { "oidc_authority": "https://id.example.com", "oidc_client_id": "s", "oidc_role_mapping": {} } }""", "auth.oidc_role_mapping: maps nothing")]
    [InlineData("""{ "auth": { "oidc_authority": "https://id.example.com", "oidc_client_id": "s", "oidc_scopes": ["profile"], "oidc_role_mapping": {"groups": {"a": "admin"}} } }""", "auth.oidc_scopes: must include \"openid\"")]
    [InlineData("""{ "auth": { "oidc_authority": "https://id.example.com", "oidc_client_id": "s", "oidc_client_secret_file": "missing", "oidc_role_mapping": {"groups": {"a": "admin"}} } }""", "auth.oidc_client_secret_file: cannot read")]
    [InlineData("""{ "auth": { "oidc_authority": "https://id.example.com", "oidc_client_id": "s", "oidc_role_mapping": ["admin"] } }""", "auth.oidc_role_mapping: must be an object")]
    [InlineData("""{ "auth": { "oidc_issuer": "https://id.example.com" } }""", "auth.oidc_issuer: unknown setting")]
    public void Oidc_settings_given_but_invalid_refuse_to_start_with_a_message_naming_the_key(string json, string expected)
    {
        var result = LoadFile(json);
        Assert.False(result.IsValid);
        Assert.Contains(result.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void An_empty_client_secret_file_is_refused()
    {
        File.WriteAllText(Path.Combine(_dir, "empty"), "\n");
        var result = LoadFile("""{ "auth": { "oidc_authority": "https://id.example.com", "oidc_client_id": "s", "oidc_client_secret_file": "empty", "oidc_role_mapping": {"groups": {"a": "admin"}} } }""");
        Assert.Contains(result.Problems, p => p.StartsWith("auth.oidc_client_secret_file:", StringComparison.Ordinal) && p.Contains("is empty", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
