using Akka.Actor;

namespace Sower.Actors.Server.Inspection;

/// <summary>Identify over (wildcard) actor selections: the public way to list live actors, locally or on another node.</summary>
public static class ActorIdentification
{
    /// <summary>Name prefix of the short-lived collectors, so walks can leave them out of what they show.</summary>
    public const string CollectorPrefix = "sower-identify-";

    /// <summary>
    /// Sends Identify to every actor a (wildcard) selection names and collects the answers. A selection answers with one
    /// ActorIdentity per live actor and nothing for missing ones, so collection ends after a short quiet period.
    /// </summary>
    public static async Task<IReadOnlyList<IActorRef>> Identify(ActorSystem system, ActorSelection selection, TimeSpan timeout)
    {
        var done = new TaskCompletionSource<IReadOnlyList<IActorRef>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var quiet = TimeSpan.FromMilliseconds(selection.PathString.Contains('*') ? 150 : 50);
        if (quiet > timeout) quiet = timeout;
        var collector = system.ActorOf(Akka.Actor.Props.Create(() => new IdentifyCollector(done, quiet, timeout)), CollectorPrefix + Guid.NewGuid().ToString("N"));
        selection.Tell(new Identify(null), collector);
        return await done.Task;
    }

    /// <summary>Collects ActorIdentity replies until nothing arrived for a quiet period (or the overall timeout), then stops.</summary>
    private sealed class IdentifyCollector : ReceiveActor, IWithTimers
    {
        private readonly List<IActorRef> _found = [];

        public IdentifyCollector(TaskCompletionSource<IReadOnlyList<IActorRef>> done, TimeSpan quiet, TimeSpan timeout)
        {
            Receive<ActorIdentity>(identity =>
            {
                if (identity.Subject is { } subject && !_found.Contains(subject)) _found.Add(subject);
                Timers.StartSingleTimer("quiet", Finish.Instance, quiet);
            });
            Receive<Finish>(_ =>
            {
                done.TrySetResult(_found);
                Context.Stop(Self);
            });
            _quiet = quiet;
            _timeout = timeout;
        }

        private readonly TimeSpan _quiet;
        private readonly TimeSpan _timeout;

        public ITimerScheduler Timers { get; set; } = null!;

        protected override void PreStart()
        {
            // Local selections answer within milliseconds; remote ones need the round trip, so the first wait is longer.
            Timers.StartSingleTimer("quiet", Finish.Instance, _quiet + TimeSpan.FromMilliseconds(250) < _timeout ? _quiet + TimeSpan.FromMilliseconds(250) : _timeout);
            Timers.StartSingleTimer("overall", Finish.Instance, _timeout);
        }

        private sealed class Finish
        {
            public static readonly Finish Instance = new();
        }
    }
}
