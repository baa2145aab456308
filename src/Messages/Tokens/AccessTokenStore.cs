using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Domain;
using static Sower.Messages.Tokens.AccessTokenCommands;
using static Sower.Messages.Tokens.AccessTokenEvents;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Messages.Tokens;

/// <summary>The outcome of a command: an error, or the event to persist (and the plaintext to show once).</summary>
public sealed record AccessTokenDecision(AccessTokenError? Error, ITokenEvent? Event, string? Plaintext)
{
    public static AccessTokenDecision Fail(string code, string message, params string[] errors) =>
        new(new AccessTokenError(code, message, [.. errors]), null, null);
}

/// <summary>The access-token store's state and its pure rules (REFERENCE §6.15). The actor only persists and applies.</summary>
public sealed record AccessTokenStore(ImmutableDictionary<string, StoredAccessToken> Tokens, bool AnyIssued)
{
    public const int MaxDescriptionLength = 200;
    public const string BootstrapDescription = "initial admin token";
    /// <summary>Owner of the bootstrap admin token and of every token it creates.</summary>
    public const string BootstrapOwner = "system";
    /// <summary>The bootstrap admin token expires this many years after first start.</summary>
    public const int BootstrapValidityYears = 10;
    public const string PastExpiryMessage = "expiry date must not be in the past";
    public const string NotFoundMessage = "token not found";

    public static readonly AccessTokenStore Empty = new(ImmutableDictionary.Create<string, StoredAccessToken>(StringComparer.Ordinal), false);

    public static LocalDate TodayUtc(Instant now) => now.InUtc().Date;

    // ─── Events ───

    public AccessTokenStore Apply(ITokenEvent evt) => evt switch
    {
        AccessTokenCreated e => this with
        {
            AnyIssued = true,
            Tokens = Tokens.SetItem(e.TokenId.Value, new StoredAccessToken(
                new AccessTokenInfo(e.TokenId, e.Description, e.Roles, e.ExpiresOn, e.OwnerSid, e.GardenId, e.At, e.At), e.SecretHash)),
        },
        AccessTokenRegenerated e when Tokens.TryGetValue(e.TokenId.Value, out var t) => this with
        {
            Tokens = Tokens.SetItem(e.TokenId.Value, new StoredAccessToken(
                t.Info with { ExpiresOn = e.ExpiresOn, SecretIssuedAt = e.At }, e.SecretHash)),
        },
        AccessTokenRevoked e => this with { Tokens = Tokens.Remove(e.TokenId.Value) },
        _ => this,
    };

    public AccessTokenStoreSnapshot ToSnapshot() =>
        new([.. Tokens.Values.OrderBy(t => t.Info.Sid.Value, StringComparer.Ordinal)], AnyIssued);

    public static AccessTokenStore FromSnapshot(AccessTokenStoreSnapshot snapshot) =>
        new(Empty.Tokens.SetItems(snapshot.Tokens.Select(t => KeyValuePair.Create(t.Info.Sid.Value, t))), snapshot.AnyIssued);

    // ─── Queries ───

    /// <summary>The token's info when <paramref name="presented"/> is well-formed, known, unexpired and its secret matches.</summary>
    public AccessTokenInfo? Authenticate(string? presented, LocalDate todayUtc)
    {
        if (!AccessTokenFormat.TryParse(presented, out var sid, out var secret)) return null;
        if (!Tokens.TryGetValue(sid.Value, out var stored)) return null;
        if (!stored.Info.IsValidOn(todayUtc)) return null;
        return AccessTokenFormat.Verify(secret, stored.SecretHash) ? stored.Info : null;
    }

    /// <summary>Tokens of one owner (null: all), oldest first.</summary>
    public ImmutableArray<AccessTokenInfo> List(string? ownerSid) =>
        [.. Tokens.Values.Select(t => t.Info)
            .Where(i => ownerSid is null || i.OwnerSid == ownerSid)
            .OrderBy(i => i.CreatedAt).ThenBy(i => i.Sid.Value, StringComparer.Ordinal)];

    /// <summary>The token if it exists and belongs to <paramref name="ownerSid"/> (null: any owner).</summary>
    public AccessTokenInfo? Find(TokenId sid, string? ownerSid) =>
        Tokens.TryGetValue(sid.Value, out var t) && (ownerSid is null || t.Info.OwnerSid == ownerSid) ? t.Info : null;

    // ─── Commands ───

    public AccessTokenDecision Decide(CreateAccessToken cmd, TokenId newSid, string newSecret, Instant now)
    {
        var today = TodayUtc(now);
        var errors = new List<string>();
        var description = (cmd.Description ?? "").Trim();
        if (description.Length == 0) errors.Add("description: required");
        else if (description.Length > MaxDescriptionLength) errors.Add($"description: must be at most {MaxDescriptionLength} characters");

        var roles = NormaliseRoles(cmd.Roles, errors);
        var isGardenCredential = cmd.GardenId is not null;
        if (isGardenCredential)
        {
            if (!Sid.IsValid(cmd.GardenId!.Value.Value, GardenId.Prefix)) errors.Add("garden_id: must be a garden sid (grdn_…)");
            if (roles.Length != 1 || roles[0] != Roles.Garden) errors.Add("roles: a garden credential carries exactly the garden role");
        }
        else if (roles.Contains(Roles.Garden) && cmd.CallerRoles is null)
        {
            errors.Add("roles: garden is reserved for garden credentials");
        }

        if (cmd.ExpiresOn is { } expires && expires < today) errors.Add($"expires_on: {PastExpiryMessage}");
        if (string.IsNullOrWhiteSpace(cmd.OwnerSid)) errors.Add("owner: required");
        if (errors.Count > 0)
        {
            // One problem: its message is the error (e.g. "expiry date must not be in the past"); several: a summary.
            var message = errors.Count == 1 ? errors[0][(errors[0].IndexOf(": ", StringComparison.Ordinal) + 2)..] : "invalid token request";
            return AccessTokenDecision.Fail(AccessTokenErrorCodes.Invalid, message, [.. errors]);
        }

        if (cmd.CallerRoles is { } caller)
        {
            var refused = roles.Where(r => !CanGrant(caller, r)).Select(r => $"roles: cannot grant \"{r}\", which the requesting token does not hold").ToArray();
            if (refused.Length > 0) return AccessTokenDecision.Fail(AccessTokenErrorCodes.Forbidden, "a token cannot grant roles it does not hold", refused);
        }

        var expiresOn = cmd.ExpiresOn ?? (isGardenCredential ? null : today.PlusDays(1));
        var evt = new AccessTokenCreated(newSid, description, roles, expiresOn, cmd.OwnerSid, cmd.GardenId, AccessTokenFormat.Hash(newSecret), now);
        return new AccessTokenDecision(null, evt, AccessTokenFormat.Compose(newSid, newSecret));
    }

    public AccessTokenDecision Decide(RegenerateAccessToken cmd, string newSecret, Instant now)
    {
        var today = TodayUtc(now);
        if (Find(cmd.TokenId, cmd.OwnerSid) is not { } token)
            return AccessTokenDecision.Fail(AccessTokenErrorCodes.NotFound, NotFoundMessage);
        if (cmd.ExpiresOn is { } requested && requested < today)
            return AccessTokenDecision.Fail(AccessTokenErrorCodes.Invalid, PastExpiryMessage, $"expires_on: {PastExpiryMessage}");
        if (cmd.CallerRoles is { } caller && token.Roles.Any(r => !CanGrant(caller, r)))
            return AccessTokenDecision.Fail(AccessTokenErrorCodes.Forbidden, "a token cannot regenerate a token with roles it does not hold",
                "roles: the requesting token does not hold every role of this token");

        LocalDate? expiresOn = cmd.ExpiresOn
            ?? (token.ExpiresOn is not { } current ? null : current >= today ? current : today.PlusDays(1));
        var evt = new AccessTokenRegenerated(token.Sid, expiresOn, AccessTokenFormat.Hash(newSecret), now);
        return new AccessTokenDecision(null, evt, AccessTokenFormat.Compose(token.Sid, newSecret));
    }

    public AccessTokenDecision Decide(RevokeAccessToken cmd, Instant now) =>
        Find(cmd.TokenId, cmd.OwnerSid) is { } token
            ? new AccessTokenDecision(null, new AccessTokenRevoked(token.Sid, now), null)
            : AccessTokenDecision.Fail(AccessTokenErrorCodes.NotFound, NotFoundMessage);

    /// <summary>The initial admin token, only while no token was ever issued.</summary>
    public AccessTokenDecision DecideBootstrap(TokenId newSid, string newSecret, Instant now)
    {
        if (AnyIssued) return new AccessTokenDecision(null, null, null);
        var expires = TodayUtc(now).PlusYears(BootstrapValidityYears);
        var evt = new AccessTokenCreated(newSid, BootstrapDescription, [Roles.Admin], expires, BootstrapOwner, null,
            AccessTokenFormat.Hash(newSecret), now);
        return new AccessTokenDecision(null, evt, AccessTokenFormat.Compose(newSid, newSecret));
    }

    /// <summary>No token can mint a role it does not hold; admin may mint any role except garden.</summary>
    public static bool CanGrant(IEnumerable<string> callerRoles, string role) =>
        role != Roles.Garden ? Roles.Satisfies(callerRoles, role) : false;

    private static ImmutableArray<string> NormaliseRoles(ImmutableArray<string> requested, List<string> errors)
    {
        if (requested.IsDefaultOrEmpty)
        {
            errors.Add("roles: at least one role is required");
            return [];
        }
        var known = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < requested.Length; i++)
        {
            var role = requested[i];
            if (Roles.IsKnown(role)) known.Add(role);
            else errors.Add($"roles[{i}]: unknown role \"{role}\"");
        }
        return [.. Roles.All.Where(known.Contains)];
    }
}
