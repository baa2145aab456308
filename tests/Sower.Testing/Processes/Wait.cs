using Xunit.Sdk;

namespace Sower.Testing.Processes;

/// <summary>Bounded polling: every wait has a limit and fails with what it waited for plus the relevant process logs.</summary>
public static class Wait
{
    public static async Task Until(Func<Task<bool>> condition, TimeSpan limit, string what, Func<string> diagnostics)
    {
        var deadline = DateTime.UtcNow + limit;
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition()) return;
                last = null;
            }
            catch (Exception e) when (e is not XunitException)
            {
                last = e;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new XunitException($"timed out after {limit.TotalSeconds:0}s waiting for {what}" +
                    (last is null ? "" : $"\nlast error: {last.Message}") + "\n" + diagnostics());
            }
            await Task.Delay(250);
        }
    }

    public static Task Until(Func<bool> condition, TimeSpan limit, string what, Func<string> diagnostics) =>
        Until(() => Task.FromResult(condition()), limit, what, diagnostics);

    /// <summary>Polls <paramref name="read"/> until its value satisfies <paramref name="done"/>, and returns that value.</summary>
    public static async Task<T> For<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan limit, string what, Func<string> diagnostics)
    {
        T value = default!;
        await Until(async () => done(value = await read()), limit, what, diagnostics);
        return value;
    }

    /// <summary>Asserts that a condition stays false for a while (nothing happens that must not happen).</summary>
    public static async Task Never(Func<Task<bool>> condition, TimeSpan period, string what, Func<string> diagnostics)
    {
        var end = DateTime.UtcNow + period;
        while (DateTime.UtcNow < end)
        {
            if (await condition()) throw new XunitException($"{what} happened, but must not\n" + diagnostics());
            await Task.Delay(250);
        }
    }
}
