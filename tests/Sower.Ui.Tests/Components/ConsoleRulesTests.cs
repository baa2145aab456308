using System.Collections.Immutable;
using NodaTime;
using Sower.Messages.Deployments;
using Sower.Messages.Domain;
using Sower.Messages.Gardens;
using Sower.Messages.Seeds;
using Sower.Messages.Subscriptions;
using Sower.Server.Ui.Auth;
using Sower.Server.Ui.Services;

namespace Sower.Ui.Tests.Components;

/// <summary>The console decides some things before the server is asked; these prove it decides them the same way.</summary>
public sealed class ConsoleRulesTests
{
    public static TheoryData<DeploymentState, DeploymentState?> RetryCases()
    {
        var data = new TheoryData<DeploymentState, DeploymentState?>();
        foreach (var state in Enum.GetValues<DeploymentState>())
        {
            data.Add(state, null);
            foreach (var child in Enum.GetValues<DeploymentState>()) data.Add(state, child);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(RetryCases))]
    public void Retry_is_offered_exactly_when_the_servers_planner_accepts_it(DeploymentState state, DeploymentState? childState)
    {
        var now = Instant.FromUtc(2026, 3, 4, 10, 0);
        var gid = GardenId.New();
        var sub = new SubscriptionRecord(SubscriptionId.New(), gid, new SubscriptionSpec("system", "web01", SeedType.NixOS, [], null, null, Policy.Default), now);
        var seed = new SeedInfo(SeedId.New(), "web01", SeedType.NixOS, "/nix/store/" + new string('a', 32) + "-x", [], now, now, false, "admin");
        DeploymentRecord Record(DeploymentState s, DeploymentId? parent)
        {
            var planned = DeploymentPlanner.NewRecord(DeploymentId.New(), gid, RequestId.New(), Trigger.Manual, AuditReason.UserTriggered, Actor.FromLegacy("admin"), "h",
                now, false, [], [new PlannedSeed(sub.Sid, "system", PolicyAction.Activate, seed)], parent, parent is null ? 0 : 1);
            return planned with { State = s };
        }
        var original = Record(state, null);
        var records = childState is { } c ? ImmutableArray.Create(original, Record(c, original.Sid)) : [original];

        var garden = GardenState.Empty(gid) with
        {
            Subscriptions = ImmutableDictionary<string, SubscriptionRecord>.Empty.Add("system", sub),
            Deployments = records.ToImmutableDictionary(r => r.Sid.Value, r => r.ToSummary()),
        };
        var model = Sower.Actors.Server.Projections.ServerReadModel.Empty with { Deployments = records.ToImmutableDictionary(r => r.Sid.Value) };

        var server = DeploymentPlanner.Retry(garden, original.Sid, Actor.FromLegacy("admin"), now, DeploymentId.New(), RequestId.New());
        Assert.Equal(server is CreationOutcome.Planned, ConsoleQueries.CanRetry(model, original));
    }

    [Theory]
    [InlineData(AuditReason.UserTriggered, "user")]
    [InlineData(AuditReason.AdminTriggered, "local")]
    [InlineData(AuditReason.ScheduleTriggered, "schedule")]
    [InlineData(AuditReason.RealtimeTriggered, "realtime")]
    [InlineData(AuditReason.PollOnConnect, "connect")]
    [InlineData(AuditReason.UserRetry, "retry")]
    public void Every_creation_reason_has_a_trigger_label(AuditReason reason, string label) => Assert.Equal(label, Labels.Trigger(reason));

    [Theory]
    [InlineData("/deployments/dply_x", "/deployments/dply_x")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("//evil.example/", "/")]
    [InlineData("/\\evil.example", "/")]
    [InlineData("/signin?x=1", "/")]
    [InlineData(null, "/")]
    public void Sign_in_only_returns_to_local_pages(string? returnUrl, string expected) =>
        Assert.Equal(expected, ConsoleAuthentication.SafeReturnUrl(returnUrl));
}
