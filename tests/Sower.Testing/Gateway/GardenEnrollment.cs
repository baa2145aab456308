using System.Net.Http.Json;
using System.Text.Json;

namespace Sower.Testing.Gateway;

/// <summary>A garden enrolled through the real REST API (<c>POST /api/v1/gardens/register</c>): its sid and the credential
/// it is shown once.</summary>
public sealed record GardenEnrollment(string Sid, string Credential)
{
    public static async Task<GardenEnrollment> EnrollAsync(Uri baseAddress, HttpClient admin, string name, string hostIdentifier)
    {
        using var response = await admin.PostAsJsonAsync(new Uri(baseAddress, "/api/v1/gardens/register"), new { name, host_identifier = hostIdentifier });
        var text = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != 201) throw new InvalidOperationException($"enrollment of {name} answered {(int)response.StatusCode}: {text}");
        var body = JsonDocument.Parse(text).RootElement;
        return new GardenEnrollment(body.GetProperty("sid").GetString()!, body.GetProperty("credential").GetString()!);
    }
}
