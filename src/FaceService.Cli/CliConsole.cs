using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceService.Cli;

/// <summary>Where a command writes; <see cref="Interactive"/> = a terminal, where the progress bar redraws in place.</summary>
public sealed record CliConsole(TextWriter Out, TextWriter Error, bool Interactive)
{
    public static CliConsole System => new(Console.Out, Console.Error, !Console.IsOutputRedirected);
}

public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The run could not be done (database unreachable, models missing, unreadable image to identify, ...).</summary>
    public const int Failed = 1;
    /// <summary>The command line is wrong; the usage is printed.</summary>
    public const int Usage = 2;
    public const int Interrupted = 130;
}

/// <summary>The --json output of the commands: camelCase, enums as strings, indented.</summary>
public static class CliJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase), new FaceBoxConverter() },
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static async Task WriteAsync<T>(string path, T value, CancellationToken ct)
    {
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, value, Options, ct);
    }
}

/// <summary>A box as its four numbers; its derived properties (area, right, bottom) would only repeat them.</summary>
internal sealed class FaceBoxConverter : JsonConverter<Core.Faces.FaceBox>
{
    public override Core.Faces.FaceBox Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("The CLI only writes boxes.");

    public override void Write(Utf8JsonWriter writer, Core.Faces.FaceBox box, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteNumber("x", box.X);
        writer.WriteNumber("y", box.Y);
        writer.WriteNumber("width", box.Width);
        writer.WriteNumber("height", box.Height);
        writer.WriteEndObject();
    }
}
