namespace Sower.Garden.Tests;

public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        // Short paths: Unix socket paths are limited to 108 bytes.
        Path = Directory.CreateTempSubdirectory("sg").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string text)
    {
        var file = File(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        System.IO.File.WriteAllText(file, text);
        return file;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
