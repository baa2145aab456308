using Sower.Messages.GardenDaemon;
using Sower.Messages.Gateway;

namespace Sower.Messages.Tests;

/// <summary>The garden's outbox without actors: order, one in flight, what a reply means, and entries an older garden journaled.</summary>
public sealed class GardenOutboxTests
{
    private static OutboxItem Ping(string n) => OutboxItem.Of(new PingMessage(n));

    [Fact]
    public void Messages_go_out_in_sequence_order_one_at_a_time()
    {
        var outbox = GardenOutbox.Empty.Appended(2, Ping("b")).Appended(1, Ping("a"));
        Assert.Equal(3, outbox.NextSeq);
        var (sending, seq, item) = outbox.Next()!.Value;
        Assert.Equal(1, seq);
        Assert.Equal(new PingMessage("a"), item.Message);
        Assert.Null(sending.Next()); // one in flight at a time
        var after = sending.Delivered(1);
        Assert.Null(after.InFlight);
        Assert.Equal(2, after.Next()!.Value.Seq);
    }

    [Fact]
    public void A_released_message_is_sent_again_and_a_stale_reply_is_not_its_own()
    {
        var (sending, seq, _) = GardenOutbox.Empty.Appended(1, Ping("a")).Next()!.Value;
        Assert.True(sending.Awaits(seq));
        var released = sending.Released();
        Assert.False(released.Awaits(seq));
        Assert.Equal(1, released.Next()!.Value.Seq);
    }

    [Fact]
    public void Recovery_continues_the_sequence_after_the_highest_appended()
    {
        var outbox = GardenOutbox.Empty.Appended(7, Ping("a")).Delivered(7);
        Assert.Equal(8, outbox.NextSeq);
        Assert.Null(outbox.Next());
    }

    [Fact]
    public void A_reply_is_retried_only_when_there_is_none_or_the_server_asks_to_try_later()
    {
        Assert.Equal(OutboxVerdict.Retry, GardenOutbox.Judge(null));
        Assert.Equal(OutboxVerdict.Retry, GardenOutbox.Judge(GatewayReply.Failure(GatewayErrors.Unavailable, "later")));
        Assert.Equal(OutboxVerdict.Retry, GardenOutbox.Judge(GatewayReply.Failure(GatewayErrors.RateLimited, "slow down")));
        Assert.Equal(OutboxVerdict.Retry, GardenOutbox.Judge(GatewayReply.Failure(GatewayErrors.NotJoined, "join first")));
        Assert.Equal(OutboxVerdict.Delivered, GardenOutbox.Judge(GatewayReply.Success()));
        Assert.Equal(OutboxVerdict.Refused, GardenOutbox.Judge(GatewayReply.Failure(GatewayErrors.InvalidPayload, "bad")));
    }

    [Fact]
    public void An_entry_an_older_garden_journaled_reads_back_into_its_record_or_stays_as_it_was()
    {
        var typed = OutboxItem.Legacy(GatewayProtocol.DeploymentResult, """{"request_id":null,"deployment_sid":"dply_a","result":"success","deployed_at":"2026-01-01T00:00:00Z"}""");
        Assert.Equal(new DeploymentResultMessage(null, "dply_a", "success", "2026-01-01T00:00:00Z"), typed.Message);
        var unknown = OutboxItem.Legacy("test:message", """{"n":7}""");
        Assert.Null(unknown.Message);
        Assert.Equal("""{"n":7}""", unknown.Payload().ToJsonString());
        var garbage = OutboxItem.Legacy(GatewayProtocol.GardenReport, "not json");
        Assert.Equal("{}", garbage.Payload().ToJsonString());
    }
}
