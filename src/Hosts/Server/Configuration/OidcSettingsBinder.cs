using System.Collections.Immutable;
using System.Net;
using System.Text.Json;
using Sower.Messages.Tokens;

namespace Sower.Server.Configuration;

/// <summary>
/// Binds and checks the <c>auth.oidc_*</c> settings, all or nothing: when any is set, the authority, the client id and
/// a role mapping are required, the authority must be an https URL (plain http only on a loopback address), the
/// client secret file (optional: a public client uses PKCE alone) must be readable and not empty, the scopes must
/// include <c>openid</c>, and every mapped role must be a Sower role a person may hold. Every problem names its key.
/// </summary>
public static class OidcSettingsBinder
{
    public static readonly ImmutableArray<string> DefaultScopes = ["openid", "profile", "email"];

    public static AuthOptions Bind(string? authority, string? clientId, string? secretFile, ImmutableArray<string>? scopes, string? mappingJson,
        bool readSecretFiles, List<string> problems)
    {
        authority = authority is { Length: > 0 } ? authority : null;
        clientId = clientId is { Length: > 0 } ? clientId : null;
        secretFile = secretFile is { Length: > 0 } ? secretFile : null;
        mappingJson = mappingJson is { Length: > 0 } ? mappingJson : null;
        var anySet = authority is not null || clientId is not null || secretFile is not null || mappingJson is not null || scopes is not null;
        if (!anySet) return new AuthOptions();

        var start = problems.Count;
        if (authority is null) problems.Add("auth.oidc_authority: required when any auth.oidc_* setting is given (the provider's issuer URL, e.g. https://id.example.com/realms/ops)");
        else if (!Uri.TryCreate(authority, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps && !(uri.Scheme == Uri.UriSchemeHttp && IsLoopback(uri)))
            problems.Add($"auth.oidc_authority: \"{authority}\" must be an absolute https:// URL (http:// only on a loopback address)");
        else if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
            problems.Add($"auth.oidc_authority: \"{authority}\" must not have a query or fragment (the issuer URL the provider's discovery document names)");
        if (clientId is null) problems.Add("auth.oidc_client_id: required when any auth.oidc_* setting is given (the client registered for Sower at the provider)");

        string? secret = null;
        if (secretFile is not null && readSecretFiles)
        {
            try
            {
                secret = File.ReadAllText(secretFile).Trim();
                if (secret.Length == 0) problems.Add($"auth.oidc_client_secret_file: \"{secretFile}\" is empty");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add($"auth.oidc_client_secret_file: cannot read \"{secretFile}\": {e.Message}");
            }
        }

        var boundScopes = scopes ?? DefaultScopes;
        if (!boundScopes.Contains("openid")) problems.Add("auth.oidc_scopes: must include \"openid\"");
        for (var i = 0; i < boundScopes.Length; i++)
        {
            if (boundScopes[i].Length == 0 || boundScopes[i].Any(c => char.IsWhiteSpace(c) || c == '"' || c == '\\'))
                problems.Add($"auth.oidc_scopes[{i}]: \"{boundScopes[i]}\" is not a scope name");
        }

        var mapping = OidcRoleMapping.Empty;
        if (mappingJson is null)
            problems.Add("auth.oidc_role_mapping: required when OIDC is configured (claim → value → roles, e.g. {\"groups\": {\"sower-admins\": \"admin\"}}); without it nobody could hold a role");
        else mapping = ParseMapping(mappingJson, problems);

        if (problems.Count > start) return new AuthOptions();
        return new AuthOptions
        {
            OidcAuthority = authority!.TrimEnd('/'),
            OidcClientId = clientId,
            OidcClientSecretFile = secretFile,
            OidcClientSecret = secret,
            OidcScopes = boundScopes,
            OidcRoleMapping = mapping,
        };
    }

    private static OidcRoleMapping ParseMapping(string json, List<string> problems)
    {
        const string key = "auth.oidc_role_mapping";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            problems.Add($"{key}: not valid JSON: {e.Message}");
            return OidcRoleMapping.Empty;
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                problems.Add($"{key}: must be an object of claim names, e.g. {{\"groups\": {{\"sower-admins\": \"admin\"}}}}");
                return OidcRoleMapping.Empty;
            }
            var claims = ImmutableSortedDictionary.CreateBuilder<string, ImmutableSortedDictionary<string, ImmutableArray<string>>>(StringComparer.Ordinal);
            foreach (var claim in document.RootElement.EnumerateObject())
            {
                var claimPath = $"{key}.{claim.Name}";
                if (claim.Name.Length == 0 || claim.Name.Contains('=')) { problems.Add($"{claimPath}: not a claim name"); continue; }
                if (claim.Value.ValueKind != JsonValueKind.Object) { problems.Add($"{claimPath}: must be an object of claim values to roles"); continue; }
                var values = ImmutableSortedDictionary.CreateBuilder<string, ImmutableArray<string>>(StringComparer.Ordinal);
                foreach (var value in claim.Value.EnumerateObject())
                {
                    var path = $"{claimPath}.{value.Name}";
                    var roles = value.Value.ValueKind switch
                    {
                        JsonValueKind.String => [value.Value.GetString()!],
                        JsonValueKind.Array => value.Value.EnumerateArray().Select(r => r.ValueKind == JsonValueKind.String ? r.GetString()! : "").ToArray(),
                        _ => null,
                    };
                    if (roles is null || roles.Length == 0) { problems.Add($"{path}: must be a role or a list of roles"); continue; }
                    var bad = roles.Where(r => !Roles.Mintable.Contains(r)).ToArray();
                    if (bad.Length > 0)
                    {
                        problems.Add($"{path}: unknown role{(bad.Length > 1 ? "s" : "")} {string.Join(", ", bad.Select(b => $"\"{b}\""))} (a person may hold: {string.Join(", ", Roles.Mintable)})");
                        continue;
                    }
                    values[value.Name] = [.. roles.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
                }
                if (values.Count > 0) claims[claim.Name] = values.ToImmutable();
            }
            if (claims.Count == 0 && problems.All(p => !p.StartsWith(key, StringComparison.Ordinal)))
                problems.Add($"{key}: maps nothing; name at least one claim value and its roles");
            return new OidcRoleMapping(claims.ToImmutable());
        }
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
}
