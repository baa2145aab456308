using Akka.Actor;
using Akka.Persistence;
using Sower.Messages.Domain;
using Sower.Messages.NixCaches;
using static Sower.Messages.NixCaches.NixCacheCommands;
using static Sower.Messages.NixCaches.NixCacheQueries;
using static Sower.Messages.NixCaches.NixCacheReplies;

namespace Sower.Actors.Server.NixCaches;

/// <summary>Registry key for the Nix cache registry (a cluster singleton proxy in the <c>ActorRegistry</c>).</summary>
public sealed class NixCachesActorKey;

/// <summary>The event-sourced Nix cache registry (REFERENCE §6.3). A thin shell over <see cref="NixCacheRegistry"/>:
/// decides, persists, applies, then replies. A handful of caches per organization: no snapshots needed.</summary>
public sealed class NixCachesActor : ReceivePersistentActor
{
    public const string Id = "nix-caches";

    private NixCacheRegistry _registry = NixCacheRegistry.Empty;

    public NixCachesActor()
    {
        Recover<INixCacheEvent>(evt => _registry = _registry.Apply(evt));

        Command<AddNixCache>(cmd => Execute(_registry.Decide(cmd, NewSid())));
        Command<EditNixCache>(cmd => Execute(_registry.Decide(cmd)));
        Command<RemoveNixCache>(cmd => Execute(_registry.Decide(cmd)));
        Command<GetNixCaches>(_ => Sender.Tell(new NixCacheList(_registry.List())));
    }

    public override string PersistenceId => Id;

    private string NewSid()
    {
        var sid = Sid.New(NixCache.Prefix);
        while (_registry.Caches.ContainsKey(sid)) sid = Sid.New(NixCache.Prefix);
        return sid;
    }

    private void Execute(NixCacheDecision decision)
    {
        if (decision.Event is not { } evt)
        {
            Sender.Tell(decision.Error);
            return;
        }
        var sender = Sender;
        Persist(evt, persisted =>
        {
            _registry = _registry.Apply(persisted);
            sender.Tell(_registry.Caches.TryGetValue(persisted.Sid, out var cache)
                ? new NixCacheSaved(cache)
                : new NixCacheRemovalConfirmed(persisted.Sid));
        });
    }
}
