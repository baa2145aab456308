using Akka.Actor;
using Akka.Configuration;
using Sower.Actors.Server.NixCaches;
using Sower.Messages.Domain;
using Sower.Messages.NixCaches;
using Xunit.Abstractions;
using static Sower.Messages.NixCaches.NixCacheCommands;
using static Sower.Messages.NixCaches.NixCacheQueries;
using static Sower.Messages.NixCaches.NixCacheReplies;

namespace Sower.Actors.Tests.NixCaches;

public sealed class NixCachesActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config InMemoryPersistence = ConfigurationFactory.ParseString("""
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """);

    private const string Key = "cache.example.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";

    public NixCachesActorTests(ITestOutputHelper output) : base(InMemoryPersistence, output: output) { }

    private IActorRef Registry() => Sys.ActorOf(Props.Create(() => new NixCachesActor()));

    [Fact]
    public void Added_edited_and_removed_caches_survive_a_restart_of_the_registry()
    {
        var registry = Registry();
        registry.Tell(new AddNixCache("https://a.example.org", Key));
        var a = ExpectMsg<NixCacheSaved>().Cache;
        Assert.True(Sid.IsValid(a.Sid, "nxc"));
        registry.Tell(new AddNixCache("file:///srv/cache", Key));
        var b = ExpectMsg<NixCacheSaved>().Cache;
        registry.Tell(new EditNixCache(a.Sid, "https://a2.example.org", Key));
        Assert.Equal("https://a2.example.org", ExpectMsg<NixCacheSaved>().Cache.Url);
        registry.Tell(new RemoveNixCache(b.Sid));
        ExpectMsg<NixCacheRemovalConfirmed>();

        Watch(registry);
        Sys.Stop(registry);
        ExpectTerminated(registry);

        var restarted = Registry();
        restarted.Tell(GetNixCaches.Instance);
        Assert.Equal(new[] { new NixCache(a.Sid, "https://a2.example.org", Key) }, ExpectMsg<NixCacheList>().Caches.ToArray());
    }

    [Fact]
    public void Duplicate_url_and_unknown_sid_are_refused_without_persisting()
    {
        var registry = Registry();
        registry.Tell(new AddNixCache("https://a.example.org", Key));
        var a = ExpectMsg<NixCacheSaved>().Cache;
        registry.Tell(new AddNixCache("https://b.example.org", Key));
        var b = ExpectMsg<NixCacheSaved>().Cache;

        registry.Tell(new AddNixCache("https://a.example.org", Key));
        Assert.Equal(NixCacheErrorCodes.Duplicate, ExpectMsg<NixCacheError>().Code);
        registry.Tell(new EditNixCache(b.Sid, "https://a.example.org", Key));
        Assert.Equal(NixCacheErrorCodes.Duplicate, ExpectMsg<NixCacheError>().Code);
        registry.Tell(new EditNixCache(a.Sid, "https://a.example.org", Key));
        ExpectMsg<NixCacheSaved>();
        registry.Tell(new RemoveNixCache("nxc_zzzzzzzzzzzzzzzzzzzzzzzz"));
        Assert.Equal(NixCacheErrorCodes.NotFound, ExpectMsg<NixCacheError>().Code);

        registry.Tell(GetNixCaches.Instance);
        Assert.Equal(["https://a.example.org", "https://b.example.org"], ExpectMsg<NixCacheList>().Caches.Select(c => c.Url));
    }

    [Theory]
    [InlineData("https://cache.example.org", true)]
    [InlineData("http://10.0.0.1:5000/nix", true)]
    [InlineData("file:///var/lib/cache", true)]
    [InlineData("ftp://cache.example.org", false)]
    [InlineData("cache.example.org", false)]
    [InlineData("/var/lib/cache", false)]
    [InlineData("", false)]
    public void Url_must_be_an_absolute_http_or_file_url(string url, bool valid) =>
        Assert.Equal(valid, NixCacheRegistry.Validate(url, Key).IsEmpty);

    [Theory]
    [InlineData(Key, true)]
    [InlineData("no-colon-6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=", false)]
    [InlineData(":6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=", false)]
    [InlineData("name:", false)]
    [InlineData("name:not base64!", false)]
    [InlineData("name:c2hvcnQ=", false)]
    public void Public_key_must_be_a_name_and_a_base64_32_byte_key(string key, bool valid) =>
        Assert.Equal(valid, NixCacheRegistry.Validate("https://cache.example.org", key).IsEmpty);
}
