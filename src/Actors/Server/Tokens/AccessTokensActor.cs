using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using NodaTime;
using Sower.Messages.Domain;
using Sower.Messages.Tokens;
using static Sower.Messages.Tokens.AccessTokenCommands;
using static Sower.Messages.Tokens.AccessTokenEvents;
using static Sower.Messages.Tokens.AccessTokenNotifications;
using static Sower.Messages.Tokens.AccessTokenQueries;
using static Sower.Messages.Tokens.AccessTokenReplies;

namespace Sower.Actors.Server.Tokens;

/// <summary>Registry key for the access-token store (a cluster singleton proxy in the <c>ActorRegistry</c>).</summary>
public sealed class AccessTokensActorKey;

/// <param name="Limits">Expiry limits for tokens a non-admin creates (the server's <c>max_token_lifetime_days</c>).</param>
public sealed record AccessTokensSettings(int SnapshotEvery = 100, AccessTokenLimits? Limits = null)
{
    public AccessTokenLimits EffectiveLimits => Limits ?? AccessTokenLimits.Default;

    public static readonly AccessTokensSettings Default = new();
}

/// <summary>The event-sourced access-token store (REFERENCE §6.15). A thin shell over <see cref="AccessTokenStore"/>:
/// decides, persists, applies, then replies. Secrets and sids are generated here; time comes from <see cref="IClock"/>.</summary>
public sealed class AccessTokensActor : ReceivePersistentActor
{
    public const string Id = "access-tokens";

    private readonly IClock _clock;
    private readonly AccessTokenCache? _cache;
    private readonly AccessTokenView? _view;
    private readonly AccessTokensSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private AccessTokenStore _store = AccessTokenStore.Empty;

    public AccessTokensActor(IClock? clock = null, AccessTokenCache? cache = null, AccessTokensSettings? settings = null,
        AccessTokenView? view = null)
    {
        _clock = clock ?? SystemClock.Instance;
        _cache = cache;
        _view = view;
        _settings = settings ?? AccessTokensSettings.Default;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is AccessTokenStoreSnapshot snapshot) _store = AccessTokenStore.FromSnapshot(snapshot);
        });
        Recover<ITokenEvent>(evt => _store = _store.Apply(evt));

        Command<CreateAccessToken>(cmd =>
        {
            var secret = AccessTokenFormat.NewSecret();
            Execute(_store.Decide(cmd, NewSid(), secret, _clock.GetCurrentInstant(), _settings.EffectiveLimits));
        });
        Command<CreatePersonalAccessToken>(cmd =>
            Execute(_store.Decide(cmd, NewSid(), AccessTokenFormat.NewSecret(), _clock.GetCurrentInstant(), _settings.EffectiveLimits)));
        Command<RegenerateAccessToken>(cmd =>
            Execute(_store.Decide(cmd, AccessTokenFormat.NewSecret(), _clock.GetCurrentInstant(), _settings.EffectiveLimits)));
        Command<RevokeAccessToken>(cmd => Execute(_store.Decide(cmd, _clock.GetCurrentInstant())));
        Command<BootstrapAdminToken>(_ =>
            Execute(_store.DecideBootstrap(NewSid(), AccessTokenFormat.NewSecret(), _clock.GetCurrentInstant())));

        Command<AuthenticateAccessToken>(q =>
            Sender.Tell(new AccessTokenAuthenticated(_store.Authenticate(q.Presented, AccessTokenStore.TodayUtc(_clock.GetCurrentInstant())))));
        Command<GetAccessTokens>(q =>
        {
            var (tokens, error) = _store.Visible(q.By, q.ByServer, _clock.GetCurrentInstant());
            Sender.Tell(error is null ? new AccessTokenList(tokens) : error);
        });
        Command<GetAccessToken>(q =>
        {
            var (token, error) = _store.Find(q.TokenId, q.By, q.ByServer, _clock.GetCurrentInstant());
            Sender.Tell(token is not null ? new AccessTokenFound(token) : error!);
        });

        Command<SaveSnapshotSuccess>(ok => DeleteSnapshots(new SnapshotSelectionCriteria(ok.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(failed => _log.Warning(failed.Cause, "Saving the access-token snapshot failed"));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failed => _log.Warning(failed.Cause, "Deleting old access-token snapshots failed"));
    }

    public override string PersistenceId => Id;

    private TokenId NewSid()
    {
        var sid = TokenId.New();
        while (_store.Tokens.ContainsKey(sid.Value)) sid = TokenId.New();
        return sid;
    }

    private static CredentialRevoked? Ended(ITokenEvent evt) => evt switch
    {
        AccessTokenRevoked e => new CredentialRevoked(e.TokenId, null, CredentialRevoked.Revoked),
        AccessTokenRegenerated e => new CredentialRevoked(e.TokenId, e.At, CredentialRevoked.Regenerated),
        _ => null,
    };

    private void Execute(AccessTokenDecision decision)
    {
        if (decision.Error is { } error)
        {
            Sender.Tell(error);
            return;
        }
        if (decision.Event is not { } evt)
        {
            Sender.Tell(AdminTokenAlreadyBootstrapped.Instance);
            return;
        }

        var sender = Sender;
        var plaintext = decision.Plaintext;
        Persist(evt, persisted =>
        {
            _store = _store.Apply(persisted);
            // Before replying, so a revoked or replaced secret stops working on this node at once.
            _cache?.Invalidate(persisted.TokenId);
            // Every node forgets its cached answers and closes the live sessions of the old secret.
            if (Ended(persisted) is { } notice)
            {
                // This node's token view hears the notice before the reply (the published copy arrives asynchronously).
                _view?.Handle(notice);
                CredentialRevocations.Publish(Context.System, notice);
            }
            sender.Tell(plaintext is not null
                ? new AccessTokenIssued(persisted.TokenId, plaintext, _store.Get(persisted.TokenId)!)
                : new AccessTokenRevocationConfirmed(persisted.TokenId));
            if (LastSequenceNr % _settings.SnapshotEvery == 0) SaveSnapshot(_store.ToSnapshot());
        });
    }
}
